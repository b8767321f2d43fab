import * as z from 'zod';
import { DeploymentId, ProjectId, TeamId, Timestamp } from '#core/schemas';

export const ALIAS_KINDS = ['production', 'branch', 'deployment', 'custom'] as const;

/**
 * A host and its owner: the one record that says which project a host belongs to, platform-wide
 * (README "Hostnames"). Created once, with a conditional write, by the first claim: a project's
 * production host when the project is created, a deployment's host when the deployment is, a
 * branch host when its first deployment is READY. Without `deploymentId` the host is reserved
 * but serves nothing yet.
 */
export const AliasInfo = z.strictObject({
  host: z.string(),
  teamId: TeamId,
  projectId: ProjectId,
  deploymentId: DeploymentId.optional().describe('What the host serves; absent while it is only reserved (a new project\'s production host)'),
  previousDeploymentId: DeploymentId.optional(),
  kind: z.enum(ALIAS_KINDS).describe('production: <project>.D; branch: <project>-git-<branch>.D; deployment: <project>-<shortId>.D; custom: a verified domain'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: z.number().int().describe('Writes of this record: 1 when claimed'),
});
export type AliasInfo = z.infer<typeof AliasInfo>;

export const EdgeSync = z.strictObject({
  synced: z.literal(true),
  host: z.string(),
  deploymentId: DeploymentId.describe('What the edge serves for the host now'),
});

export const PromoteBody = z.strictObject({
  deploymentId: DeploymentId,
  version: z.number().int().min(0).optional().describe('Alias version you last saw (or If-Match); 0 = no alias yet'),
});

export const RollbackBody = z.strictObject({
  deploymentId: DeploymentId.optional().describe('Default: the READY production deployment before the live one'),
  version: z.number().int().min(0).optional(),
});

export const AliasChange = z.strictObject({ alias: AliasInfo.required({ deploymentId: true }), edge: EdgeSync });
export type AliasChange = z.infer<typeof AliasChange>;
