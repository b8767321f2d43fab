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
