import { afterEach, expect, test, vi } from 'vitest';
import { cachedReads } from '../../../local/edge.ts';

afterEach(() => {
  vi.useRealTimers();
});

function counting(values: Record<string, string>) {
  const calls: string[] = [];
  const read = async (key: string) => {
    calls.push(key);
    return values[key];
  };
  return { calls, read };
}

test('a read is reused within the TTL and read again after it', async () => {
  vi.useFakeTimers({ toFake: ['performance'] });
  const values: Record<string, string> = { host: 'dpl_a' };
  const { calls, read } = counting(values);
  const get = cachedReads(read, 250);
  expect(await get('host')).toBe('dpl_a');
  values.host = 'dpl_b';
  vi.advanceTimersByTime(249);
  expect(await get('host')).toBe('dpl_a');
  vi.advanceTimersByTime(2);
  expect(await get('host')).toBe('dpl_b');
  expect(calls).toEqual(['host', 'host']);
});

test('missing keys are cached like values; failed reads are not', async () => {
  let fail = true;
  const read = vi.fn(async (key: string) => {
    if (key === 'flaky' && fail) throw new Error('emulator down');
    return undefined;
  });
  const get = cachedReads(read, 10_000);
  expect(await get('nope')).toBeUndefined();
  expect(await get('nope')).toBeUndefined();
  await expect(get('flaky')).rejects.toThrow('emulator down');
  fail = false;
  expect(await get('flaky')).toBeUndefined();
  expect(read).toHaveBeenCalledTimes(3);
});

test('the cache holds a bounded number of keys (Host headers are caller-chosen)', async () => {
  const { calls, read } = counting({});
  const get = cachedReads(read, 10_000, 3);
  for (const key of ['a', 'b', 'c', 'd']) await get(key);
  await get('d');
  await get('a');
  expect(calls).toEqual(['a', 'b', 'c', 'd', 'a']);
});
