import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LocalBuildScheduler, type BuildLaunch, type BuildLauncher } from '../../../functions/src/adapters/build-scheduler/local.ts';
import type { BuildStateEvent } from '../../../functions/src/adapters/build-scheduler/codebuild-event.ts';
import type { BuildLogs, LogEvent } from '../../../functions/src/core/ports.ts';

/**
 * The local build runner with a launcher of the test's own (the `launch` option `npm start` uses
 * for its sandbox): what it does around the builder process — the events it sends, its log
 * buffer when the log store is down, and what `close()` waits for. The builder program itself is
 * replaced by a small node script; no emulator, no network.
 */
const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-scheduler-test-'));
afterAll(() => fs.rmSync(workRoot, { recursive: true, force: true }));

/** A launcher that runs `script` with node instead of the builder, recording each launch. */
function launcher(script: string, release: () => Promise<void> = async () => {}): BuildLauncher & { launches: BuildLaunch[] } {
  const launches: BuildLaunch[] = [];
  const launch: BuildLauncher = async (build) => {
    launches.push(build);
    const child = spawn(process.execPath, ['-e', script], { cwd: build.workDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: build.env });
    return { child, release };
  };
  return Object.assign(launch, { launches });
}

/** A log store that fails its first `failures` calls (or all of them), then keeps what it gets. */
function flakyLogs(failures: number): BuildLogs & { lines: string[]; calls: number } {
  const store = {
    lines: [] as string[],
    calls: 0,
    async append(_stream: string, events: LogEvent[]) {
      store.calls += 1;
      if (store.calls <= failures) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
      store.lines.push(...events.map((e) => e.message));
    },
    async read() {
      return { events: [], next: '' };
    },
  };
  return store;
}

function scheduler(launch: BuildLauncher, logs: BuildLogs) {
  const events: string[] = [];
  const runner = new LocalBuildScheduler({
    apiUrl: 'http://127.0.0.1:9',
    logs,
    workRoot,
    launch,
    onEvent: async (event: BuildStateEvent) => {
      events.push(event.detail['build-status']);
    },
  });
  return { runner, events };
}

describe('the local build runner', () => {
  test('runs the builder through its launcher, with the build API URL and token in a scrubbed environment', async () => {
    const launch = launcher("console.log('hello from the build')");
    const logs = flakyLogs(0);
    const { runner, events } = scheduler(launch, logs);
    await runner.start({ deploymentId: 'dpl_launch', token: 'rwb_token' });
    await expect.poll(() => events, { timeout: 30_000 }).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
    const [build] = launch.launches;
    expect(build).toMatchObject({ deploymentId: 'dpl_launch', command: process.execPath });
    expect(build!.env).toMatchObject({ RUNWAY_UPLOAD_URL: 'http://127.0.0.1:9/v1/builds/dpl_launch', RUNWAY_UPLOAD_TOKEN: 'rwb_token', HOME: build!.workDir });
    expect(build!.env.AWS_ACCESS_KEY_ID).toBeUndefined();
    expect(logs.lines).toEqual(['hello from the build']);
    await expect.poll(() => fs.existsSync(build!.workDir)).toBe(false);
  }, 60_000);

  test('a log store that is down keeps the lines for the next call, in order; one down for good never fails the build or rejects', async () => {
    const script = "for (const n of [1, 2, 3]) console.log('line ' + n)";
    const recovering = flakyLogs(2);
    const first = scheduler(launcher(script), recovering);
    await first.runner.start({ deploymentId: 'dpl_logs_back', token: 't' });
    await expect.poll(() => first.events, { timeout: 30_000 }).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
    expect(recovering.lines).toEqual(['line 1', 'line 2', 'line 3']);
    expect(recovering.calls).toBeGreaterThan(2);

    const down = flakyLogs(Number.POSITIVE_INFINITY);
    const second = scheduler(launcher(script), down);
    await second.runner.start({ deploymentId: 'dpl_logs_down', token: 't' });
    await expect.poll(() => second.events, { timeout: 30_000 }).toEqual(['IN_PROGRESS', 'SUCCEEDED']);
    await expect.poll(() => second.runner.active).toBe(0);
    expect(down.lines).toEqual([]);
  }, 60_000);

  test('close() stops a running build (STOPPED) and resolves only after its launcher released it and its temp dir is gone', async () => {
    let releaseCalled = false;
    let finishRelease!: () => void;
    const released = new Promise<void>((resolve) => (finishRelease = resolve));
    const launch = launcher("console.log('running'); setInterval(() => {}, 1000)", async () => {
      releaseCalled = true;
      await released;
    });
    const logs = flakyLogs(0);
    const { runner, events } = scheduler(launch, logs);
    await runner.start({ deploymentId: 'dpl_close', token: 't' });
    await expect.poll(() => logs.lines, { timeout: 30_000 }).toEqual(['running']);

    let closed = false;
    const closing = runner.close().then(() => (closed = true));
    // The build was killed and its launcher is releasing it: close() is still waiting.
    await expect.poll(() => releaseCalled, { timeout: 15_000 }).toBe(true);
    expect(closed).toBe(false);
    expect(fs.existsSync(launch.launches[0]!.workDir)).toBe(true);
    finishRelease();
    await closing;
    expect(fs.existsSync(launch.launches[0]!.workDir)).toBe(false);
    expect(events).toEqual(['IN_PROGRESS', 'STOPPED']);
  }, 60_000);
});
