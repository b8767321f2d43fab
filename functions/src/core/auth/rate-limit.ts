import { RateLimitedError } from '#core/errors';
import { db } from '#adapters/db/dynamodb/model';
import { isConditionFailed } from '#adapters/db/dynamodb/errors';

/** Length of one counting window. */
export const WINDOW_MS = 60_000;

/** The window `now` falls in and the seconds until it ends (≥ 1, for `Retry-After`). */
export function windowOf(now: number): { start: number; retryAfterSeconds: number } {
  const start = now - (now % WINDOW_MS);
  return { start, retryAfterSeconds: Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)) };
}

/**
 * Counts one request of a token in the current fixed window: a single conditional update of a
 * counter item, so every Lambda instance shares the count. Over `limitPerWindow` → 429 with
 * `Retry-After` (the rest of the window). DynamoDB TTL deletes old windows.
 */
export async function consume(tokenId: string, limitPerWindow: number, now = Date.now()): Promise<void> {
  const { start, retryAfterSeconds } = windowOf(now);
  try {
    await db()
      .entities.rateLimit.update({ tokenId, window: String(start) })
      .add({ count: 1 })
      .set({ ttl: Math.floor((start + 2 * WINDOW_MS) / 1000) })
      .where(({ count }, { notExists, lt }) => `${notExists(count)} OR ${lt(count, limitPerWindow)}`)
      .go({ response: 'none' });
  } catch (error) {
    if (isConditionFailed(error)) throw new RateLimitedError(retryAfterSeconds);
    throw error;
  }
}
