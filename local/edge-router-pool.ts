import { Worker } from 'node:worker_threads';
import type { CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import type { RouteOptions } from '../functions/src/core/routing/router.ts';
import type { FunctionAnswer } from './functions/host.ts';

/** The router's answer when a function serves the request (the local edge runs it in its main thread). */
export interface FunctionRoute {
  kind: 'function';
  deploymentId: string;
  /** The visitor's path inside the deployment (after `/d/<id>`). */
  path: string;
  answer: FunctionAnswer;
}

/** What routing one request gives. */
export type Routed = CloudFrontRequest | CloudFrontResultResponse | FunctionRoute;

/** What a routing thread is started with (structured-cloned). */
export interface RouterWorkerData {
  maxCachedIndexes: number;
  routeOptions?: RouteOptions;
}

export type ToWorker =
  /** `request`: a CloudFrontRequest as JSON (a string crosses threads faster than the object's clone). */
  | { type: 'route'; id: number; request: string }
  | { type: 'read'; rid: number; text?: string; error?: string };

export type ToMain =
  | { type: 'ready' }
  | { type: 'read'; rid: number; key: string }
  /** `result`: the handler's CloudFrontRequest | CloudFrontResultResponse, or a {@link FunctionRoute}, as JSON. */
  | { type: 'done'; id: number; result: string }
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
  resolve: (result: Routed) => void;
  reject: (error: unknown) => void;
  timer?: NodeJS.Timeout;
  /** performance.now() when sent to a thread. */
  sentAt?: number;
}

interface Slot {
  worker: Worker;
  /** The thread has loaded its modules (start-up time does not count against a task's bound). */
  ready: boolean;
  /** Tasks sent to the thread and not answered yet, in the order sent (it runs them in that order). */
  tasks: Map<number, Task>;
  /** Index reads that failed, by message: the original error keeps its 503/502 mapping. */
  readErrors: Map<string, unknown>;
}

/**
 * Tasks in flight per thread: several are sent at once so a thread answers a burst per wake-up
 * (the routing itself takes microseconds; the thread hop dominates).
 */
const TASKS_PER_THREAD = 8;
/**
 * A thread whose oldest task has run this long (ms) gets no more until it answers: routing takes
 * microseconds, so it may be stuck, and a task queued behind a stuck one waits for the bound.
 */
const SUSPECT_AFTER_MS = 5;

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
  route(request: CloudFrontRequest): Promise<Routed> {
    if (this.closed) return Promise.reject(new Error('the router pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminate every thread; waiting and running tasks reject. */
  async close(): Promise<void> {
    this.closed = true;
    const closed = new Error('the router pool is closed');
    for (const task of this.queue.splice(0)) task.reject(closed);
    await Promise.all(
      this.slots.map((slot) => {
        for (const task of slot.tasks.values()) {
          clearTimeout(task.timer);
          task.reject(closed);
        }
        slot.tasks.clear();
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
    const slot: Slot = { worker, ready: false, tasks: new Map(), readErrors: new Map() };
    worker.on('message', (message: ToMain) => this.onMessage(slot, message));
    worker.on('error', (error) => this.replace(slot, undefined, error));
    worker.on('exit', () => {
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, undefined, new Error('a routing thread exited'));
    });
    return slot;
  }

  private onMessage(slot: Slot, message: ToMain): void {
    if (message.type === 'ready') {
      slot.ready = true;
      if (this.slots.every((s) => s.ready)) for (const resolve of this.readyWaiters.splice(0)) resolve();
      return this.dispatch();
    }
    if (message.type === 'read') {
      this.options.read(message.key).then(
        (text) => slot.worker.postMessage({ type: 'read', rid: message.rid, ...(text === undefined ? {} : { text }) } satisfies ToWorker),
        (error: unknown) => {
          const text = error instanceof Error ? error.message : String(error);
          if (slot.readErrors.size >= 100) slot.readErrors.clear();
          slot.readErrors.set(text, error);
          slot.worker.postMessage({ type: 'read', rid: message.rid, error: text } satisfies ToWorker);
        },
      );
      return;
    }
    const task = slot.tasks.get(message.id);
    if (!task) return;
    clearTimeout(task.timer);
    slot.tasks.delete(message.id);
    if (message.type === 'done') task.resolve(JSON.parse(message.result) as Routed);
    else task.reject(slot.readErrors.get(message.message) ?? new Error(message.message));
    this.dispatch();
  }

  /**
   * Terminate the slot's thread and give the slot a fresh one. `stuck` (the task past its bound)
   * or, without it, every task of the thread rejects with `error`; with it, the thread's other
   * tasks (queued behind it, routing is side-effect free) go back to the front of the queue.
   */
  private replace(slot: Slot, stuck: Task | undefined, error: unknown): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (!this.closed) this.slots[i] = this.start();
    void slot.worker.terminate();
    const others: Task[] = [];
    for (const task of slot.tasks.values()) {
      clearTimeout(task.timer);
      if (stuck && task !== stuck) others.push(task);
      else task.reject(error);
    }
    slot.tasks.clear();
    this.queue.unshift(...others);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      const now = performance.now();
      let best: Slot | undefined;
      for (const slot of this.slots) {
        if (!slot.ready || slot.tasks.size >= TASKS_PER_THREAD) continue;
        const oldest = slot.tasks.values().next().value;
        if (oldest && now - oldest.sentAt! > SUSPECT_AFTER_MS) continue;
        if (!best || slot.tasks.size < best.tasks.size) best = slot;
      }
      // Every thread is full or suspect: the next answer (or a replaced thread) dispatches again.
      if (!best) return;
      const slot = best;
      const task = this.queue.shift()!;
      slot.tasks.set(task.id, task);
      task.sentAt = now;
      task.timer = setTimeout(() => this.replace(slot, task, new RouteTimeoutError(this.options.timeoutMs)), this.options.timeoutMs);
      slot.worker.postMessage({ type: 'route', id: task.id, request: JSON.stringify(task.request) } satisfies ToWorker);
    }
  }
}
