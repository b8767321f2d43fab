/**
 * The API's shapes, as the API itself declares them: `import type` of the zod-inferred types in
 * functions/src/core (erased at build time, so none of the server code reaches the browser).
 */
export type { ProjectInfo, UpdateProjectBody } from '../../../functions/src/core/project/schema.ts';
export type { DeploymentInfo, DeploymentState } from '../../../functions/src/core/deployment/schema.ts';
export type { AliasInfo, AliasChange } from '../../../functions/src/core/alias/schema.ts';
export type { EnvVarInfo, EnvScope, EnvTarget, CreateEnvBody, UpdateEnvBody } from '../../../functions/src/core/env/schema.ts';
export type { TeamInfo } from '../../../functions/src/core/team/schema.ts';
export type { DirectUpload, UploadBatch } from '../../../functions/src/core/files/files.ts';
export type { InstallationInfo, RepositoryInfo } from '../../../functions/src/core/github/schema.ts';
import type { DeploymentState } from '../../../functions/src/core/deployment/schema.ts';
import type { InstallLink as InstallLinkSchema } from '../../../functions/src/core/github/schema.ts';
import type { CreateProjectBody } from '../../../functions/src/core/project/schema.ts';
import type * as z from 'zod';

/** `POST /v1/git/install`: the GitHub App's install page, with a one-time state. */
export type InstallLink = z.infer<typeof InstallLinkSchema>;
export type { CreateProjectBody };

/** `{ items, next }` of every list (`pageOf` in core/schemas.ts). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/**
 * `GET /v1/deployments/{id}/events`. Its zod schema lives in the handler module and is not
 * exported, so this one shape is restated here (the e2e test reads it from the real API).
 */
export interface EventsPage {
  state: DeploymentState;
  items: Array<{ type: 'log'; timestamp: string; text: string }>;
  next: string;
  done: boolean;
}
export type { DomainInfo, DomainStatus, DnsRecord, CreateDomainBody, UpdateDomainBody } from '../../../functions/src/core/domain/schema.ts';
