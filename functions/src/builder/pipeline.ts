import { mkdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { type CachePlan, packageManagerCacheEnv, planCache as planCacheEntries, restoreDependencies, restoreFrameworkCaches, saveCache } from './cache.ts';
import { type BuildPlan, detect, readPackageJson, resolveOutputDirectory } from './detect.ts';
import type { Job } from './job.ts';
import type { Logger } from './log.ts';
import { BUILD_OUTPUT_DIR, buildManifest, type CollectedFile, collectOutput, type Manifest, readBuildOutput, readProjectConfig } from './manifest.ts';
import { compileBuildOutputConfig } from '../core/routing/config.ts';
import { assertSafePatterns } from '../core/routing/guards.ts';
import { parseBuildOutputConfig } from '../core/routing/schema.ts';
import type { ConfigNote } from '../core/functions/config.ts';
import { type PackagedFunction, packageFunctions } from './functions.ts';
import { type ApiPlan, bundleApiFunctions, type Esbuild, findApiEntrypoints, importInstalledEsbuild, PLATFORM_FILES, planApiFunctions, prepareToolsDir, withApiRoutes } from './zero-config.ts';
import { resolveInside } from './paths.ts';
import type { BlobStore, CacheStore, SourcePort } from './ports.ts';
import { formatLimit, LAMBDA_COMPUTE_MAX_MINUTES, stepLimitsFor } from './limits.ts';
import { materializePrerenderFallbacks } from './prerender.ts';
import { childEnv, CommandFailedError, pickPassthroughEnv, runCommand, type RunCommandOptions } from './process.ts';

export const STEPS = ['source', 'detect', 'install', 'build', 'collect', 'upload', 'manifest'] as const;
export type StepName = (typeof STEPS)[number];

/** One pipeline step failed; `cause` says why, `logTail` holds the last log lines before it. */
export class BuildStepError extends Error {
  override name = 'BuildStepError';
  readonly step: StepName;
  readonly logTail: readonly string[];

  constructor(step: StepName, cause: unknown, logTail: readonly string[] = []) {
    super(`step ${step} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.step = step;
    this.logTail = logTail;
  }
}

export interface StepTimeouts {
  /** @default 4.8 minutes (what fits CodeBuild's 15-minute Lambda compute, see limits.ts) */
  installMs: number;
  /** @default 7.2 minutes */
  buildMs: number;
}

/** The step limits of the default compute, CodeBuild on Lambda (15 minutes for the whole build). */
export const DEFAULT_TIMEOUTS: StepTimeouts = stepLimitsFor(LAMBDA_COMPUTE_MAX_MINUTES * 60_000);

export interface PipelinePorts {
  source: SourcePort;
  blobs: BlobStore;
  /** Omit to build without a cache. */
  cache?: CacheStore;
  log: Logger;
}

export interface PipelineOptions {
  /** An empty directory owned by this build: source, home, cache root and temp files go here. */
  workDir: string;
  timeouts?: Partial<StepTimeouts>;
  signal?: AbortSignal;
  now?: () => Date;
  /** PATH for build commands (where node and npm are). @default process.env.PATH */
  path?: string;
  /** Host network settings for build commands. @default pickPassthroughEnv(process.env) */
  passthroughEnv?: Readonly<Record<string, string>>;
  /** Injected into detection; see {@link detect}. */
  hasBinary?: (name: string) => boolean;
  /** Concurrent blob uploads. @default 16 */
  uploadConcurrency?: number;
  /** Lines of log attached to a {@link BuildStepError}. @default 30 */
  errorTailLines?: number;
  /** The esbuild that bundles `api/` functions. @default ESBUILD_VERSION installed from the registry into the work dir */
  esbuild?: () => Promise<Esbuild>;
}

export interface PipelineResult {
  deploymentId: string;
  plan: BuildPlan;
  /** Relative to the project dir. */
  outputDirectory: string;
  manifest: Manifest;
  uploadedFiles: number;
  uploadedBytes: number;
  /** Wall time per step that ran; `install` includes restoring the cache. */
  durationsMs: Partial<Record<StepName, number>>;
  /**
   * `key`/`restored`: the dependencies entry; `installSkipped`: its `node_modules` replaced the
   * install; `frameworkKey`/`frameworkRestored`: the framework caches entry; `restoreMs`: both restores.
   */
  cache: { key: string; restored: boolean; restoreMs: number; installSkipped: boolean; frameworkKey: string; frameworkRestored: boolean } | null;
}

/**
 * source → detect → install → build → collect → upload → manifest, then the cache is saved.
 * Each step is logged when it starts and ends; a failing step throws {@link BuildStepError}.
 * Cache problems are logged and never fail the build.
 */
export async function runPipeline(job: Job, ports: PipelinePorts, options: PipelineOptions): Promise<PipelineResult> {
  const { log } = ports;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const now = options.now ?? (() => new Date());
  const durationsMs: Partial<Record<StepName, number>> = {};
  const sourceDir = path.join(options.workDir, 'src');
  const homeDir = path.join(options.workDir, 'home');
  const cacheRoot = path.join(options.workDir, 'cache');

  const step = async <T>(name: StepName, fn: () => Promise<T>): Promise<T> => {
    log.info(`[${name}] start`);
    const started = performance.now();
    try {
      options.signal?.throwIfAborted();
      const result = await fn();
      durationsMs[name] = Math.round(performance.now() - started);
      log.info(`[${name}] done in ${durationsMs[name]}ms`);
      return result;
    } catch (error) {
      durationsMs[name] = Math.round(performance.now() - started);
      log.info(`[${name}] failed: ${error instanceof Error ? error.message : String(error)}`);
      throw new BuildStepError(name, error, log.tail(options.errorTailLines ?? 30));
    }
  };

  log.info(`building deployment ${job.deploymentId} of project ${job.projectId}`);

  await step('source', async () => {
    await rm(sourceDir, { recursive: true, force: true });
    await mkdir(sourceDir, { recursive: true });
    await ports.source.materialize(job.source, sourceDir, options.signal);
  });

  const { projectDir, plan, config } = await step('detect', async () => {
    const projectDir = await resolveInside(sourceDir, job.overrides.rootDirectory ?? '.', 'rootDirectory');
    // Lockfiles are looked for up to the repository root: a monorepo's is at the top.
    const rootDir = await realpath(sourceDir);
    const plan = await detect(projectDir, job.overrides, { rootDir, ...(options.hasBinary ? { hasBinary: options.hasBinary } : {}) });
    const config = await readProjectConfig(projectDir);
    log.info(
      `framework=${plan.framework} packageManager=${plan.packageManager ?? 'none'} lockfile=${plan.lockfile ?? 'none'} installDir=${plan.installDirectory} ` +
        `install=${JSON.stringify(plan.installCommand)} build=${JSON.stringify(plan.buildCommand)} ` +
        `output=${plan.outputDirectory ?? `first of ${plan.outputCandidates.join(',')}`}`,
    );
    return { projectDir, plan, config };
  });

  await mkdir(homeDir, { recursive: true });
  await mkdir(cacheRoot, { recursive: true });
  const cachePlan = await planCache(job, plan, projectDir, cacheRoot, ports);
  let cacheRestored = false;
  let cacheRestoreMs = 0;
  let installSkipped = false;
  let frameworkRestored = false;
  const installDir = path.resolve(projectDir, plan.installDirectory);
  // The workspace root's node_modules/.bin too: npm hoists a workspace's tools there.
  const binPath = [...parentsUpTo(projectDir, installDir).map((dir) => path.join(dir, 'node_modules', '.bin')), options.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'];
  const envFor = (phase: 'install' | 'build'): Record<string, string> =>
    childEnv({
      path: binPath.join(path.delimiter),
      home: homeDir,
      projectDir,
      projectEnv: job.env,
      passthrough: options.passthroughEnv ?? pickPassthroughEnv(process.env),
      extra: {
        ...packageManagerCacheEnv(plan.packageManager, cacheRoot),
        // The cache was filled by installing this exact lockfile, so its metadata is complete:
        // skip one revalidation round trip per package (npm and pnpm read this setting).
        ...(cacheRestored ? { npm_config_prefer_offline: 'true' } : {}),
      },
      phase,
    });

  /** esbuild for api/ functions, installed with the install step's environment (registry, npm cache). */
  const installEsbuild = async (toolsDir: string): Promise<Esbuild> => {
    const command = await prepareToolsDir(toolsDir);
    await runStep('install', { command, cwd: toolsDir, env: envFor('install'), log, timeoutMs: timeouts.installMs, ...signalOption(options) });
    return importInstalledEsbuild(toolsDir);
  };

  await step('install', async () => {
    if (cachePlan !== null && ports.cache !== undefined) {
      const started = performance.now();
      ({ restored: cacheRestored, modulesRestored: installSkipped } = await restoreDependencies(ports.cache, cachePlan, log));
      cacheRestoreMs += Math.round(performance.now() - started);
    }
    if (plan.installCommand === null) log.info('no install command, skipping');
    else if (!installSkipped) {
      await runStep('install', { command: plan.installCommand, cwd: installDir, env: envFor('install'), log, timeoutMs: timeouts.installMs, ...signalOption(options) });
    }
    if (cachePlan !== null && ports.cache !== undefined) {
      const started = performance.now();
      frameworkRestored = await restoreFrameworkCaches(ports.cache, cachePlan, projectDir, log);
      cacheRestoreMs += Math.round(performance.now() - started);
    }
  });

  await step('build', async () => {
    if (plan.buildCommand === null) {
      log.info('no build command, skipping');
      return;
    }
    await runStep('build', { command: plan.buildCommand, cwd: projectDir, env: envFor('build'), log, timeoutMs: timeouts.buildMs, ...signalOption(options) });
  });

  const { outputDirectory, files, buildOutput, functions, apiPlan } = await step('collect', async () => {
    // A framework that wrote Build Output API v3 itself is taken as is: its static/ and config.json.
    const buildOutput = await readBuildOutput(projectDir);
    if (buildOutput) {
      log.info(`${BUILD_OUTPUT_DIR}/config.json found: deploying the framework's Build Output API output`);
      for (const fallback of await materializePrerenderFallbacks(path.join(projectDir, BUILD_OUTPUT_DIR))) {
        log.info(`prerender: /${fallback.name} is served from its build-time fallback (static ${fallback.path}), the function behind it; it is not revalidated`);
      }
    }
    const { functions, apiPlan } = await collectFunctions({
      projectDir,
      repoRoot: sourceDir,
      workDir: options.workDir,
      buildOutput,
      vercelJson: config?.vercelJson,
      loadEsbuild: options.esbuild ?? (() => installEsbuild(path.join(options.workDir, 'tools'))),
      log,
    });
    const outputDirectory = buildOutput ? buildOutput.staticDir : await resolveOutputDirectory(projectDir, plan);
    const outputDir = await resolveInside(projectDir, outputDirectory, 'outputDirectory');
    const files = await collectOutput(outputDir, {
      isProjectRoot: outputDir === projectDir,
      // A static project deployed from its root: its api/ sources are functions, and the platform's
      // files (package.json, lockfiles…) are not served, as on Vercel.
      ...(apiPlan ? { rootExcludes: PLATFORM_FILES } : {}),
      onCycle: (link, target) => log.info(`collect: symlink ${link} loops back to ${target}/, not followed (a cycle)`),
    });
    const bytes = files.reduce((sum, f) => sum + f.size, 0);
    log.info(`collected ${files.length} files (${bytes} bytes) from ${outputDirectory}`);
    return { outputDirectory, files, buildOutput, functions, apiPlan };
  });

  const uploaded = await step('upload', async () => {
    const output = await uploadMissing(files, ports.blobs, options.uploadConcurrency ?? 16, options.signal);
    log.info(`uploaded ${output.files} of ${output.unique} unique blobs (${output.bytes} bytes); ${output.unique - output.files} already stored`);
    if (functions.length === 0) return output;
    const zips = await uploadMissing(
      functions.map((f) => ({ sha: f.entry.sha, absPath: f.zipPath, size: f.entry.size })),
      ports.blobs,
      4,
      options.signal,
    );
    log.info(`uploaded ${zips.files} of ${zips.unique} function zips (${zips.bytes} bytes); ${zips.unique - zips.files} already stored`);
    return { files: output.files + zips.files, bytes: output.bytes + zips.bytes };
  });

  const manifest = await step('manifest', async () => {
    // Build Output API v3 for every project: the framework's own config.json as is, or vercel.json /
    // runway.json compiled into routes (with @vercel/routing-utils, as `vercel build` does). The
    // raw files stay in the manifest for the record; the control plane validates `buildOutput`.
    // Every pattern is checked for super-linear matching here, at deploy time (the router's step
    // budget is the backstop at the edge); a refused one fails the build naming its route.
    const compiled = buildOutput ? parseBuildOutputConfig(buildOutput.config) : compileBuildOutputConfig({ ...config, files: files.map((f) => f.path) });
    const buildOutputConfig = apiPlan ? parseBuildOutputConfig(withApiRoutes(compiled, apiPlan)) : compiled;
    // Exponential patterns are refused; polynomial ones are accepted and logged: the edge refuses
    // paths over 1,024 characters (414), which bounds them (≤ 11 ms measured for Next.js 16's RSC
    // routes), and recheck's polynomial verdict depends on its time budget — under load its fuzz
    // checker flagged routing-utils' own cleanUrls pattern, failing ordinary deployments at random.
    const patterns = await assertSafePatterns(buildOutputConfig, buildOutput ? `${BUILD_OUTPUT_DIR}/config.json` : 'vercel.json / runway.json', { allowPolynomial: true });
    for (const u of patterns.unsafe) log.info(`routes: ${u.where} ${JSON.stringify(u.pattern)} can take polynomial time to match; accepted (request paths are at most 1,024 characters)`);
    const manifest = buildManifest({
      deploymentId: job.deploymentId, framework: plan.framework, createdAt: now(), files, config: { ...config, buildOutput: buildOutputConfig },
      ...(functions.length > 0 ? { functions: Object.fromEntries(functions.map((f) => [f.name, f.entry])) } : {}),
    });
    await ports.blobs.putManifest(job.deploymentId, manifest);
    log.info(`manifest written: ${Object.keys(manifest.files).length} paths, ${Object.keys(manifest.functions ?? {}).length} functions`);
    return manifest;
  });

  if (cachePlan !== null && ports.cache !== undefined) await saveCache(ports.cache, cachePlan, projectDir, log, cacheRestored);

  return {
    deploymentId: job.deploymentId,
    plan,
    outputDirectory,
    manifest,
    uploadedFiles: uploaded.files,
    uploadedBytes: uploaded.bytes,
    durationsMs,
    cache:
      cachePlan === null
        ? null
        : { key: cachePlan.key, restored: cacheRestored, restoreMs: cacheRestoreMs, installSkipped, frameworkKey: cachePlan.frameworkKey, frameworkRestored },
  };
}

/**
 * The functions of a build: a framework's `.vercel/output/functions` when it wrote Build Output API
 * output, else the project's `api/` built as on Vercel (zero config: bundled with esbuild into a
 * Build Output API tree of its own under the work dir); each packaged into its zip.
 * @returns no functions and no plan when there are none
 * @throws FunctionConfigError, FunctionPackageError or ZeroConfigError naming what cannot be deployed
 */
async function collectFunctions(input: {
  projectDir: string;
  /** The source root: `filePathMap` paths are relative to it. */
  repoRoot: string;
  workDir: string;
  /** What the build wrote as `.vercel/output` (null: nothing). */
  buildOutput: { hasFunctions: boolean } | null;
  vercelJson: unknown;
  loadEsbuild: () => Promise<Esbuild>;
  log: Logger;
}): Promise<{ functions: PackagedFunction[]; apiPlan?: ApiPlan }> {
  const { projectDir, workDir, log } = input;
  const zipDir = path.join(workDir, 'functions');
  const apiEntries = input.buildOutput ? [] : await findApiEntrypoints(projectDir);
  let apiPlan: ApiPlan | undefined;
  let packaged: { functions: PackagedFunction[]; notes: ConfigNote[] } | undefined;
  if (apiEntries.length > 0) {
    apiPlan = planApiFunctions(apiEntries, { packageJson: (await readPackageJson(projectDir)) ?? undefined, vercelJson: input.vercelJson });
    for (const note of apiPlan.notes) log.info(note);
    const apiOutput = path.join(workDir, 'api-output');
    await bundleApiFunctions(projectDir, apiPlan, apiOutput, await input.loadEsbuild());
    log.info(`api/: ${apiPlan.functions.length} functions bundled with esbuild (${apiPlan.functions.map((f) => f.entry).join(', ')})`);
    packaged = await packageFunctions(apiOutput, apiOutput, zipDir);
  } else if (input.buildOutput?.hasFunctions) {
    packaged = await packageFunctions(path.join(projectDir, BUILD_OUTPUT_DIR), input.repoRoot, zipDir);
  }
  for (const note of packaged?.notes ?? []) log.info(`function ${note.function}: ${note.message}`);
  for (const fn of packaged?.functions ?? []) {
    log.info(`function ${fn.name}: ${fn.entry.paths.map((p) => `/${p}`).join(', ')} (${fn.entry.unzippedSize} bytes unzipped, zip ${fn.entry.size} bytes)`);
  }
  return { functions: packaged?.functions ?? [], ...(apiPlan ? { apiPlan } : {}) };
}

/** The parents of `from` up to and including `to`, nearest first; none when `to` is `from`. */
function parentsUpTo(from: string, to: string): string[] {
  const dirs: string[] = [];
  for (let dir = from; dir !== to && path.dirname(dir) !== dir; ) dirs.push((dir = path.dirname(dir)));
  return dirs;
}

function signalOption(options: PipelineOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

/** A cache only makes sense with a scope, a store and something to install. */
async function planCache(job: Job, plan: BuildPlan, projectDir: string, root: string, ports: PipelinePorts): Promise<CachePlan | null> {
  if (job.cacheKey === undefined || ports.cache === undefined || plan.installCommand === null || plan.packageManager === null) return null;
  try {
    return await planCacheEntries({ scope: job.cacheKey, plan, projectDir, root, installOverridden: job.overrides.installCommand !== undefined });
  } catch (error) {
    ports.log.info(`cache: disabled, no key: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/** Asks which blobs are missing and uploads each of those once, `concurrency` at a time (output files and function zips alike). */
async function uploadMissing(
  files: ReadonlyArray<Pick<CollectedFile, 'sha' | 'absPath' | 'size'>>,
  blobs: BlobStore,
  concurrency: number,
  signal?: AbortSignal,
): Promise<{ files: number; bytes: number; unique: number }> {
  const bySha = new Map<string, Pick<CollectedFile, 'sha' | 'absPath' | 'size'>>();
  for (const file of files) if (!bySha.has(file.sha)) bySha.set(file.sha, file);
  const missing = await blobs.missing([...bySha.keys()]);
  const limit = pLimit(concurrency);
  let bytes = 0;
  await Promise.all(
    missing.map((sha) =>
      limit(async () => {
        signal?.throwIfAborted();
        const file = bySha.get(sha);
        if (file === undefined) throw new Error(`the store asked for ${sha}, which is not in this output`);
        await blobs.put(sha, file.absPath, file.size);
        bytes += file.size;
      }),
    ),
  );
  return { files: missing.length, bytes, unique: bySha.size };
}

/**
 * Runs a step's command; one that outlives its limit fails with what happened and what to do,
 * instead of the compute's generic timeout a few minutes later.
 */
async function runStep(step: 'install' | 'build', options: RunCommandOptions): Promise<void> {
  try {
    await runCommand(options);
  } catch (error) {
    if (!(error instanceof CommandFailedError) || !error.timedOut) throw error;
    throw new Error(
      `${step} exceeded ${formatLimit(options.timeoutMs)} and was stopped: the ${step} step limit of this build compute ` +
        `(CodeBuild's Lambda compute stops a whole build at ${LAMBDA_COMPUTE_MAX_MINUTES} min; for longer builds deploy with -c runway:buildCompute=ec2)`,
      { cause: error },
    );
  }
}
