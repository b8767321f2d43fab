import { ValidationError } from '#core/errors';
import type { Page, PageRequest } from '#core/page';

/**
 * Paging over an in-memory list, with the DynamoDB adapter's guarantees: a cursor is opaque,
 * resumes right after the item it was made from, and is refused (`invalid_cursor`) on any other
 * list. `items` must be sorted in the list's order, with unique `keyOf`.
 */
export function pageOf<T>(items: readonly T[], list: { partition: string; keyOf: (item: T) => string; order: 'asc' | 'desc' }, page: PageRequest): Page<T> {
  let rest = items;
  if (page.cursor !== undefined) {
    const after = keyIn(page.cursor, list.partition);
    rest = items.filter((item) => (list.order === 'asc' ? list.keyOf(item) > after : list.keyOf(item) < after));
  }
  const slice = rest.slice(0, page.limit);
  const last = slice.at(-1);
  return { items: slice, next: rest.length > page.limit && last !== undefined ? cursorOf(list.partition, list.keyOf(last)) : null };
}

/** The cursor that resumes a list of `partition` right after the item of `key`. */
export function cursorOf(partition: string, key: string): string {
  return Buffer.from(JSON.stringify({ p: partition, k: key }), 'utf8').toString('base64url');
}

/** Sorts by `keyOf` in `order`. */
export function sortedBy<T>(items: Iterable<T>, keyOf: (item: T) => string, order: 'asc' | 'desc'): T[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -sign : keyOf(a) > keyOf(b) ? sign : 0));
}

function keyIn(cursor: string, partition: string): string {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw invalidCursor(cause);
  }
  const { p, k } = (decoded ?? {}) as { p?: unknown; k?: unknown };
  if (typeof decoded !== 'object' || Array.isArray(decoded) || Object.keys(decoded as object).length !== 2 || p !== partition || typeof k !== 'string') {
    throw invalidCursor();
  }
  return k;
}

function invalidCursor(cause?: unknown): ValidationError {
  return new ValidationError('invalid_cursor', 'The cursor is not valid for this list; start again without it', {}, { cause });
}
