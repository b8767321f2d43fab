import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { WINDOW_MS, windowOf } from '../../../functions/src/core/auth/rate-limit.ts';
import { resetConfig } from '../../../functions/src/lib/config.ts';
import { type Api, client, newTeam, startApi } from './harness.ts';

const LIMIT = 4;
let api: Api;

beforeAll(async () => {
  vi.stubEnv('RUNWAY_RATE_LIMIT_PER_MINUTE', String(LIMIT));
  resetConfig();
  api = await startApi();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
  resetConfig();
});

test('a token over its per-minute limit gets 429 rate_limited with Retry-After; other tokens are unaffected', async () => {
  // Start well inside a window, so all requests count against the same one.
  const { start } = windowOf(Date.now());
  if (start + WINDOW_MS - Date.now() < 3_000) await new Promise((r) => setTimeout(r, start + WINDOW_MS - Date.now() + 50));
  const team = await newTeam();
  const c = client(api, team.tokens.member);
  for (let i = 0; i < LIMIT; i++) expect((await c.get('/v1/projects')).status).toBe(200);
  const limited = await c.get('/v1/projects');
  expect(limited.status).toBe(429);
  expect(limited.body.error.code).toBe('rate_limited');
  const retryAfter = Number(limited.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect((await client(api, team.tokens.viewer).get('/v1/projects')).status).toBe(200);
});
