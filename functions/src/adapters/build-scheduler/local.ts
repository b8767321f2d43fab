import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { build as esbuild } from 'esbuild';
import { BUILDER_BUNDLE } from '../../builder/bundle.ts';
import { LAMBDA_COMPUTE_MAX_MINUTES, stepLimitsFor, type StepLimits } from '../../builder/limits.ts';
import { killProcessGroup, pickPassthroughEnv } from '../../builder/process.ts';
import { Build, type BuildLogs, type LogEvent } from '#core/build/index';
import type { BuildScheduler, SchedulableDeployment } from '#core/ports';
import type { DeploymentInfo } from '#core/deployment/index';
import type { BuildStateEvent } from '../../handlers/events/build-state.ts';

export interface LocalBuildSchedulerOptions {
  /** Base URL of the local API (the build API lives under it). */
  apiUrl: string;
  /** Where build logs go (the emulator's CloudWatch Logs, like CodeBuild's). */
  logs: BuildLogs;
  /** Receives the build-state events, as EventBridge would deliver them. */
  onEvent: (event: BuildStateEvent) => Promise<void>;
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
  deployment: SchedulableDeployment;
  token: string;
  child?: ChildProcess;
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
  private readonly queue: Job[] = [];
  private readonly running = new Map<string, Job>();
  private readonly concurrency: number;
  private readonly timeoutMs: number;
  private readonly stepLimits: StepLimits;
  private builderPath: Promise<string> | undefined;

  constructor(private readonly options: LocalBuildSchedulerOptions) {
    this.concurrency = options.concurrency ?? 2;
    this.timeoutMs = options.timeoutMs ?? LAMBDA_COMPUTE_MAX_MINUTES * 60_000;
    this.stepLimits = options.stepLimits ?? stepLimitsFor(this.timeoutMs);
  }

  async schedule(deployment: SchedulableDeployment): Promise<void> {
    const { token } = await Build.prepare(deployment);
    await Build.attach(deployment.id, { buildId: `${PROJECT_NAME}:${deployment.id}`, logStream: deployment.id });
    this.queue.push({ deployment, token });
    this.pump();
  }

  async cancel(deployment: DeploymentInfo): Promise<void> {
    const queued = this.queue.findIndex((j) => j.deployment.id === deployment.id);
    if (queued !== -1) {
      const [job] = this.queue.splice(queued, 1);
      await this.emit(job!, 'STOPPED');
      return;
    }
    const job = this.running.get(deployment.id);
    if (job?.child) {
      job.canceled = true;
      stop(job.child);
    }
  }

  /** Builds waiting or running right now. */
  get active(): number {
    return this.queue.length + this.running.size;
  }

  /** Kills every running build (npm start's Ctrl-C). */
  async close(): Promise<void> {
    this.queue.length = 0;
    for (const job of this.running.values()) if (job.child) killProcessGroup(job.child, 'SIGKILL');
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running.set(job.deployment.id, job);
      void this.run(job)
        .catch((error) => console.error(`[builds] ${job.deployment.id}: runner error`, error))
        .finally(() => {
          this.running.delete(job.deployment.id);
          this.pump();
        });
    }
  }

  private async run(job: Job): Promise<void> {
    const id = job.deployment.id;
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
   * Delivers the event like EventBridge does: retried on failure. When every attempt fails the
   * deployment is marked ERROR, so nothing stays BUILDING forever.
   */
  private async emit(job: Job, status: BuildStateEvent['detail']['build-status']): Promise<void> {
    const event = this.event(job, status);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.onEvent(event);
      } catch (error) {
        console.error(`[builds] ${job.deployment.id}: delivering ${status} failed (attempt ${attempt})`, error);
        if (attempt >= 3) break;
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    if (status !== 'IN_PROGRESS') await Build.fail(job.deployment.id, 'finalize', 'The platform could not finish this deployment');
  }

  private event(job: Job, status: BuildStateEvent['detail']['build-status']): BuildStateEvent {
    return {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'CodeBuild Build State Change',
      source: 'aws.codebuild',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [`arn:aws:codebuild:us-east-1:123456789012:build/${PROJECT_NAME}:${job.deployment.id}`],
      detail: {
        'build-status': status,
        'build-id': `arn:aws:codebuild:us-east-1:123456789012:build/${PROJECT_NAME}:${job.deployment.id}`,
        'project-name': PROJECT_NAME,
        'additional-information': {
          environment: { 'environment-variables': [{ name: 'RUNWAY_DEPLOYMENT_ID', value: job.deployment.id }] },
          logs: { 'stream-name': job.deployment.id },
        },
      },
    } as BuildStateEvent;
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

