import { describe, expect, test } from 'vitest';
import { queryPage, type PagedQuery } from '../../../functions/src/adapters/db/dynamodb/page.ts';

/**
 * An in-memory stand-in for an ElectroDB query over a sorted partition: honours the cursor as an
 * exclusive start key and `limit` as DynamoDB's Limit (items evaluated, before the filter).
 */
function fakeQuery(size: number, keep: (n: number) => boolean = () => true) {
  const partition = Array.from({ length: size }, (_, i) => i);
  const calls: number[] = [];
  const encode = (n: number) => Buffer.from(JSON.stringify({ pk: 'p#1', sk: String(n), gsi1pk: 'g#1', gsi1sk: `s#${String(n).padStart(6, '0')}` })).toString('base64url');
  const decode = (c: string) => Number(JSON.parse(Buffer.from(c, 'base64url').toString()).sk);
  const query: PagedQuery<number> = {
    async go({ cursor, limit }) {
      calls.push(limit);
      const start = cursor ? partition.indexOf(decode(cursor)) + 1 : 0;
      const evaluated = partition.slice(start, start + limit);
      const last = evaluated.at(-1);
      const more = start + limit < partition.length;
      return { data: evaluated.filter(keep), cursor: more && last !== undefined ? encode(last) : null };
    },
  };
  return { query, calls, toCursor: encode, partition: ['gsi1pk', 'g#1'] as const };
}

async function walk(f: ReturnType<typeof fakeQuery>, limit: number, filtered = false) {
  const seen: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await queryPage(f.query, { limit, cursor, filtered, toCursor: f.toCursor, partition: f.partition });
    seen.push(...page.items);
    cursor = page.next ?? undefined;
    pages++;
  } while (cursor);
  return { seen, pages };
}

describe('queryPage', () => {
  test('walks a partition once, in order, limit items a page, and ends with next: null', async () => {
    const f = fakeQuery(45);
    const { seen, pages } = await walk(f, 20);
    expect(seen).toEqual(f.partition.length ? Array.from({ length: 45 }, (_, i) => i) : []);
    expect(pages).toBe(3);
  });

  test('an exactly full last page is not followed by an empty one', async () => {
    expect((await walk(fakeQuery(40), 20)).pages).toBe(2);
  });

  test('a page reads limit + 1 items, whatever its depth', async () => {
    const f = fakeQuery(10_000);
    await walk(f, 20);
    expect(new Set(f.calls)).toEqual(new Set([21]));
  });

  test('with a filter it reads in batches until the page is full, and misses nothing', async () => {
    const f = fakeQuery(1000, (n) => n % 7 === 0);
    const { seen } = await walk(f, 10, true);
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i).filter((n) => n % 7 === 0));
  });

  test('a very selective filter answers a short page after the read budget, with a cursor to continue', async () => {
    const f = fakeQuery(5000, (n) => n === 4321);
    const first = await queryPage(f.query, { limit: 5, filtered: true, toCursor: f.toCursor, partition: f.partition });
    expect(first.items).toEqual([]);
    expect(first.next).not.toBeNull();
    expect(f.calls.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
  });

  test.each([
    ['not base64 JSON', 'nonsense'],
    ['another partition', Buffer.from(JSON.stringify({ pk: 'p', sk: 's', gsi1pk: 'g#2', gsi1sk: 'x' })).toString('base64url')],
    ['extra attributes', Buffer.from(JSON.stringify({ pk: 'p', sk: 's', gsi1pk: 'g#1', gsi1sk: 'x', admin: 'y' })).toString('base64url')],
    ['non-string values', Buffer.from(JSON.stringify({ pk: 'p', sk: 1, gsi1pk: 'g#1', gsi1sk: 'x' })).toString('base64url')],
  ])('a cursor with %s is refused as invalid_cursor before any read', async (_, cursor) => {
    const f = fakeQuery(10);
    await expect(queryPage(f.query, { limit: 5, cursor, toCursor: f.toCursor, partition: f.partition })).rejects.toMatchObject({ code: 'invalid_cursor' });
    expect(f.calls).toEqual([]);
  });
});
