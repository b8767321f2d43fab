/**
 * The local stand-in for Lambda running user functions (ARCHITECTURE.md "Running it locally"): each
 * function instance is its own worker PROCESS (functions/src/launcher/worker.ts), never code in the
 * platform process. Like a Lambda execution environment, a worker answers one request at a time;
 * concurrent requests start more workers (up to `maxWorkersPerFunction`), idle ones are reused while
 * warm and stopped after `idleMs`.
 *
 * Isolation: a worker's environment is only the function's own `environment` plus the deployment's
 * env vars (plus PATH/HOME/TMPDIR/TZ): no platform credentials, no AWS_* variables; it gets its own
 * temp dir, `--max-old-space-size` from the function's `memory`, and is killed when it passes
 * `maxDuration` (504 FUNCTION_INVOCATION_TIMEOUT) or dies (500 FUNCTION_INVOCATION_FAILED; the next
 * request starts a fresh worker). Network reach limits will come from the build sandbox through
 * `wrapCommand` (local/sandbox is not used here yet).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import type { FunctionConfig } from '#core/functions/index';
import { LAMBDA_LIMITS } from '#core/functions/index';
import { errorResponse } from '../../functions/src/launcher/launcher.ts';
import { decodePrelude, eventFromRequest, type FunctionResponse, type FunctionUrlEvent } from '../../functions/src/launcher/protocol.ts';

/** A function the runner can start: where its `.func` files are and how to run it. */
export interface RunnableFunction {
  /** Unique per deployment and function, e.g. `dpl_123:api/hello`; workers are pooled by it. */
  readonly key: string;
  /** Absolute path of the function's directory (its `.func` contents). */
  readonly dir: string;
  readonly config: FunctionConfig;
  /** The deployment's runtime env vars for this function (build-only ones excluded by the caller). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Supplementary groups its workers run with (a sandbox in root mode): the group that may read
   * `dir`, so no other function's worker can. @default none
   */
  readonly groups?: readonly number[];
}

export interface FunctionLogLine {
  /** The function's `key`. */
  readonly function: string;
  readonly stream: 'stdout' | 'stderr';
  /** One log event: a whole `console.*` call (several lines for a stack), or one raw output line. */
  readonly line: string;
  readonly time: string;
  /**
   * `console.error` → error, `console.warn` → warn, `console.log`/`info`/`debug` → info, as Vercel's
   * runtime logs show them; raw output: stdout → info, stderr → error; START/END/REPORT → info.
   */
  readonly level: 'info' | 'warn' | 'error';
  /** The request the worker was answering when the line was written (one at a time per worker). */
  readonly requestId?: string;
}

/** What the runner starts a worker with; a {@link RunnerOptions.spawnWorker} runs it where it chooses. */
export interface WorkerSpawn {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  /** The worker's own temp dir (its HOME and TMPDIR, where its socket is): it must be able to write it. */
  readonly tempDir: string;
  readonly memoryMb: number;
  /** The function's {@link RunnableFunction.groups}. */
  readonly groups: readonly number[];
}

/** A started worker process: `child.stdout`/`stderr` piped; `close` releases what started it once it exited. */
export interface SpawnedWorker {
  readonly child: ChildProcess;
  close(): Promise<void>;
}

export interface RunnerOptions {
  /** Stop a worker idle this long, ms. @default 300_000 */
  readonly idleMs?: number;
  /** Workers per function at most; further requests wait for one. @default 4 */
  readonly maxWorkersPerFunction?: number;
  /** Receives every line a worker writes. @default kept in memory, see `logs()` */
  readonly onLog?: (line: FunctionLogLine) => void;
  /** The seam for process isolation: rewrite the command that starts a worker. */
  readonly wrapCommand?: (command: string, args: string[]) => { command: string; args: string[] };
  /** Starts a worker elsewhere (local/functions/isolation.ts: in the sandbox). @default a plain child process */
  readonly spawnWorker?: (spec: WorkerSpawn) => Promise<SpawnedWorker>;
  /** A worker not listening on its socket within this many ms is a failed start. @default 30_000 */
  readonly startTimeoutMs?: number;
}

interface Worker {
  readonly child: ChildProcess;
  /** The request it is answering (log lines are attributed to it). */
  requestId?: string;
  readonly socketPath: string;
  readonly tempDir: string;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
  exited: boolean;
}

const WORKER_SOURCE = fileURLToPath(new URL('../../functions/src/launcher/worker.ts', import.meta.url));
const BASE_PATH = '/usr/local/bin:/usr/bin:/bin';

export class FunctionRunner {
  readonly #options: RunnerOptions;
  readonly #pools = new Map<string, Worker[]>();
  readonly #waiting = new Map<string, Array<() => void>>();
  readonly #starting = new Map<string, number>();
  readonly #root = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-functions-'));
  readonly #log: FunctionLogLine[] = [];
  #bundle?: Promise<string>;

  constructor(options: RunnerOptions = {}) {
    this.#options = options;
    // Sandboxed workers run as other uids: they may pass through (not list) to the worker program and their own dirs.
    fs.chmodSync(this.#root, 0o711);
  }

  /** The last log lines kept in memory (when no `onLog` was given), oldest first. */
  logs(fn?: string): FunctionLogLine[] {
    return this.#log.filter((l) => fn === undefined || l.function === fn);
  }

  /** The worker program, bundled once per runner into one ES module. */
  #workerBundle(): Promise<string> {
    return (this.#bundle ??= (async () => {
      const outfile = path.join(this.#root, 'worker.mjs');
      // The bundled CommonJS packages (content-type, cookie, etag) `require` Node built-ins.
      const banner = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
      await esbuild.build({ entryPoints: [WORKER_SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node22', outfile, banner: { js: banner }, logLevel: 'silent' });
      return outfile;
    })());
  }

  async #start(fn: RunnableFunction): Promise<Worker> {
    const script = await this.#workerBundle();
    const tempDir = fs.mkdtempSync(path.join(this.#root, 'w-'));
    const socketPath = path.join(tempDir, 'invoke.sock');
    const env: Record<string, string> = {
      ...fn.config.environment,
      ...fn.env,
      PATH: BASE_PATH,
      HOME: tempDir,
      TMPDIR: tempDir,
      TZ: 'UTC',
      NODE_ENV: fn.env.NODE_ENV ?? fn.config.environment.NODE_ENV ?? 'production',
    };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
    const launch = { handler: fn.config.handler, shouldAddHelpers: fn.config.shouldAddHelpers, maxDurationSeconds: fn.config.maxDurationSeconds };
    const args = [`--max-old-space-size=${fn.config.memoryMb}`, script, fn.dir, socketPath, JSON.stringify(launch)];
    const { command, args: finalArgs } = this.#options.wrapCommand?.(process.execPath, args) ?? { command: process.execPath, args };
    const spawned = this.#options.spawnWorker
      ? await this.#options.spawnWorker({ command, args: finalArgs, env, cwd: fn.dir, tempDir, memoryMb: fn.config.memoryMb, groups: fn.groups ?? [] })
      : plainWorker(command, finalArgs, env, fn.dir);
    const { child } = spawned;
    const worker: Worker = { child, socketPath, tempDir, busy: true, exited: false };
    for (const stream of ['stdout', 'stderr'] as const) {
      readline.createInterface({ input: child[stream]! }).on('line', (line) => this.#emit(parseLine(fn.key, stream, line, worker.requestId)));
    }
    const exited = new Promise<string>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(String(child.signalCode ?? child.exitCode));
      child.once('exit', (code, signal) => resolve(String(signal ?? code)));
    });
    void exited.then(() => {
      worker.exited = true;
      clearTimeout(worker.idleTimer);
      const pool = this.#pools.get(fn.key);
      const at = pool?.indexOf(worker) ?? -1;
      if (at !== -1) pool!.splice(at, 1);
      void spawned.close().finally(() => fs.rmSync(tempDir, { recursive: true, force: true }));
      this.#wake(fn.key);
    });
    // Ready once it accepts a connection on its socket (no IPC channel crosses the sandbox).
    const startedAt = performance.now();
    const timeoutMs = this.#options.startTimeoutMs ?? 30_000;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      if (worker.exited) throw new Error(`the worker exited before it was ready (${await exited})`);
      if (await accepts(socketPath)) break;
      if (performance.now() - startedAt > timeoutMs) {
        this.#retire(worker);
        throw new Error(`the worker did not listen within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    return worker;
  }

  #retire(worker: Worker) {
    worker.exited = true;
    killWorker(worker.child);
  }

  #emit(line: FunctionLogLine) {
    if (this.#options.onLog) this.#options.onLog(line);
    else {
      this.#log.push(line);
      if (this.#log.length > 10_000) this.#log.splice(0, this.#log.length - 10_000);
    }
  }

  #wake(key: string) {
    this.#waiting.get(key)?.shift()?.();
  }

  async #acquire(fn: RunnableFunction): Promise<Worker> {
    for (;;) {
      const pool = this.#pools.get(fn.key) ?? [];
      this.#pools.set(fn.key, pool);
      const idle = pool.find((w) => !w.busy && !w.exited);
      if (idle) {
        idle.busy = true;
        clearTimeout(idle.idleTimer);
        return idle;
      }
      const starting = this.#starting.get(fn.key) ?? 0;
      if (pool.length + starting < (this.#options.maxWorkersPerFunction ?? 4)) {
        this.#starting.set(fn.key, starting + 1);
        try {
          const worker = await this.#start(fn);
          if (!worker.exited) pool.push(worker);
          return worker;
        } finally {
          this.#starting.set(fn.key, (this.#starting.get(fn.key) ?? 1) - 1);
        }
      }
      await new Promise<void>((resolve) => this.#waiting.set(fn.key, [...(this.#waiting.get(fn.key) ?? []), resolve]));
    }
  }

  #release(fn: RunnableFunction, worker: Worker) {
    worker.busy = false;
    if (worker.exited) return;
    worker.idleTimer = setTimeout(() => killWorker(worker.child), this.#options.idleMs ?? 300_000);
    worker.idleTimer.unref();
    this.#wake(fn.key);
  }

  /**
   * Runs one Function URL event on a worker of `fn`.
   * @returns the function's response; failures are Vercel's error responses (500 FUNCTION_INVOCATION_FAILED
   *   when the worker dies or cannot start, 504 FUNCTION_INVOCATION_TIMEOUT past maxDuration, 500
   *   FUNCTION_RESPONSE_PAYLOAD_TOO_LARGE for a buffered response over Lambda's 6 MB), never a rejection
   */
  async invoke(fn: RunnableFunction, event: FunctionUrlEvent): Promise<FunctionResponse> {
    let worker: Worker;
    try {
      worker = await this.#acquire(fn);
    } catch (error) {
      this.#emit({ function: fn.key, stream: 'stderr', level: 'error', line: `[runway] the function's worker did not start: ${(error as Error).message}`, time: new Date().toISOString() });
      return errorResponse('FUNCTION_INVOCATION_FAILED');
    }
    const requestId = event.requestContext.requestId;
    worker.requestId = requestId;
    const startedAt = performance.now();
    const report = (line: string) => this.#emit({ function: fn.key, stream: 'stdout', level: 'info', line, time: new Date().toISOString(), requestId });
    report(`START RequestId: ${requestId} Version: $LATEST`);
    const deadline = fn.config.maxDurationSeconds * 1000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.#emit({ function: fn.key, stream: 'stderr', level: 'error', line: `[runway] Task timed out after ${fn.config.maxDurationSeconds} seconds (maxDuration)`, time: new Date().toISOString(), requestId });
      // The function may be stuck in a loop: only killing its process frees it.
      killWorker(worker.child);
    }, deadline);
    let onExit = () => {};
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      worker.child.off('exit', onExit);
      // Lambda's own lines around each invocation (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html).
      const ms = performance.now() - startedAt;
      report(`END RequestId: ${requestId}`);
      report(`REPORT RequestId: ${requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${fn.config.memoryMb} MB`);
      worker.requestId = undefined;
      this.#release(fn, worker);
    };

    let response: FunctionResponse;
    try {
      const reply = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = http.request({ socketPath: worker.socketPath, method: 'POST', path: '/invoke', headers: { 'content-type': 'application/json' } }, resolve);
        req.once('error', reject);
        onExit = () => req.destroy(new Error('the worker exited'));
        worker.child.once('exit', onExit);
        req.end(JSON.stringify(event));
      });
      response = await decodePrelude(reply);
    } catch {
      // The worker died (or was killed at maxDuration): it is never reused, even before its exit event.
      this.#retire(worker);
      done();
      return errorResponse(timedOut ? 'FUNCTION_INVOCATION_TIMEOUT' : 'FUNCTION_INVOCATION_FAILED');
    }

    if (!fn.config.supportsResponseStreaming) {
      // A buffered Lambda answers once the whole body is there, and at most 6 MB of it.
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body) {
          size += (chunk as Buffer).length;
          if (size > LAMBDA_LIMITS.maxBufferedResponseBytes) {
            response.body.destroy();
            done();
            return errorResponse('FUNCTION_RESPONSE_PAYLOAD_TOO_LARGE');
          }
          chunks.push(chunk as Buffer);
        }
      } catch {
        this.#retire(worker);
        done();
        return errorResponse(timedOut ? 'FUNCTION_INVOCATION_TIMEOUT' : 'FUNCTION_INVOCATION_FAILED');
      }
      done();
      return { ...response, body: Readable.from([Buffer.concat(chunks)]) };
    }
    const body = new PassThrough();
    pipeline(response.body, body)
      .catch(() => {
        this.#retire(worker);
        body.destroy();
      })
      .finally(done);
    return { ...response, body };
  }

  /** Answers an HTTP request with `fn` (the request turned into a Function URL event; the body streamed back chunked). */
  async serve(fn: RunnableFunction, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const event = eventFromRequest({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), sourceIp: req.socket.remoteAddress, requestId: randomUUID() });
    const response = await this.invoke(fn, event);
    res.writeHead(response.statusCode, { ...response.headers, ...(response.cookies.length ? { 'set-cookie': response.cookies } : {}) });
    res.flushHeaders();
    await pipeline(response.body, res).catch(() => res.destroy());
  }

  /** How many workers of a function are answering a request now. */
  busyWorkers(key: string): number {
    return (this.#pools.get(key) ?? []).filter((w) => w.busy && !w.exited).length;
  }

  /** Stops every worker and removes their temp dirs. */
  async close(): Promise<void> {
    const all = [...this.#pools.values()].flat();
    await Promise.all(
      all.map((w) =>
        w.exited
          ? undefined
          : new Promise<void>((resolve) => {
              w.child.once('exit', () => resolve());
              killWorker(w.child);
            }),
      ),
    );
    this.#pools.clear();
    fs.rmSync(this.#root, { recursive: true, force: true });
  }
}

function plainWorker(command: string, args: string[], env: Record<string, string>, cwd: string): SpawnedWorker {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, close: async () => {} };
}

/** SIGKILL (a sandboxed worker's `unshare` takes its namespace with it: `--kill-child`). */
function killWorker(child: ChildProcess): void {
  try {
    child.kill('SIGKILL');
  } catch {
    // Gone already.
  }
}

/** Whether something accepts connections on the Unix socket now. */
function accepts(socketPath: string): Promise<boolean> {
  if (!fs.existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * One worker output line as a log event. The worker writes each `console.*` call as one line
 * `\0<level>\0<message as a JSON string>` (functions/src/launcher/worker.ts), as Lambda's Node
 * runtime keeps a multi-line message (a stack) one event; other output is taken line by line.
 */
export function parseLine(fn: string, stream: 'stdout' | 'stderr', raw: string, requestId: string | undefined): FunctionLogLine {
  const marked = /^\0(info|warn|error)\0("(?:[^"\\]|\\.)*")$/.exec(raw);
  const level = marked ? (marked[1] as FunctionLogLine['level']) : stream === 'stderr' ? 'error' : 'info';
  const line = marked ? (JSON.parse(marked[2]!) as string) : raw;
  return { function: fn, stream, line, level, time: new Date().toISOString(), ...(requestId ? { requestId } : {}) };
}
