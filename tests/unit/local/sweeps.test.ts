import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { startLocalSweeps } from '../../../local/sweeps.ts';

/** `npm start`'s stand-in for the EventBridge schedules: timers over the sweep functions. */
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function jobs() {
  const calls = { stuck: 0, hosts: 0, backfill: 0 };
  let release: () => void = () => {};
  const hold = new Promise<void>((resolve) => (release = resolve));
  return {
    calls,
    release: () => release(),
    jobs: {
      stuck: async () => {
        calls.stuck++;
        throw new Error('emulator down');
      },
      hosts: async () => {
        calls.hosts++;
        await hold;
      },
      backfill: async () => {
        calls.backfill++;
        return { scanned: 3, deployments: 2, present: 1, written: calls.backfill === 1 ? ['dpl_1'] : [], defaulted: [], skipped: [], complete: true };
      },
    },
  };
}

test('the host sweep runs at start and then on its period; the stuck sweep on its own; a failed run is logged and the timer goes on', async () => {
  const { calls, jobs: j, release } = jobs();
  const logged: string[] = [];
  const stop = startLocalSweeps({ stuckEveryMs: 60_000, hostsEveryMs: 3_600_000, jobs: j, log: (m) => logged.push(m) });
  await vi.advanceTimersByTimeAsync(0);
  expect(calls).toEqual({ stuck: 0, hosts: 1, backfill: 1 });
  await vi.advanceTimersByTimeAsync(3 * 60_000);
  expect(calls.stuck).toBe(3);
  // The backfill runs at start (its counts logged) and with the stuck sweep, whose failures do not stop it.
  expect(calls.backfill).toBe(4);
  expect(logged).toEqual([
    'deployment index backfill: 2 deployments served, 1 indexed already, 1 backfilled (0 with default routes), 0 skipped',
    ...Array(3).fill('stuck-deployment sweep failed: emulator down'),
  ]);
  // A host sweep still running when the next is due is not started twice.
  await vi.advanceTimersByTimeAsync(3_600_000);
  expect(calls.hosts).toBe(1);
  release();
  await vi.advanceTimersByTimeAsync(3_600_000);
  expect(calls.hosts).toBe(2);
  await stop();
  await vi.advanceTimersByTimeAsync(10 * 3_600_000);
  expect(calls.hosts).toBe(2);
});
