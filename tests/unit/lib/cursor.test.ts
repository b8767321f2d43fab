import { afterAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { PageQuery, pageOf } from '#core/schemas';
import { openCursor, sealCursor, useCursorSecret } from '#lib/cursor';
import { httpHandler, route } from '#lib/http';
import { httpEvent, lambdaContext } from '../../support/events.ts';

/**
 * List cursors leave the API sealed: what a repository's cursor holds (for tokens, the stored hash
 * of another token) is never readable, and a cursor opens only in the list and team it came from.
 */
const restore = useCursorSecret(async () => 'a'.repeat(64));
afterAll(restore);

/** What a DynamoDB cursor of the token list looks like: the key of the last token, its hash included. */
const RAW = Buffer.from(JSON.stringify({ pk: `token-hash#${'f'.repeat(64)}`, sk: 'token', gsi1pk: 'team#team_a', gsi1sk: 'token#2026#tok_1' })).toString('base64url');

const seen: Array<string | undefined> = [];
const handler = httpHandler<{ teamId: string }>(
  {
    'GET /v1/items/{kind}': route({
      auth: 'token',
      params: z.strictObject({ kind: z.string() }),
      query: PageQuery.extend({ state: z.string().optional() }),
      responds: { status: 200, body: pageOf(z.string()) },
      handler: async ({ query }) => {
        seen.push(query.cursor);
        return { body: { items: ['x'], next: RAW } };
      },
    }),
    'GET /v1/last': route({ auth: 'token', query: PageQuery, responds: { status: 200, body: pageOf(z.string()) }, handler: async () => ({ body: { items: [], next: null } }) }),
  },
  { authenticate: async (event) => ({ teamId: event.headers?.['x-team'] ?? 'team_a' }), cursors: { seal: sealCursor, open: openCursor } },
);

async function list(kind: string, options: { cursor?: string; team?: string; state?: string } = {}) {
  const query: Record<string, string> = { ...(options.cursor ? { cursor: options.cursor } : {}), ...(options.state ? { state: options.state } : {}) };
  const res = (await handler(
    httpEvent('GET /v1/items/{kind}', { pathParameters: { kind }, query, headers: { 'x-team': options.team ?? 'team_a' } }),
    lambdaContext,
  )) as { statusCode: number; body: string };
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

describe('sealed list cursors', () => {
  test("next reveals nothing of the repository's cursor, and a page's cursor brings the repository its own back", async () => {
    const first = await list('tokens');
    expect(first.status).toBe(200);
    const next = first.body.next as string;
    expect(next).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const form of [next, Buffer.from(next, 'base64url').toString('latin1'), Buffer.from(next, 'base64url').toString('utf8')]) {
      expect(form).not.toContain('f'.repeat(16));
      expect(form).not.toContain('token-hash');
    }
    expect(next).not.toContain(RAW.slice(0, 16));
    // Two seals of one cursor differ (random IV): a cursor says nothing about where a list stands.
    expect((await list('tokens')).body.next).not.toBe(next);
    seen.length = 0;
    expect((await list('tokens', { cursor: next })).status).toBe(200);
    expect(seen).toEqual([RAW]);
  });

  test.each([
    ['a raw repository cursor', () => RAW],
    ['a made-up one', () => 'bm90LWEtY3Vyc29y'],
    ['characters outside base64url', () => '{}'],
  ])('%s is a 400 invalid_cursor that never reaches the list', async (_, cursor) => {
    seen.length = 0;
    const res = await list('tokens', { cursor: cursor() });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_cursor');
    expect(seen).toEqual([]);
  });

  test('a tampered cursor (any one bit) is a 400', async () => {
    const next = (await list('tokens')).body.next as string;
    const bytes = Buffer.from(next, 'base64url');
    for (const at of [0, 12, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[at]! ^= 1;
      expect((await list('tokens', { cursor: flipped.toString('base64url') })).body.error.code).toBe('invalid_cursor');
    }
  });

  test("another team's cursor, another list's, or the same list with other filters is a 400", async () => {
    const next = (await list('tokens')).body.next as string;
    expect((await list('tokens', { cursor: next, team: 'team_b' })).status).toBe(400);
    expect((await list('projects', { cursor: next })).status).toBe(400);
    expect((await list('tokens', { cursor: next, state: 'READY' })).status).toBe(400);
    expect((await list('tokens', { cursor: next })).status).toBe(200);
  });

  test('a cursor sealed with another key is refused: a rotated secret invalidates earlier cursors', async () => {
    const sealed = await sealCursor('x', 'scope');
    const restoreKey = useCursorSecret(async () => 'b'.repeat(64));
    try {
      await expect(openCursor(sealed, 'scope')).rejects.toMatchObject({ code: 'invalid_cursor' });
    } finally {
      restoreKey();
      useCursorSecret(async () => 'a'.repeat(64));
    }
    expect(await openCursor(sealed, 'scope')).toBe('x');
  });

  test('a list route in a module without a cursor sealer fails closed: no raw cursor leaves', async () => {
    const bare = httpHandler({ 'GET /v1/raw': route({ auth: 'public', query: PageQuery, responds: { status: 200, body: pageOf(z.string()) }, handler: async () => ({ body: { items: [], next: RAW } }) }) });
    const res = (await bare(httpEvent('GET /v1/raw'), lambdaContext)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain(RAW);
  });

  test('the last page keeps next null', async () => {
    const res = (await handler(httpEvent('GET /v1/last'), lambdaContext)) as { body: string };
    expect(JSON.parse(res.body)).toEqual({ items: [], next: null });
  });
});
