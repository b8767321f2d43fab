import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { detectSandbox } from '../../../local/sandbox/index.ts';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { buildLog, deployFiles, expectReady, startPlatform, waitForEnd, type Platform } from './platform.ts';

/**
 * A build cannot exhaust the machine: a fork bomb, a disk filler (in its own dir and in /tmp) and
 * a memory hog each end as a build ERROR that names the limit, everything the build started is
 * gone, what it wrote is removed, and the platform keeps serving — the next build deploys.
 * Small limits here; `npm start` has RUNWAY_BUILD_MAX_PROCESSES / _MEMORY_MB / _DISK_MB.
 */
const MiB = 2 ** 20;
/** A build may take up to 120 s to end on a loaded machine (waitForEnd below); the test waits as long. */
const BUILD_TEST_MS = 150_000;
/** The deployments this file built: their temp dirs, and only theirs, must be gone at the end. */
const built: string[] = [];
let platform: Platform;
let c: Client;

beforeAll(async () => {
  expect(detectSandbox().mode, 'this machine runs builds without a sandbox').not.toBe('none');
  platform = await startPlatform({ buildLimits: { processes: 160, memoryBytes: 768 * MiB, diskBytes: 64 * MiB } });
  c = platform.client((await newTeam()).tokens.owner);
});
afterAll(async () => {
  await platform?.close();
});

async function build(script: string) {
  const name = uniqueName('limits');
  expect((await c.post('/v1/projects', { name })).status).toBe(201);
  const files = { 'package.json': JSON.stringify({ name: 'site', private: true, scripts: { build: script } }) };
  const { deployment } = await deployFiles(c, name, files);
  built.push(deployment.id);
  const done = await waitForEnd(c, deployment.id, 120_000);
  return { done, log: (await buildLog(c, deployment.id)).join('\n') };
}

/** Processes of this machine whose command line carries `marker` (the sandbox's are gone when it ends). */
function processesWith(marker: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('a build is held to its limits and the platform stays up', () => {
  test('a fork bomb ends ERROR naming the process limit, and leaves no process behind', async () => {
    const marker = uniqueName('forkbomb');
    const { done, log } = await build(`sh -c 'bomb() { bomb | bomb & }; bomb; sleep 600' ${marker}`);
    expect(done.state).toBe('ERROR');
    expect(done.errorMessage).toContain('[sandbox] stopped: the build reached its limit of 160 processes and threads');
    expect(log).toContain('limit of 160 processes');
    expect(processesWith(marker)).toEqual([]);
  }, BUILD_TEST_MS);

  test('a disk filler in its own dir ends ERROR naming the disk limit', async () => {
    const { done } = await build(`node -e "const fs = require('fs'); const b = Buffer.alloc(1 << 20, 1); for (let i = 0; ; i++) fs.writeFileSync('fill-' + i, b)"`);
    expect(done.state).toBe('ERROR');
    expect(done.errorMessage).toContain('[sandbox] stopped: the build wrote more than its 64 MiB of disk');
  }, BUILD_TEST_MS);

  test.runIf(detectSandbox().mode === 'root')('a disk filler in /tmp (one file, past TMPDIR) ends ERROR naming the disk limit, and its file is removed', async () => {
    const file = path.join(os.tmpdir(), uniqueName('runway-filler'));
    const { done } = await build(`node -e "const fs = require('fs'); const fd = fs.openSync('${file}', 'w'); const b = Buffer.alloc(1 << 20, 1); for (;;) fs.writeSync(fd, b)"`);
    expect(done.state).toBe('ERROR');
    expect(done.errorMessage).toContain('[sandbox] stopped: the build wrote more than its 64 MiB of disk');
    expect(fs.existsSync(file)).toBe(false);
  }, BUILD_TEST_MS);

  test('a memory hog ends ERROR naming the memory limit', async () => {
    const { done } = await build(`node -e "const a = []; setInterval(() => a.push(Buffer.alloc(16 << 20, 1)), 100)"`);
    expect(done.state).toBe('ERROR');
    expect(done.errorMessage).toContain('[sandbox] stopped: the build used more than its 768 MiB of memory');
  }, BUILD_TEST_MS);

  test('after all of them the API answers and a build deploys', async () => {
    expect((await c.get('/v1/projects')).status).toBe(200);
    const name = uniqueName('after');
    expect((await c.post('/v1/projects', { name })).status).toBe(201);
    const files = { 'package.json': JSON.stringify({ name: 'site', private: true, scripts: { build: 'mkdir -p dist && echo ok > dist/index.html' } }) };
    const { deployment } = await deployFiles(c, name, files);
    await expectReady(c, deployment.id);
    // No build temp dir is left behind by the runs above (other test files' builds may be running).
    expect(built.length).toBeGreaterThanOrEqual(3);
    expect(fs.readdirSync(os.tmpdir()).filter((d) => built.some((id) => d.startsWith(`runway-build-${id}-`)))).toEqual([]);
  });
});
