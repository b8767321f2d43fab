import { afterEach, expect, test } from 'vitest';
import { RateLimit, Token } from '../../../functions/src/core/auth/index.ts';
import { RateLimitedError } from '../../../functions/src/core/errors.ts';
import { useMemoryContext, type MemoryContext } from '../../support/memory-context.ts';

let ctx: MemoryContext | undefined;
afterEach(() => ctx?.restore());

test("a token's requests are counted against the installation's limit; the next window starts again", async () => {
  ctx = useMemoryContext({ rateLimitPerMinute: 2 });
  const now = Date.parse('2026-03-01T12:00:30Z');
  await RateLimit.consume('tok_a', now);
  await RateLimit.consume('tok_a', now);
  const refused = await RateLimit.consume('tok_a', now).catch((e) => e);
  expect(refused).toBeInstanceOf(RateLimitedError);
  expect(refused.retryAfterSeconds).toBe(30);
  await expect(RateLimit.consume('tok_b', now)).resolves.toBeUndefined();
  await expect(RateLimit.consume('tok_a', now + 30_000)).resolves.toBeUndefined();
});

test('a token authenticates until revoked or expired; only its hash is stored', async () => {
  ctx = useMemoryContext();
  const { token, secret } = await Token.create('team_x', { name: 'ci', role: 'member' }, 'owner');
  expect(await Token.authenticate(secret)).toEqual({ tokenId: token.id, teamId: 'team_x', role: 'member' });
  expect([...(await Token.list('team_x', { limit: 10 })).items]).toEqual([token]);
  expect(JSON.stringify(await ctx.tokens.byId(token.id))).not.toContain(secret);
  await Token.revoke('team_x', token.id);
  await expect(Token.authenticate(secret)).rejects.toMatchObject({ code: 'unauthorized' });
  await expect(Token.create('team_x', { name: 'x', role: 'owner' }, 'member')).rejects.toMatchObject({ code: 'role_too_high' });
});
