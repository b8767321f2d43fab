import * as z from 'zod';
import { DeploymentId, DeploymentTarget, ProjectId, Sha256Hex, TeamId, Timestamp } from '#core/schemas';
import { FileList } from './files.ts';

export const DEPLOYMENT_STATES = ['QUEUED', 'BUILDING', 'READY', 'ERROR', 'CANCELED'] as const;
export const DeploymentState = z.enum(DEPLOYMENT_STATES);
export type DeploymentState = z.infer<typeof DeploymentState>;

export const GitSource = z.strictObject({
  type: z.literal('git'),
  provider: z.literal('github'),
  repo: z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, 'must be "owner/name"'),
  ref: z.string().min(1).max(255).optional(),
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full commit sha'),
});

/** What a deployment is built from, in full (the file list inline). */
export const DeploymentSource = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('files'), files: FileList }),
  GitSource,
]);
export type DeploymentSource = z.infer<typeof DeploymentSource>;

/** The source as a deployment record carries it: a file list is stored as a blob of the team. */
export const SourceSummary = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('files'),
    fileCount: z.number().int(),
    totalBytes: z.number().int(),
    /** sha256 of the canonical file list, a blob of the team's blob store. */
    filesSha: Sha256Hex,
  }),
  GitSource,
]);
export type SourceSummary = z.infer<typeof SourceSummary>;

export const Meta = z
  .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys: 1-64 of A-Z a-z 0-9 _ . -'), z.string().max(1024))
  .refine((m) => Object.keys(m).length <= 32, 'at most 32 entries');

/**
 * A host a READY deployment should have been published on but was refused (Vercel's `aliasError`):
 * the deployment stays READY (its files and its own URL are good), and this says which host
 * does not serve it and why.
 */
export const AliasError = z.strictObject({
  host: z.string(),
  code: z.string().describe('alias_host_taken: another project owns the host'),
  message: z.string(),
});
export type AliasError = z.infer<typeof AliasError>;

/**
 * One function of a deployment as the API shows it (issue 14's contract): built from the
 * manifest's validated `.vc-config.json` by finalize and stored on the deployment record.
 */
export const DeploymentFunctionSummary = z.strictObject({
  name: z.string().describe('Its `.func` path under `functions/`, e.g. `api/hello`'),
  paths: z.array(z.string()).describe('URL paths it serves'),
  runtime: z.string().describe('Node.js runtime, e.g. nodejs22.x'),
  memory: z.number().int().describe('Memory in MB'),
  maxDuration: z.number().int().describe('Seconds per request at most'),
  size: z.number().int().describe('Bytes of its zip'),
});
export type DeploymentFunctionSummary = z.infer<typeof DeploymentFunctionSummary>;

/** A deployment as the API returns it. */
export const DeploymentInfo = z.strictObject({
  id: DeploymentId,
  shortId: z.string(),
  teamId: TeamId,
  projectId: ProjectId,
  projectName: z.string(),
  target: DeploymentTarget,
  state: DeploymentState,
  url: z.string().describe('Immutable host of this deployment: <project>-<shortId>.<domain>'),
  branch: z.string().optional(),
  commitSha: z.string().optional(),
  commitMessage: z.string().optional(),
  source: SourceSummary,
  meta: z.record(z.string(), z.string()).optional(),
  createdAt: Timestamp,
  buildingAt: Timestamp.optional(),
  readyAt: Timestamp.optional(),
  erroredAt: Timestamp.optional(),
  canceledAt: Timestamp.optional(),
  errorStep: z.string().optional(),
  errorMessage: z.string().optional(),
  configKey: z.string().optional(),
  aliasError: AliasError.optional().describe('Set when a production or branch host was refused to this READY deployment'),
  redeployOf: DeploymentId.optional(),
  functions: z.array(DeploymentFunctionSummary).default([]).describe('Its functions (empty when it has none), set when it becomes READY'),
  version: z.number().int(),
});
export type DeploymentInfo = z.infer<typeof DeploymentInfo>;
