import { afterAll, beforeAll, expect, test } from 'vitest';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { BUILD_UNTIL_KILLED, deployFiles, startPlatform, waitForEnd, type Platform } from './platform.ts';

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
  // A build that only ends when killed: ERROR at step timeout can only come from the limit.
  const files = { 'package.json': JSON.stringify({ name: 'slow', private: true, scripts: { build: BUILD_UNTIL_KILLED } }) };
  const { deployment } = await deployFiles(c, name, files);
  const done = await waitForEnd(c, deployment.id, 120_000);
  expect(done.state).toBe('ERROR');
  expect(done.errorStep).toBe('timeout');
  await expect.poll(() => platform.ports.scheduler.active, { timeout: 60_000 }).toBe(0);
});
