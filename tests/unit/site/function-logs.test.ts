import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { LogDeduper, LogTail, logsPath, type TailState } from '../../../site/src/lib/function-logs.ts';
import type { FunctionLogLine, FunctionLogsPage } from '../../../site/src/lib/types.ts';

const line = (time: string, message: string, extra: Partial<FunctionLogLine> = {}): FunctionLogLine => ({
  time,
  function: 'api/hello',
  level: 'info',
  message,
  ...extra,
});
const T0 = '2026-12-06T21:00:00.000Z';
const T1 = '2026-12-06T21:00:01.000Z';
const T2 = '2026-12-06T21:00:02.000Z';

describe('logsPath', () => {
  test('puts the filter, since and cursor in the query, encoded', () => {
    expect(logsPath('dpl_1', {})).toBe('/v1/deployments/dpl_1/logs');
    const path = logsPath('dpl_1', { function: 'api/[id]', level: 'error' }, T1, 50, 'c/1');
    const url = new URL(path, 'http://x');
    expect(url.pathname).toBe('/v1/deployments/dpl_1/logs');
    expect(Object.fromEntries(url.searchParams)).toEqual({ function: 'api/[id]', level: 'error', since: T1, limit: '50', cursor: 'c/1' });
  });
});

describe('LogDeduper', () => {
  test('a line asked for again at the newest time is not shown twice; a new one at that time is', () => {
    const d = new LogDeduper();
    expect(d.since).toBeUndefined();
    expect(d.accept([line(T0, 'a'), line(T1, 'b')]).map((l) => l.message)).toEqual(['a', 'b']);
    expect(d.since).toBe(T1);
    // The next poll (since = T1) gets b again, plus c in the same millisecond, plus d later.
    expect(d.accept([line(T1, 'b'), line(T1, 'c'), line(T2, 'd')]).map((l) => l.message)).toEqual(['c', 'd']);
    expect(d.since).toBe(T2);
    expect(d.accept([line(T2, 'd')])).toEqual([]);
  });

  test('two identical lines in one millisecond are both shown, once each', () => {
    const d = new LogDeduper();
    expect(d.accept([line(T1, 'same')])).toHaveLength(1);
    // The second identical line was logged after the first poll read the first one.
    expect(d.accept([line(T1, 'same'), line(T1, 'same')])).toHaveLength(1);
    expect(d.accept([line(T1, 'same'), line(T1, 'same')])).toHaveLength(0);
  });

  test('lines of other functions, levels or requests in the same millisecond are different lines', () => {
    const d = new LogDeduper();
    d.accept([line(T1, 'x')]);
    const fresh = d.accept([line(T1, 'x'), line(T1, 'x', { function: 'api/other' }), line(T1, 'x', { level: 'error' }), line(T1, 'x', { requestId: 'r2' })]);
    expect(fresh).toHaveLength(3);
  });

  test('lines before the newest time (an API that ignored since) and unparseable times are dropped; order is by time', () => {
    const d = new LogDeduper();
    d.accept([line(T1, 'b')]);
    expect(d.accept([line(T0, 'a'), line('not a time', 'z'), line(T2, 'c')]).map((l) => l.message)).toEqual(['c']);
    const e = new LogDeduper();
    expect(e.accept([line(T2, 'late'), line(T0, 'early')]).map((l) => l.message)).toEqual(['early', 'late']);
  });
});

/**
 * A fake logs API answering as the real one does: lines by time; function, level, since
 * (inclusive), `limit` per page, and a `next` cursor whenever a line matched — also on the last page.
 */
function fakeApi() {
  const lines: FunctionLogLine[] = [];
  const calls: string[] = [];
  let failNext: Error | undefined;
  const get = async (path: string): Promise<FunctionLogsPage> => {
    calls.push(path);
    if (failNext) {
      const e = failNext;
      failNext = undefined;
      throw e;
    }
    const q = new URL(path, 'http://x').searchParams;
    const since = q.get('since');
    const matching = lines.filter(
      (l) => (!q.get('function') || l.function === q.get('function')) && (!q.get('level') || l.level === q.get('level')) && (!since || Date.parse(l.time) >= Date.parse(since)),
    );
    const from = Number(q.get('cursor') ?? 0);
    const items = matching.slice(from, from + Number(q.get('limit')));
    return { items, ...(matching.length > 0 ? { next: String(from + items.length) } : {}) };
  };
  return { lines, calls, get, fail: (e: Error) => (failNext = e) };
}

describe('LogTail', () => {
  let visible: boolean;
  let shown: string[];
  let states: TailState[];
  let resets: number;

  beforeEach(() => {
    vi.useFakeTimers();
    visible = true;
    shown = [];
    states = [];
    resets = 0;
  });
  afterEach(() => vi.useRealTimers());

  function tailOf(api: ReturnType<typeof fakeApi>) {
    return new LogTail({
      deploymentId: 'dpl_1',
      get: api.get,
      visible: () => visible,
      onLines: (lines, reset) => {
        if (reset) {
          resets++;
          shown = [];
        }
        shown.push(...lines.map((l) => l.message));
      },
      onState: (s) => states.push(s),
      pageSize: 2,
    });
  }

  test('reads every page at once, then polls every 2 s with since = the newest time shown, never showing a line twice', async () => {
    const api = fakeApi();
    api.lines.push(line(T0, 'a'), line(T0, 'b'), line(T1, 'c'));
    const tail = tailOf(api);
    tail.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(shown).toEqual(['a', 'b', 'c']);
    // Two pages of 2: the second is not full, so the poll stops there although it has a `next`.
    expect(api.calls.map((c) => new URL(c, 'http://x').searchParams.get('cursor'))).toEqual([null, '2']);
    expect(states.at(-1)).toEqual({ kind: 'live' });

    api.lines.push(line(T1, 'd'), line(T2, 'e'));
    await vi.advanceTimersByTimeAsync(1999);
    expect(shown).toEqual(['a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(1);
    expect(shown).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(new URL(api.calls[2]!, 'http://x').searchParams.get('since')).toBe(T1);

    // Nothing new: the next polls add nothing.
    await vi.advanceTimersByTimeAsync(4000);
    expect(shown).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(new URL(api.calls.at(-1)!, 'http://x').searchParams.get('since')).toBe(T2);
    tail.pause();
  });

  test('pause stops polling and keeps what is shown; resume polls at once and continues after the last line', async () => {
    const api = fakeApi();
    api.lines.push(line(T0, 'a'));
    const tail = tailOf(api);
    tail.resume();
    await vi.advanceTimersByTimeAsync(0);
    tail.pause();
    expect(tail.running).toBe(false);
    expect(states.at(-1)).toEqual({ kind: 'paused' });
    const calls = api.calls.length;
    api.lines.push(line(T1, 'b'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.calls).toHaveLength(calls);
    expect(shown).toEqual(['a']);
    tail.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(shown).toEqual(['a', 'b']);
    expect(resets).toBe(1);
    tail.pause();
  });

  test('a hidden tab is not polled; becoming visible polls at once', async () => {
    const api = fakeApi();
    const tail = tailOf(api);
    tail.resume();
    await vi.advanceTimersByTimeAsync(0);
    const calls = api.calls.length;
    visible = false;
    tail.visibilityChanged();
    expect(states.at(-1)).toEqual({ kind: 'hidden' });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(api.calls).toHaveLength(calls);
    api.lines.push(line(T1, 'while hidden'));
    visible = true;
    tail.visibilityChanged();
    await vi.advanceTimersByTimeAsync(0);
    expect(shown).toEqual(['while hidden']);
    tail.pause();
  });

  test('a filter change starts over with the filter in the query, and a poll in flight for the old filter is thrown away', async () => {
    const api = fakeApi();
    api.lines.push(line(T0, 'info one'), line(T1, 'boom', { level: 'error' }), line(T1, 'other fn', { function: 'api/other' }));
    let release: (() => void) | undefined;
    const slow = async (path: string) => {
      if (!release && !path.includes('level=')) await new Promise<void>((r) => (release = r));
      return api.get(path);
    };
    const tail = new LogTail({
      deploymentId: 'dpl_1',
      pageSize: 10,
      get: slow,
      visible: () => true,
      onLines: (lines, reset) => {
        if (reset) shown = [];
        shown.push(...lines.map((l) => l.message));
      },
      onState: () => undefined,
    });
    tail.resume();
    await vi.advanceTimersByTimeAsync(0); // the unfiltered poll hangs
    tail.setFilter({ level: 'error', function: 'api/hello' });
    await vi.advanceTimersByTimeAsync(0); // refused while one is in flight
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(shown).toEqual(['boom']);
    const last = new URL(api.calls.at(-1)!, 'http://x').searchParams;
    expect(last.get('level')).toBe('error');
    expect(last.get('function')).toBe('api/hello');
    expect(last.get('since')).toBeNull();
    tail.pause();
  });

  test('an API error is reported and the tail retries on the next tick', async () => {
    const api = fakeApi();
    api.lines.push(line(T0, 'a'));
    api.fail(new Error('The API answered 500.'));
    const tail = tailOf(api);
    tail.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toEqual({ kind: 'error', message: 'The API answered 500.' });
    expect(shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(shown).toEqual(['a']);
    expect(states.at(-1)).toEqual({ kind: 'live' });
    tail.pause();
  });
});
