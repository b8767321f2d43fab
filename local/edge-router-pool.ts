import { Worker } from 'node:worker_threads';
import type { CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import type { RouteOptions } from '../functions/src/core/routing/router.ts';

/** What a routing thread is started with (structured-cloned). */
export interface RouterWorkerData {
  maxCachedIndexes: number;
  routeOptions?: RouteOptions;
}

export type ToWorker =
  | { type: 'route'; id: number; request: CloudFrontRequest }
  | { type: 'read'; rid: number; text?: string; error?: string };

export type ToMain =
  | { type: 'ready' }
  | { type: 'read'; rid: number; key: string }
  | { type: 'done'; id: number; result: CloudFrontRequest | CloudFrontResultResponse }
  | { type: 'failed'; id: number; message: string };

/** The routing step of one request ran past the pool's bound; its thread was terminated. */
export class RouteTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`routing took more than ${timeoutMs} ms`);
    this.name = 'RouteTimeoutError';
  }
}

export interface RouterPoolOptions {
  /** Routing threads. @default 2 */
  size?: number;
  /** A routing step running longer than this many ms is abandoned (its thread terminated and replaced). */
  timeoutMs: number;
  /** The text of an artifact-bucket object (a deployment index), `undefined` when it does not exist. */
  read: (key: string) => Promise<string | undefined>;
  /** Deployment indexes kept in memory by each thread. */
  maxCachedIndexes: number;
  routeOptions?: RouteOptions;
}

interface Task {
  id: number;
  request: CloudFrontRequest;
  resolve: (result: CloudFrontRequest | CloudFrontResultResponse) => void;
  reject: (error: unknown) => void;
  /** The original error of an index read that failed for this task (kept for its 503/502 mapping). */
  readError?: unknown;
}

interface Slot {
  worker: Worker;
  /** The thread has loaded its modules (start-up time does not count against a task's bound). */
  ready: boolean;
  task?: Task;
  timer?: NodeJS.Timeout;
}

const WORKER = new URL('./edge-router-worker.ts', import.meta.url);

/**
 * The local edge's origin-request step (the router over the deployment index) on a few
 * `node:worker_threads` threads, so one request's routing — a catastrophic regular expression in a
 * route `src` that got past the builder's check — cannot block the event loop that serves every
 * other request and the API. A task still running after `timeoutMs` rejects with
 * {@link RouteTimeoutError} and its thread is terminated (`worker.terminate()` stops it even inside
 * a synchronous regex match: https://nodejs.org/api/worker_threads.html#workerterminate) and
 * replaced. Waiting tasks run in arrival order. In AWS the same handler runs in Lambda@Edge, whose
 * function timeout bounds it instead.
 */
export class RouterPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private closed = false;
  private readonly readyWaiters: Array<() => void> = [];

  constructor(private readonly options: RouterPoolOptions) {
    for (let i = 0; i < (options.size ?? 2); i++) this.slots.push(this.start());
  }

  /** Resolves once every thread has loaded its modules (a few hundred ms after start; requests may come before). */
  ready(): Promise<void> {
    if (this.slots.every((slot) => slot.ready)) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Route one request (see createOriginRequestHandler). Rejects with RouteTimeoutError past the bound, or with the handler's error. */
  route(request: CloudFrontRequest): Promise<CloudFrontRequest | CloudFrontResultResponse> {
    if (this.closed) return Promise.reject(new Error('the router pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminate every thread; waiting and running tasks reject. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('the router pool is closed'));
    await Promise.all(
      this.slots.map((slot) => {
        clearTimeout(slot.timer);
        slot.task?.reject(new Error('the router pool is closed'));
        slot.task = undefined;
        return slot.worker.terminate();
      }),
    );
  }

  private start(): Slot {
    // tsx compiles the TypeScript sources in the thread, as it does for `npm start`.
    const worker = new Worker(WORKER, {
      execArgv: ['--import', 'tsx'],
      workerData: { maxCachedIndexes: this.options.maxCachedIndexes, ...(this.options.routeOptions ? { routeOptions: this.options.routeOptions } : {}) } satisfies RouterWorkerData,
    });
    worker.unref();
    const slot: Slot = { worker, ready: false };
    worker.on('message', (message: ToMain) => this.onMessage(slot, message));
    worker.on('error', (error) => this.replace(slot, error));
    worker.on('exit', () => {
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, new Error('a routing thread exited'));
    });
    return slot;
  }

  private onMessage(slot: Slot, message: ToMain): void {
    const task = slot.task;
    if (message.type === 'ready') {
      slot.ready = true;
      if (this.slots.every((s) => s.ready)) for (const resolve of this.readyWaiters.splice(0)) resolve();
      return this.dispatch();
    }
    if (message.type === 'read') {
      this.options.read(message.key).then(
        (text) => slot.worker.postMessage({ type: 'read', rid: message.rid, ...(text === undefined ? {} : { text }) } satisfies ToWorker),
        (error: unknown) => {
          if (task) task.readError = error;
          slot.worker.postMessage({ type: 'read', rid: message.rid, error: error instanceof Error ? error.message : String(error) } satisfies ToWorker);
        },
      );
      return;
    }
    if (!task || task.id !== message.id) return;
    clearTimeout(slot.timer);
    slot.task = undefined;
    if (message.type === 'done') task.resolve(message.result);
    else task.reject(task.readError ?? new Error(message.message));
    this.dispatch();
  }

  /** Abandon the slot's task (if any) and give the slot a fresh thread. */
  private replace(slot: Slot, error: unknown): void {
    clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = undefined;
    const i = this.slots.indexOf(slot);
    if (i >= 0 && !this.closed) this.slots[i] = this.start();
    void slot.worker.terminate();
    task?.reject(error);
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0 || this.closed) return;
      if (slot.task || !slot.ready) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.timer = setTimeout(() => this.replace(slot, new RouteTimeoutError(this.options.timeoutMs)), this.options.timeoutMs);
      slot.worker.postMessage({ type: 'route', id: task.id, request: task.request } satisfies ToWorker);
    }
  }
}
