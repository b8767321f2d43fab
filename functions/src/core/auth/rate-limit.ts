import { context } from '#core/context';
import { RateLimitedError } from '#core/errors';

/** Length of one counting window. */
export const WINDOW_MS = 60_000;

/** The window `now` falls in and the seconds until it ends (≥ 1, for `Retry-After`). */
export function windowOf(now: number): { start: number; retryAfterSeconds: number } {
  const start = now - (now % WINDOW_MS);
  return { start, retryAfterSeconds: Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)) };
}

/**
 * Counts one request of a token in the current fixed window: a single conditional update of a
 * counter shared by every Lambda instance. Over the installation's limit
 * (`settings.rateLimitPerMinute`) → 429 with `Retry-After` (the rest of the window). Counters
 * expire a window after theirs ends.
 */
export async function consume(tokenId: string, now = Date.now()): Promise<void> {
  const { start, retryAfterSeconds } = windowOf(now);
  const { rateLimits, settings } = context();
  const counted = await rateLimits.consume(tokenId, start, settings.rateLimitPerMinute, Math.floor((start + 2 * WINDOW_MS) / 1000));
  if (!counted) throw new RateLimitedError(retryAfterSeconds);
}
