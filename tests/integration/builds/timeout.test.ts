import { afterAll, beforeAll, expect, test } from 'vitest';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { BUILD_UNTIL_KILLED, deployFiles, startPlatform, waitForEnd, type Platform } from './platform.ts';

let platform: Platform;
let limited: Platform;
let c: Client;
beforeAll(async () => {
  // A runner whose builds may take 4 s at most, with step limits that do not fit inside (so the
  // runner's own kill is what stops the build).
  platform = await startPlatform({ buildTimeoutMs: 4000, buildStepLimits: { installMs: 60_000, buildMs: 60_000 } });
  c = platform.client((await newTeam()).tokens.owner);
});
afterAll(() => platform?.close());

test('a step that outlives its limit stops with "build exceeded …", inside the compute ceiling', async () => {
  // Step limits derived from a 20 s ceiling (install 6 s, build 9 s), as the builds stack derives
  // them from Lambda compute's 15 minutes.
  limited = await startPlatform({ buildTimeoutMs: 20_000 });
  try {
    const lc = limited.client((await newTeam()).tokens.owner);
    const name = uniqueName('slowstep');
    expect((await lc.post('/v1/projects', { name })).status).toBe(201);
    const files = { 'package.json': JSON.stringify({ name: 'slow', private: true, scripts: { build: 'node -e "setTimeout(() => {}, 120000)"' } }) };
    const { deployment } = await deployFiles(lc, name, files);
    const done = await waitForEnd(lc, deployment.id, 30_000);
    expect([done.state, done.errorStep]).toEqual(['ERROR', 'build']);
    expect(done.errorMessage).toMatch(/^build exceeded 9 s and was stopped: the build step limit of this build compute/);
  } finally {
    await limited.close();
  }
});

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
