import * as z from 'zod';
import { markPageSchema } from './page.ts';

/**
 * Schemas shared by several domains. Lambda code imports zod as a namespace (`import * as z`)
 * so esbuild can drop what is unused; `import { z }` pulls in every locale (~370 KB).
 */

/** Longest project or team name: leaves room for `-git-<branch>` and `-<shortId>` in one DNS label. */
export const MAX_NAME_LENGTH = 40;

/** A project or team name: one DNS label, lowercase `a-z`, `0-9` and inner `-`, ≤ 40 characters. */
export const Name = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'must be lowercase a-z, 0-9 and "-" (not first or last)');

export const ROLES = ['owner', 'member', 'viewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const Timestamp = z.iso.datetime().describe('ISO-8601 UTC timestamp');

/** sha256 hex, as the build contract defines it (one definition for the control plane and the builder). */
export { Sha256Hex } from './build/contract.ts';

/** `?limit=&cursor=` of every list. */
export const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional().describe("The previous page's next; a cursor that was changed or belongs to another list or team is a 400 invalid_cursor"),
});

/** `{ items, next }` of every list; the API seals its `next` (lib/cursor.ts). */
export function pageOf<T extends z.ZodType>(item: T) {
  return markPageSchema(
    z.strictObject({
      items: z.array(item),
      next: z.string().nullable().describe('Opaque cursor of the next page (pass it as ?cursor=), bound to this list and team; null at the end'),
    }),
  );
}

/** An id with its prefix, e.g. `prj_…`. */
export function prefixedId(prefix: string) {
  return z.string().regex(new RegExp(`^${prefix}_[0-9a-z]{1,32}$`), `must be a ${prefix}_… id`);
}

export const ProjectId = prefixedId('prj');
export const DeploymentId = prefixedId('dpl');
export const TeamId = prefixedId('team');
export const TokenId = prefixedId('tok');
export const EnvId = prefixedId('env');
export const DomainId = prefixedId('dom');

/** A project by id (`prj_…`) or by name. */
export const IdOrName = z.union([ProjectId, Name]);

export const DEPLOYMENT_TARGETS = ['production', 'preview'] as const;
export const DeploymentTarget = z.enum(DEPLOYMENT_TARGETS);
export type DeploymentTarget = z.infer<typeof DeploymentTarget>;
