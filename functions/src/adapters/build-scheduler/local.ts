import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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
}

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

  /** Drops waiting builds and kills every running one (npm start's Ctrl-C). */
  async close(): Promise<void> {
    this.queue.clear();
    for (const job of this.jobs.values()) if (job.child) killProcessGroup(job.child, 'SIGKILL');
  }

  private async run(job: Job): Promise<void> {
    job.started = true;
    const id = job.deploymentId;
    const workDir = await mkdtemp(path.join(os.tmpdir(), `runway-build-${id}-`));
    const lines = new LogBuffer(this.options.logs, id);
    try {
      await this.emit(job, 'IN_PROGRESS');
      const builder = await this.builder();
      const child = spawn(process.execPath, [builder], {
        cwd: workDir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          // Trust and proxy settings of the machine, as CodeBuild's image has its own.
          ...pickPassthroughEnv(process.env),
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: workDir,
          LANG: process.env.LANG ?? 'C.UTF-8',
          RUNWAY_UPLOAD_URL: `${this.options.apiUrl.replace(/\/$/, '')}/v1/builds/${id}`,
          RUNWAY_UPLOAD_TOKEN: job.token,
          RUNWAY_WORK_DIR: path.join(workDir, 'work'),
          // As the CodeBuild project sets them: each step stops with its own message before the ceiling.
          RUNWAY_INSTALL_TIMEOUT_SECONDS: String(Math.max(1, Math.floor(this.stepLimits.installMs / 1000))),
          RUNWAY_BUILD_TIMEOUT_SECONDS: String(Math.max(1, Math.floor(this.stepLimits.buildMs / 1000))),
        },
      });
      job.child = child;
      if (job.canceled) stop(child);
      const timer = setTimeout(() => {
        job.timedOut = true;
        stop(child);
      }, this.timeoutMs);
      for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', (line) => lines.push(line));
      const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
      clearTimeout(timer);
      await lines.flush();
      await this.emit(job, job.canceled ? 'STOPPED' : job.timedOut ? 'TIMED_OUT' : code === 0 ? 'SUCCEEDED' : 'FAILED');
    } finally {
      await lines.flush().catch(() => undefined);
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
      return outfile;
    })();
    return this.builderPath;
  }
}

/** Batches log lines into PutLogEvents calls (at most every 250 ms). */
class LogBuffer {
  private pending: LogEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly logs: BuildLogs, private readonly stream: string) {}

  push(message: string): void {
    this.pending.push({ timestamp: Date.now(), message });
    this.timer ??= setTimeout(() => void this.flush(), 250);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length > 0) this.chain = this.chain.then(() => this.logs.append(this.stream, batch));
    return this.chain;
  }
}

/** SIGTERM to the build's process group, SIGKILL if it is still there after 5 s. */
function stop(child: ChildProcess): void {
  killProcessGroup(child);
  const escalate = setTimeout(() => killProcessGroup(child, 'SIGKILL'), 5000);
  escalate.unref();
  child.once('close', () => clearTimeout(escalate));
}

