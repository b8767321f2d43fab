import * as z from 'zod';
import { Role, TeamId, Timestamp, TokenId } from '#core/schemas';

export const CreateTokenBody = z.strictObject({
  name: z.string().min(1).max(64).refine((n) => !/[\x00-\x1f\x7f]/.test(n), 'contains a control character'),
  role: Role.optional().describe('Default: the role of the token that creates it; never more'),
  expiresAt: Timestamp.optional().describe('Default: never'),
});
export type CreateTokenBody = z.infer<typeof CreateTokenBody>;

/** A token as listed: never its secret. */
export const TokenInfo = z.strictObject({
  id: TokenId,
  teamId: TeamId,
  name: z.string(),
  role: Role,
  createdAt: Timestamp,
  expiresAt: Timestamp.optional(),
  revokedAt: Timestamp.optional(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;

/** A token just created: the only time its secret is shown. */
export const CreatedToken = z.strictObject({
  token: TokenInfo,
  secret: z.string().describe('Shown once: `Authorization: Bearer <secret>`'),
});
export type CreatedToken = z.infer<typeof CreatedToken>;

/** Who is calling: the token's team and role. */
export interface Caller {
  tokenId: string;
  teamId: string;
  role: Role;
}
