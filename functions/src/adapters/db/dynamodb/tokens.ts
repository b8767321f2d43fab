import type { RateLimitRepository, TokenRecord, TokenRepository } from '#core/auth/repository';
import type { Page, PageRequest } from '#core/page';
import { unlessConditionFails } from './errors.ts';
import { conversions, db } from './model.ts';
import { queryPage } from './page.ts';

/** Tokens keyed by the hash of their secret, listed per team (gsi1) and found by id (gsi2). */
export class DynamoDbTokens implements TokenRepository {
  async create(token: TokenRecord): Promise<void> {
    await db().entities.token.create(token).go();
  }

  async list(teamId: string, page: PageRequest): Promise<Page<TokenRecord>> {
    return queryPage(db().entities.token.query.byTeam({ teamId }), {
      ...page,
      order: 'desc',
      partition: ['gsi1pk', `team#${teamId}`],
      // The cursor carries the table key, a hash of a 256-bit secret: it reveals nothing usable.
      toCursor: (t) => conversions.token.byAccessPattern.byTeam.fromComposite.toCursor({ id: t.id, teamId: t.teamId, createdAt: t.createdAt, hash: t.hash }),
    });
  }

  async byId(id: string): Promise<TokenRecord | undefined> {
    const { data } = await db().entities.token.query.byId({ id }).go({ limit: 1 });
    return data[0];
  }

  async byHash(hash: string): Promise<TokenRecord | undefined> {
    // One strongly consistent GetItem: a new token works and a revoked one stops at once.
    const { data } = await db().entities.token.get({ hash }).go({ consistent: true });
    return data ?? undefined;
  }

  async revoke(hash: string, at: string): Promise<TokenRecord> {
    const { data } = await db().entities.token.patch({ hash }).set({ revokedAt: at }).go({ response: 'all_new' });
    return data as TokenRecord;
  }
}

/** Fixed-window counters `rate#<tokenId>` / `window#<start>`, removed by DynamoDB TTL. */
export class DynamoDbRateLimits implements RateLimitRepository {
  async consume(tokenId: string, windowStart: number, limit: number, expiresAt: number): Promise<boolean> {
    const write = db()
      .entities.rateLimit.update({ tokenId, window: String(windowStart) })
      .add({ count: 1 })
      .set({ ttl: expiresAt })
      .where(({ count }, { notExists, lt }) => `${notExists(count)} OR ${lt(count, limit)}`)
      .go({ response: 'none' });
    return unlessConditionFails(write.then(() => true), false);
  }
}
