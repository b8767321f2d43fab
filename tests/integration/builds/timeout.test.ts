import { afterAll, beforeAll, expect, test } from 'vitest';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { deployFiles, startPlatform, waitForEnd, type Platform } from './platform.ts';

let platform: Platform;
let c: Client;
beforeAll(async () => {
  // A runner whose builds may take 4 s at most.
  platform = await startPlatform({ buildTimeoutMs: 4000 });
  c = platform.client((await newTeam()).tokens.owner);
});
afterAll(() => platform?.close());

test('a build that outlives its time limit is killed and ends ERROR at step timeout', async () => {
  const name = uniqueName('slow');
  expect((await c.post('/v1/projects', { name })).status).toBe(201);
  const files = { 'package.json': JSON.stringify({ name: 'slow', private: true, scripts: { build: 'node -e "setTimeout(() => {}, 120000)"' } }) };
  const { deployment } = await deployFiles(c, name, files);
  const started = Date.now();
  const done = await waitForEnd(c, deployment.id, 30_000);
  expect(done.state).toBe('ERROR');
  expect(done.errorStep).toBe('timeout');
  expect(Date.now() - started).toBeLessThan(20_000);
  await expect.poll(() => platform.ports.scheduler.active, { timeout: 10_000 }).toBe(0);
});
