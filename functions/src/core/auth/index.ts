/** Tokens (`Token.create/list/get/revoke/authenticate`), roles and the per-token rate limit. */
export * as Token from './token.ts';
export * as RateLimit from './rate-limit.ts';
export * from './access.ts';
export * from './schema.ts';
export type * from './repository.ts';
