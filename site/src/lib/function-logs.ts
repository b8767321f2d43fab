/**
 * The live tail of a deployment's function logs (`GET /v1/deployments/{id}/logs`), without the
 * DOM: the deployment page renders what it hands out, the unit tests drive it with a fake API and
 * a fake clock.
 *
 * The API (functions/src/handlers/http/deployment-events.ts):
 * `?function=<name>&level=<info|warn|error>&since=<ISO, inclusive>&limit=<1-1000>&cursor=` →
 * `{ items: [{ time (ISO), function, level, message, requestId? }], next? }`, oldest first; `next`
 * continues after the last line returned.
 *
 * Each poll asks for `since` = the newest time already shown and follows `next` while pages come
 * back full, so lines logged in the same millisecond as the newest one are asked for again: they
 * are told apart from the ones already shown by counting, so a line is never shown twice and two
 * identical lines (same millisecond, function, request and text) are both shown.
 */
import type { FunctionLogLine, FunctionLogsPage } from './types.ts';

export const LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the tail shows: one function (by name) and one level, or all of them. */
export interface LogFilter {
  function?: string;
  level?: LogLevel;
}

/** `/v1/deployments/{id}/logs?…` for a filter, a `since` (ISO), a page size and a page cursor. */
export function logsPath(deploymentId: string, filter: LogFilter, since?: string, limit?: number, cursor?: string): string {
  const q = new URLSearchParams();
  if (filter.function) q.set('function', filter.function);
  if (filter.level) q.set('level', filter.level);
  if (since) q.set('since', since);
  if (limit) q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  const query = q.toString();
  return `/v1/deployments/${encodeURIComponent(deploymentId)}/logs${query ? `?${query}` : ''}`;
}

const keyOf = (l: FunctionLogLine): string => JSON.stringify([l.function, l.level, l.requestId ?? '', l.message]);

/**
 * Which lines of a poll are new: everything after the newest time seen so far, and, at that very
 * time, only as many of each line as were not counted before.
 */
export class LogDeduper {
  #newest = Number.NEGATIVE_INFINITY;
  #newestIso: string | undefined;
  /** Line key → how many were shown at `#newest`. */
  #atNewest = new Map<string, number>();

  /** The `since` of the next poll: the newest time shown (ISO), or undefined before the first line. */
  get since(): string | undefined {
    return this.#newestIso;
  }

  /** The lines of one poll (all its pages) that were not shown yet, oldest first. */
  accept(lines: readonly FunctionLogLine[]): FunctionLogLine[] {
    const sorted = lines
      .map((line, i) => ({ line, i, t: Date.parse(line.time) }))
      .filter((x) => !Number.isNaN(x.t))
      .sort((a, b) => a.t - b.t || a.i - b.i);
    const fresh: FunctionLogLine[] = [];
    const seenNow = new Map<string, number>();
    for (const { line, t } of sorted) {
      if (t < this.#newest) continue; // before `since`: an API that ignored it; shown already
      const key = keyOf(line);
      if (t === this.#newest) {
        const n = (seenNow.get(key) ?? 0) + 1;
        seenNow.set(key, n);
        if (n <= (this.#atNewest.get(key) ?? 0)) continue;
        this.#atNewest.set(key, n);
      } else {
        this.#newest = t;
        this.#newestIso = line.time;
        this.#atNewest = new Map([[key, 1]]);
        seenNow.clear();
        seenNow.set(key, 1);
      }
      fresh.push(line);
    }
    return fresh;
  }
}

export type TailState =
  | { kind: 'live' }
  | { kind: 'paused' }
  | { kind: 'hidden' }
  | { kind: 'error'; message: string };

export interface TailOptions {
  deploymentId: string;
  /** GETs an API path (the console's `api()`); throws on a non-2xx answer. */
  get: (path: string) => Promise<FunctionLogsPage>;
  /** New lines, oldest first; `reset` when the filter changed and what is shown must be cleared first. */
  onLines: (lines: FunctionLogLine[], reset: boolean) => void;
  onState: (state: TailState) => void;
  /** True while a poll is in flight (the page marks its log region `aria-busy`, so screen readers announce a poll's lines together). */
  onBusy?: (busy: boolean) => void;
  /** Whether the tab is visible (`document.visibilityState === 'visible'`). */
  visible: () => boolean;
  /** Milliseconds between polls. @default 2000 */
  intervalMs?: number;
  /** Lines asked for per page (the API's `limit`, at most 1000). @default 200 */
  pageSize?: number;
  /** Pages one poll follows at most (a flood is read over several polls). @default 10 */
  maxPages?: number;
}

/**
 * Polls the logs every `intervalMs` while running and the tab is visible; `pause()`/`resume()`
 * stop and restart it, `setFilter()` starts over with an empty view. One poll at a time; a poll
 * started before a filter change or pause is thrown away when it returns.
 */
export class LogTail {
  readonly #o: Required<TailOptions>;
  #filter: LogFilter = {};
  #dedup = new LogDeduper();
  #generation = 0;
  #running = false;
  #polling = false;
  #reset = true;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: TailOptions) {
    this.#o = { intervalMs: 2000, pageSize: 200, maxPages: 10, onBusy: () => undefined, ...options };
  }

  get running(): boolean {
    return this.#running;
  }

  get filter(): LogFilter {
    return { ...this.#filter };
  }

  /** Starts (or resumes) the tail: polls now, then every interval. */
  resume(): void {
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops polling; what is shown stays. */
  pause(): void {
    this.#running = false;
    this.#generation++;
    this.#clear();
    this.#o.onState({ kind: 'paused' });
  }

  /** Shows only lines matching `filter`, from the start. */
  setFilter(filter: LogFilter): void {
    this.#filter = { ...filter };
    this.#dedup = new LogDeduper();
    this.#reset = true;
    this.#generation++;
    if (this.#running) this.#schedule(0);
  }

  /** Call on `visibilitychange`: a hidden tab stops polling, a visible one polls at once. */
  visibilityChanged(): void {
    if (!this.#running) return;
    if (this.#o.visible()) this.#schedule(0);
    else {
      this.#clear();
      this.#o.onState({ kind: 'hidden' });
    }
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    this.#clear();
    if (!this.#running) return;
    if (!this.#o.visible()) {
      this.#o.onState({ kind: 'hidden' });
      return;
    }
    this.#timer = setTimeout(() => void this.#poll(), ms);
  }

  async #poll(): Promise<void> {
    this.#timer = undefined;
    // A poll in flight reschedules when it ends (with the newest generation).
    if (this.#polling) return;
    this.#polling = true;
    this.#o.onBusy(true);
    const generation = this.#generation;
    try {
      const lines: FunctionLogLine[] = [];
      const since = this.#dedup.since;
      let cursor: string | undefined;
      for (let pages = 0; pages < this.#o.maxPages; pages++) {
        const page = await this.#o.get(logsPath(this.#o.deploymentId, this.#filter, since, this.#o.pageSize, cursor));
        if (generation !== this.#generation) return;
        lines.push(...page.items);
        // A page that is not full is the end for now (the API hands out `next` even then).
        if (!page.next || page.items.length < this.#o.pageSize) break;
        cursor = page.next;
      }
      const fresh = this.#dedup.accept(lines);
      if (fresh.length > 0 || this.#reset) {
        this.#o.onLines(fresh, this.#reset);
        this.#reset = false;
      }
      if (this.#running) this.#o.onState({ kind: 'live' });
    } catch (error) {
      if (generation === this.#generation && this.#running) this.#o.onState({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
    } finally {
      this.#polling = false;
      if (this.#running && this.#timer === undefined) this.#schedule(generation === this.#generation ? this.#o.intervalMs : 0);
      this.#o.onBusy(false);
    }
  }
}
