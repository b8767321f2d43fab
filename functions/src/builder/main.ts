/**
 * The builder CLI: the same program runs as a CodeBuild build and as the local runner's child
 * process. Everything it needs comes from env vars, read once here:
 *
 * - `RUNWAY_JOB` (optional): the job as base64-encoded JSON, or the path of a JSON file; without
 *   it the job is fetched from `GET {RUNWAY_UPLOAD_URL}/job` (how CodeBuild and the local runner
 *   start it, so env values never sit in the build's recorded environment).
 * - `RUNWAY_UPLOAD_URL` (required): base URL of the deployment-scoped upload endpoint.
 * - `RUNWAY_UPLOAD_TOKEN` (required): bearer capability for that endpoint.
 * - `RUNWAY_WORK_DIR` (optional): an empty directory to build in; a temp dir (removed after) otherwise.
 * - `RUNWAY_INSTALL_TIMEOUT_SECONDS`, `RUNWAY_BUILD_TIMEOUT_SECONDS` (optional): step limits.
 * - `PATH` and the network settings in `PASSTHROUGH_ENV_KEYS` (CA bundle, proxies) are handed to
 *   build commands; no other variable of the builder's environment is.
 *
 * Output is log lines on stdout; the last one is `RUNWAY_RESULT {json}`. Exit code 0 on success,
 * 1 when a step failed, 2 when the env or the job is invalid.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';
import * as z from 'zod';
import { resultLine } from '../core/build/contract.ts';
import { HttpStore } from './adapters/http-store.ts';
import { InvalidJobError, type Job, parseJob } from './job.ts';
import { Logger, Redactor, sensitiveValues, stdoutSink } from './log.ts';
import { BuildStepError, runPipeline, type StepTimeouts } from './pipeline.ts';
import type { LogSink } from './ports.ts';
import { pickPassthroughEnv } from './process.ts';

const EnvSchema = z.object({
  RUNWAY_JOB: z.string().min(1).optional(),
  RUNWAY_UPLOAD_URL: z.url({ protocol: /^https?$/ }),
  RUNWAY_UPLOAD_TOKEN: z.string().min(16),
  RUNWAY_WORK_DIR: z.string().min(1).optional(),
  RUNWAY_INSTALL_TIMEOUT_SECONDS: z.coerce.number().int().positive().max(86_400).optional(),
  RUNWAY_BUILD_TIMEOUT_SECONDS: z.coerce.number().int().positive().max(86_400).optional(),
});

export const EXIT_OK = 0;
export const EXIT_STEP_FAILED = 1;
export const EXIT_INVALID_INPUT = 2;


/** `RUNWAY_JOB` is base64 JSON when it decodes to a JSON object, a file path otherwise. */
export async function readJobInput(value: string): Promise<unknown> {
  const trimmed = value.trim();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
    if (decoded.trimStart().startsWith('{')) return JSON.parse(decoded);
  }
  return JSON.parse(await readFile(trimmed, 'utf8'));
}

export interface MainOptions {
  env: Readonly<Record<string, string | undefined>>;
  sink: LogSink;
  signal?: AbortSignal;
}

/** Runs one build; returns the exit code. Never throws. */
export async function main(options: MainOptions): Promise<number> {
  const parsedEnv = EnvSchema.safeParse(options.env);
  if (!parsedEnv.success) {
    const log = new Logger({ sink: options.sink });
    const problems = parsedEnv.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    log.info(`invalid builder environment: ${problems}`);
    log.info(resultLine({ ok: false, step: null, error: 'invalid builder environment' }));
    return EXIT_INVALID_INPUT;
  }
  const env = parsedEnv.data;

  let job: Job;
  try {
    job = parseJob(
      env.RUNWAY_JOB !== undefined
        ? await readJobInput(env.RUNWAY_JOB)
        : await new HttpStore({ baseUrl: env.RUNWAY_UPLOAD_URL, token: env.RUNWAY_UPLOAD_TOKEN }).job(),
    );
  } catch (error) {
    const log = new Logger({ sink: options.sink, redactor: new Redactor([env.RUNWAY_UPLOAD_TOKEN]) });
    const message =
      error instanceof InvalidJobError
        ? error.message
        : env.RUNWAY_JOB === undefined
          ? `the job could not be fetched (${(error as Error).message})`
          : `RUNWAY_JOB is neither base64 JSON nor a readable JSON file (${(error as Error).message})`;
    log.info(message);
    log.info(resultLine({ ok: false, step: null, error: message }));
    return EXIT_INVALID_INPUT;
  }

  const log = new Logger({
    sink: options.sink,
    redactor: new Redactor(sensitiveValues(job.env, job.sensitiveKeys, [env.RUNWAY_UPLOAD_TOKEN])),
  });
  const ownWorkDir = env.RUNWAY_WORK_DIR === undefined;
  const workDir = env.RUNWAY_WORK_DIR ?? (await mkdtemp(path.join(tmpdir(), 'runway-build-')));
  await mkdir(workDir, { recursive: true });
  const store = new HttpStore({ baseUrl: env.RUNWAY_UPLOAD_URL, token: env.RUNWAY_UPLOAD_TOKEN, tmpDir: workDir });
  const timeouts: Partial<StepTimeouts> = {};
  if (env.RUNWAY_INSTALL_TIMEOUT_SECONDS !== undefined) timeouts.installMs = env.RUNWAY_INSTALL_TIMEOUT_SECONDS * 1000;
  if (env.RUNWAY_BUILD_TIMEOUT_SECONDS !== undefined) timeouts.buildMs = env.RUNWAY_BUILD_TIMEOUT_SECONDS * 1000;

  try {
    const result = await runPipeline(job, { source: store, blobs: store, cache: store, log }, {
      workDir,
      timeouts,
      passthroughEnv: pickPassthroughEnv(options.env),
      ...(options.env.PATH ? { path: options.env.PATH } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    log.info(
      resultLine({
        ok: true,
        deploymentId: job.deploymentId,
        framework: result.plan.framework,
        outputDirectory: result.outputDirectory,
        files: Object.keys(result.manifest.files).length,
        uploadedFiles: result.uploadedFiles,
        uploadedBytes: result.uploadedBytes,
        durationsMs: result.durationsMs,
        cache: result.cache,
      }),
    );
    return EXIT_OK;
  } catch (error) {
    const step = error instanceof BuildStepError ? error.step : null;
    const cause = error instanceof BuildStepError ? error.cause : error;
    const message = cause instanceof Error ? cause.message : String(cause);
    log.info(resultLine({ ok: false, deploymentId: job.deploymentId, step, error: message }));
    return EXIT_STEP_FAILED;
  } finally {
    if (ownWorkDir) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function cli(): Promise<void> {
  const env = { ...process.env };
  // Behind an egress proxy (a VPC's, or the local sandbox's only way out) the builder's own
  // requests honour HTTP(S)_PROXY / NO_PROXY as the package managers do.
  if (env.HTTPS_PROXY || env.HTTP_PROXY || env.https_proxy || env.http_proxy) setGlobalDispatcher(new EnvHttpProxyAgent());
  // Defense in depth: child envs are built from nothing anyway (see process.ts).
  delete process.env.RUNWAY_UPLOAD_TOKEN;
  delete process.env.RUNWAY_JOB;
  const controller = new AbortController();
  const abort = (): void => controller.abort(new Error('the builder received a stop signal'));
  process.once('SIGTERM', abort);
  process.once('SIGINT', abort);
  const code = await main({ env, sink: stdoutSink, signal: controller.signal });
  process.exit(code);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await cli();
}
