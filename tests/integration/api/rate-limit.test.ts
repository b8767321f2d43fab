import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
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
afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await api.close();
  vi.unstubAllEnvs();
  resetConfig();
});

test('a token over its per-minute limit gets 429 rate_limited with Retry-After; other tokens are unaffected; the next window counts afresh', async () => {
  const team = await newTeam();
  // The handlers run in this process: with the clock held one second into a window, every
  // request counts against that window, whenever it runs (only Date is faked; timers are real).
  const { start } = windowOf(Date.now());
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(start + 1_000);
  const c = client(api, team.tokens.member);
  for (let i = 0; i < LIMIT; i++) expect((await c.get('/v1/projects')).status).toBe(200);
  const limited = await c.get('/v1/projects');
  expect(limited.status).toBe(429);
  expect(limited.body.error.code).toBe('rate_limited');
  // The rest of the window, in whole seconds.
  expect(limited.headers.get('retry-after')).toBe(String((WINDOW_MS - 1_000) / 1000));
  expect((await client(api, team.tokens.viewer).get('/v1/projects')).status).toBe(200);

  vi.setSystemTime(start + WINDOW_MS);
  expect((await c.get('/v1/projects')).status).toBe(200);
});
