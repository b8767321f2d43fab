/** One page of a list: `next` is the cursor of the following page, `null` at the end. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** What page of a list to read: at most `limit` items, after `cursor` (an opaque string from a previous page). */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/**
 * Response schemas of list pages (made by `pageOf` in core/schemas.ts), whose `next` the API
 * seals (lib/cursor.ts). Kept here, apart from the schemas, so the HTTP layer asks without
 * loading zod.
 */
const PAGE_SCHEMAS = new WeakSet<object>();

/** Marks a response schema as a list page. */
export function markPageSchema<T extends object>(schema: T): T {
  PAGE_SCHEMAS.add(schema);
  return schema;
}

/** Whether a response schema is a list page (its `next` is a cursor). */
export function isPageSchema(schema: object | undefined): boolean {
  return schema !== undefined && PAGE_SCHEMAS.has(schema);
}
