import type { Page, PageRequest } from '#core/page';
import type { TokenInfo } from './schema.ts';

/** A token as stored: never its secret, only the secret's sha256. */
export type TokenRecord = TokenInfo & { hash: string };

/** API tokens, found by the hash of their secret. */
export interface TokenRepository {
  create(token: TokenRecord): Promise<void>;
  /** The team's tokens, newest first. @throws ValidationError `invalid_cursor` */
  list(teamId: string, page: PageRequest): Promise<Page<TokenRecord>>;
  byId(id: string): Promise<TokenRecord | undefined>;
  /** Strongly consistent: a new token works and a revoked one stops at once. */
  byHash(hash: string): Promise<TokenRecord | undefined>;
  /** Sets `revokedAt`; returns the token after the change. */
  revoke(hash: string, at: string): Promise<TokenRecord>;
}

/** Per-token fixed-window request counters shared by every instance. */
export interface RateLimitRepository {
  /**
   * Counts one request of `tokenId` in the window starting at `windowStart` (epoch ms), unless it
   * already counted `limit`; the counter may be removed after `expiresAt` (epoch seconds).
   * @returns `false` when the window is full (nothing counted)
   */
  consume(tokenId: string, windowStart: number, limit: number, expiresAt: number): Promise<boolean>;
}
