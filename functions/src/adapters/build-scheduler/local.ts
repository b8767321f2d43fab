import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { build as esbuild } from 'esbuild';
import PQueue from 'p-queue';
import { BUILDER_BUNDLE } from '../../builder/bundle.ts';
import { LAMBDA_COMPUTE_MAX_MINUTES, stepLimitsFor, type StepLimits } from '../../builder/limits.ts';
import { killProcessGroup, pickPassthroughEnv } from '../../builder/process.ts';
import type { BuildLogs, BuildScheduler, LogEvent } from '#core/ports';
import type { BuildStateEvent, CodeBuildStatus } from './codebuild-event.ts';

export interface LocalBuildSchedulerOptions {
  /** Base URL of the local API (the build API lives under it). */
  apiUrl: string;
  /** Where build logs go (the emulator's CloudWatch Logs, like CodeBuild's). */
  logs: BuildLogs;
  /** Receives the build-state events, as EventBridge would deliver them. */
  onEvent: (event: BuildStateEvent) => Promise<void>;
  /** Called with an event that failed every delivery (EventBridge's dead-letter queue). */
  onUndelivered?: (event: BuildStateEvent, error: unknown) => Promise<void>;
  /** Builds running at once; the rest wait in FIFO order. @default 2 */
  concurrency?: number;
  /** A build running longer is killed and reported TIMED_OUT. @default 15 minutes (CodeBuild's Lambda compute limit) */
  timeoutMs?: number;
  /** The builder's step limits. @default `stepLimitsFor(timeoutMs)`, as the builds stack sets them */
  stepLimits?: StepLimits;
  /** Where the bundled builder is written. @default a temp dir */
  workRoot?: string;
  /**
   * Starts the builder process. `npm start` runs it in a sandbox (`local/sandbox`) with no route
   * to the platform. @default a plain child process in its own process group
   */
  launch?: BuildLauncher;
}

/** One builder process to start: the program, its scrubbed environment, and its own temp dir (cwd and HOME). */
export interface BuildLaunch {
  deploymentId: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  workDir: string;
}

/** A started builder: a child whose stdout/stderr are pipes, leading its own process group. */
export interface LaunchedBuild {
  child: ChildProcess;
  /** Called once the child has closed: frees what the launcher holds for it. */
  release(): Promise<void>;
}

export type BuildLauncher = (launch: BuildLaunch) => Promise<LaunchedBuild>;

/** Today's launcher: a plain child process. */
export const spawnBuild: BuildLauncher = async (launch) => ({
  child: spawn(launch.command, launch.args, { cwd: launch.workDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: launch.env }),
  release: async () => {},
});

interface Job {
  deploymentId: string;
  token: string;
  child?: ChildProcess;
  /** It left the queue: `run` owns it. */
  started?: boolean;
  canceled?: boolean;
  timedOut?: boolean;
}

const PROJECT_NAME = 'runway-local-builds';

/**
 * CodeBuild's local stand-in: runs the same bundled builder program in a child process, in its
 * own temp dir and process group, with a scrubbed environment (PATH, HOME, the machine's TLS and
 * proxy settings, plus only the build API URL and this build's capability token), a time limit and a concurrency limit, and reports
 * the end of each build as the same EventBridge event CodeBuild sends.
 */
export class LocalBuildScheduler implements BuildScheduler {
  /** Builds run in FIFO order, `concurrency` at a time. */
  private readonly queue: PQueue;
  /** Builds waiting or running, by deployment. */
  private readonly jobs = new Map<string, Job>();
  private readonly timeoutMs: number;
  private readonly stepLimits: StepLimits;
  private builderPath: Promise<string> | undefined;

  constructor(private readonly options: LocalBuildSchedulerOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency ?? 2 });
    this.timeoutMs = options.timeoutMs ?? LAMBDA_COMPUTE_MAX_MINUTES * 60_000;
    this.stepLimits = options.stepLimits ?? stepLimitsFor(this.timeoutMs);
  }

  async start(build: { deploymentId: string; token: string }): Promise<{ buildId: string; logStream: string }> {
    const job: Job = { deploymentId: build.deploymentId, token: build.token };
    this.jobs.set(job.deploymentId, job);
    void this.queue
      .add(async () => {
        // Stopped while it waited: its STOPPED event went out then.
        if (!job.canceled) await this.run(job);
      })
      .catch((error) => console.error(`[builds] ${job.deploymentId}: runner error`, error))
      .finally(() => {
        if (this.jobs.get(job.deploymentId) === job) this.jobs.delete(job.deploymentId);
      });
    return { buildId: `${PROJECT_NAME}:${job.deploymentId}`, logStream: job.deploymentId };
  }

  async stop(build: { deploymentId: string }): Promise<void> {
    const job = this.jobs.get(build.deploymentId);
    if (!job || job.canceled) return;
    job.canceled = true;
    if (job.started) {
      // Running: killed now, or as soon as its process exists; `run` reports STOPPED.
      if (job.child) stop(job.child);
      return;
    }
    // Still waiting for a slot: it never runs, and ends now.
    this.jobs.delete(job.deploymentId);
    await this.emit(job, 'STOPPED');
  }

  /** Builds waiting or running right now. */
  get active(): number {
    return this.jobs.size;
  }

  /**
   * Drops waiting builds, kills every running one and waits (at most 15 s) for their temp dirs and
   * sandboxes to be removed (npm start's Ctrl-C).
   */
  async close(): Promise<void> {
    this.queue.clear();
    for (const job of this.jobs.values()) {
      if (!job.started) {
        this.jobs.delete(job.deploymentId);
        continue;
      }
      // Stopped with the platform: CANCELED, not left BUILDING in the state a restart keeps.
      job.canceled = true;
      if (job.child) killProcessGroup(job.child, 'SIGKILL');
    }
    // Each run removes its temp dir and sandbox as it ends: wait for the running ones (bounded),
    // so the process can exit without leaving them behind. The waiting ones were dropped above
    // (p-queue's clear(): their tasks never run).
    await Promise.race([this.queue.onPendingZero(), new Promise((r) => setTimeout(r, 15_000).unref())]);
  }

  private async run(job: Job): Promise<void> {
    job.started = true;
    const id = job.deploymentId;
    const workDir = await mkdtemp(path.join(os.tmpdir(), `runway-build-${id}-`));
    const lines = new LogBuffer(this.options.logs, id);
    let release = async (): Promise<void> => {};
    try {
      await this.emit(job, 'IN_PROGRESS');
      const builder = await this.builder();
      await mkdir(path.join(workDir, 'tmp'));
      const launched = await (this.options.launch ?? spawnBuild)({
        deploymentId: id,
        command: process.execPath,
        args: [builder],
        workDir,
        env: {
          // Trust and proxy settings of the machine, as CodeBuild's image has its own.
          ...pickPassthroughEnv(process.env),
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: workDir,
          // Temp files go in its own dir too, removed with it.
          TMPDIR: path.join(workDir, 'tmp'),
          LANG: process.env.LANG ?? 'C.UTF-8',
          RUNWAY_UPLOAD_URL: `${this.options.apiUrl.replace(/\/$/, '')}/v1/builds/${id}`,
          RUNWAY_UPLOAD_TOKEN: job.token,
          RUNWAY_WORK_DIR: path.join(workDir, 'work'),
          // As the CodeBuild project sets them: each step stops with its own message before the ceiling.
          RUNWAY_INSTALL_TIMEOUT_SECONDS: String(Math.max(1, Math.floor(this.stepLimits.installMs / 1000))),
          RUNWAY_BUILD_TIMEOUT_SECONDS: String(Math.max(1, Math.floor(this.stepLimits.buildMs / 1000))),
        },
      });
      release = launched.release;
      const child = launched.child;
      job.child = child;
      if (job.canceled) stop(child);
      const timer = setTimeout(() => {
        job.timedOut = true;
        stop(child);
      }, this.timeoutMs);
      for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => lines.push(line));
      const code = await new Promise<number | null>((resolve) => {
        child.once('close', (c) => resolve(c));
        // A builder that cannot even start (a missing binary) fails the build, not the platform.
        child.once('error', (error) => {
          lines.push(`the builder could not start: ${error.message}`);
          resolve(null);
        });
      });
      clearTimeout(timer);
      await lines.drain();
      await this.emit(job, job.canceled ? 'STOPPED' : job.timedOut ? 'TIMED_OUT' : code === 0 ? 'SUCCEEDED' : 'FAILED');
    } finally {
      await release();
      await lines.flush();
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * Delivers the event like EventBridge does: retried on failure; when every attempt fails it
   * goes to `onUndelivered` (the dead-letter queue).
   */
  private async emit(job: Job, status: CodeBuildStatus): Promise<void> {
    const event = this.event(job, status);
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        return await this.options.onEvent(event);
      } catch (error) {
        lastError = error;
        console.error(`[builds] ${job.deploymentId}: delivering ${status} failed (attempt ${attempt})`, error);
        if (attempt < 3) await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    await this.options.onUndelivered?.(event, lastError);
  }

  private event(job: Job, status: CodeBuildStatus): BuildStateEvent {
    return {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'CodeBuild Build State Change',
      source: 'aws.codebuild',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [`arn:aws:codebuild:us-east-1:123456789012:build/${PROJECT_NAME}:${job.deploymentId}`],
      detail: {
        'build-status': status,
        'build-id': `arn:aws:codebuild:us-east-1:123456789012:build/${PROJECT_NAME}:${job.deploymentId}`,
        'project-name': PROJECT_NAME,
        'additional-information': {
          environment: { 'environment-variables': [{ name: 'RUNWAY_DEPLOYMENT_ID', value: job.deploymentId }] },
          logs: { 'stream-name': job.deploymentId },
        },
      },
    };
  }

  /** The builder bundled once, exactly as the builds stack bundles it for CodeBuild. */
  private builder(): Promise<string> {
    this.builderPath ??= (async () => {
      const dir = this.options.workRoot ?? (await mkdtemp(path.join(os.tmpdir(), 'runway-builder-')));
      const outfile = path.join(dir, 'builder.mjs');
      await esbuild({ ...BUILDER_BUNDLE, outfile });
      // Public code, run by a sandbox's own uid: readable by all.
      await chmod(dir, 0o755);
      await chmod(outfile, 0o644);
      return outfile;
    })();
    return this.builderPath;
  }
}

/** Lines kept while the log store is unreachable; beyond this the oldest go (and a line says how many). */
const MAX_PENDING_LINES = 10_000;

/**
 * Batches log lines into PutLogEvents calls (at most every 250 ms). A failed call (the emulator
 * or CloudWatch unreachable) keeps its lines, in order, for the next one, up to
 * {@link MAX_PENDING_LINES}; `flush` never rejects, so an outage degrades the log and never
 * takes the runner (or `npm start`) down.
 */
class LogBuffer {
  private pending: LogEvent[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<boolean> = Promise.resolve(true);

  constructor(private readonly logs: BuildLogs, private readonly stream: string) {}

  push(message: string): void {
    this.pending.push({ timestamp: Date.now(), message });
    if (this.pending.length > MAX_PENDING_LINES) this.dropped += this.pending.splice(0, this.pending.length - MAX_PENDING_LINES).length;
    this.timer ??= setTimeout(() => void this.flush(), 250);
  }

  /** Sends what is pending; true when the store took all of it. Never rejects. */
  flush(): Promise<boolean> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(async () => {
      if (this.pending.length === 0) return true;
      const batch = this.pending.splice(0);
      if (this.dropped > 0) {
        batch.unshift({ timestamp: batch[0]!.timestamp, message: `[runway] ${this.dropped} log lines were lost while the log store was unreachable` });
        this.dropped = 0;
      }
      try {
        await this.logs.append(this.stream, batch);
        return true;
      } catch (error) {
        this.pending.unshift(...batch);
        console.error(`[builds] ${this.stream}: storing ${batch.length} log lines failed; kept for the next attempt (${(error as Error).name})`);
        return false;
      }
    });
    return this.chain;
  }

  /** Flushes, retrying for a while when the store is unreachable (the end of a build). */
  async drain(attempts = 5): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      if (await this.flush()) return true;
      if (attempt >= attempts) return false;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** SIGTERM to the build's process group, SIGKILL if it is still there after 5 s. */
function stop(child: ChildProcess): void {
  killProcessGroup(child);
  const escalate = setTimeout(() => killProcessGroup(child, 'SIGKILL'), 5000);
  escalate.unref();
  child.once('close', () => clearTimeout(escalate));
}

