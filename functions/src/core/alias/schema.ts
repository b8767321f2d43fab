import * as z from 'zod';
import { DeploymentId, ProjectId, TeamId, Timestamp } from '#core/schemas';

export const ALIAS_KINDS = ['production', 'branch', 'deployment', 'custom'] as const;

export const AliasInfo = z.strictObject({
  host: z.string(),
  teamId: TeamId,
  projectId: ProjectId,
  deploymentId: DeploymentId,
  previousDeploymentId: DeploymentId.optional(),
  kind: z.enum(ALIAS_KINDS),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: z.number().int(),
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

export const AliasChange = z.strictObject({ alias: AliasInfo, edge: EdgeSync });
export type AliasChange = z.infer<typeof AliasChange>;
