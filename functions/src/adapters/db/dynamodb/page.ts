import { ValidationError } from '#core/errors';
import type { Page } from '#core/page';

export type { Page };

/** An ElectroDB query, ready to run one DynamoDB page at a time. */
export interface PagedQuery<T> {
  go(options: { cursor: string | null; limit: number; pages: number; order: 'asc' | 'desc' }): Promise<{ data: T[]; cursor: string | null }>;
}

export interface PageOptions<T> {
  limit: number;
  cursor?: string | undefined;
  order?: 'asc' | 'desc';
  /** The query has a filter expression, so DynamoDB may evaluate more items than it returns. */
  filtered?: boolean;
  /** The cursor that resumes right after `item`. */
  toCursor: (item: T) => string;
  /** Key attribute and value every cursor of this query carries (its partition): a cursor of another list is refused. */
  partition: readonly [field: string, value: string];
  /** Items DynamoDB may evaluate for one page before answering with what it has. @default 1000 */
  maxEvaluated?: number;
}

const FILTERED_BATCH = 100;

/**
 * Runs a key-condition query for one page: DynamoDB starts at the cursor's key
 * (`ExclusiveStartKey`), so the cost of a page does not depend on how deep it is. Reads one item
 * beyond `limit` to know whether another page exists. With filters, it keeps reading batches until
 * the page is full or `maxEvaluated` items were read; then the page may be short, and `next` still
 * resumes exactly where reading stopped.
 */
export async function queryPage<T>(query: PagedQuery<T>, options: PageOptions<T>): Promise<Page<T>> {
  const { limit, order = 'desc', filtered = false, maxEvaluated = 1000 } = options;
  if (options.cursor !== undefined) checkCursor(options.cursor, options.partition);
  const want = limit + 1;
  const items: T[] = [];
  let cursor: string | null = options.cursor ?? null;
  let evaluated = 0;
  do {
    const batch = filtered ? Math.max(want - items.length, FILTERED_BATCH) : want - items.length;
    const result = await query.go({ cursor, limit: batch, pages: 1, order });
    items.push(...result.data);
    evaluated += batch;
    cursor = result.cursor;
  } while (cursor && items.length < want && evaluated < maxEvaluated);

  if (items.length > limit) {
    const page = items.slice(0, limit);
    return { items: page, next: options.toCursor(page[limit - 1] as T) };
  }
  return { items, next: cursor };
}

/** Refuses cursors that are not ours or that belong to another list (another project or team). */
function checkCursor(cursor: string, [field, value]: readonly [string, string]): void {
  let keys: unknown;
  try {
    keys = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw invalidCursor(cause);
  }
  // Exactly the table's and the index's key attributes: anything else makes DynamoDB refuse the start key.
  const expected = new Set(['pk', 'sk', field, field.replace(/pk$/, 'sk')]);
  const valid =
    typeof keys === 'object' &&
    keys !== null &&
    !Array.isArray(keys) &&
    Object.keys(keys).length === expected.size &&
    Object.entries(keys).every(([k, v]) => expected.has(k) && typeof v === 'string' && v.length > 0) &&
    (keys as Record<string, string>)[field] === value;
  if (!valid) throw invalidCursor();
}

function invalidCursor(cause?: unknown): ValidationError {
  return new ValidationError('invalid_cursor', 'The cursor is not valid for this list; start again without it', {}, { cause });
}
