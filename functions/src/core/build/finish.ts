import { Alias } from '#core/alias/index';
import { manifestKey } from '#core/artifact-keys';
import { context, PortNotConfiguredError } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { Env } from '#core/env/index';
import { ConflictError, NotFoundError, ValidationError } from '#core/errors';
import { type FunctionConfig, FunctionConfigError, type FunctionDeployer, parseFunctionConfig } from '#core/functions/index';
import { Project } from '#core/project/index';
import { buildDeploymentIndex, deploymentIndexKey } from '#core/routing/deployment-index';
import { type BuildOutputConfig, InvalidRoutingConfigError, parseBuildOutputConfig } from '#core/routing/schema';
import { isResultLine, type Manifest, ManifestSchema, pathProblem, resultOf } from './contract.ts';
import { begin, fail } from './lifecycle.ts';
import { record } from './tokens.ts';

/** How a build ended (or that it started), whoever ran it. */
export type BuildStatus = 'started' | 'succeeded' | 'failed' | 'stopped' | 'timed_out';

/**
 * Turns a build's status into the deployment's state. Deliveries may repeat or arrive out of
 * order: every effect is a conditional state transition, so a repeat finds the deployment moved
 * already and does nothing.
 * @param end.logStream where the build logged (its record's stream when not given)
 * @returns the deployment after a build's end, to report it; `undefined` when the build only
 *   started or the deployment is unknown
 */
export async function finish(end: { deploymentId: string; status: BuildStatus; logStream?: string | undefined }): Promise<DeploymentInfo | undefined> {
  const { deploymentId, status } = end;
  const { logger } = context();
  try {
    switch (status) {
      case 'started':
        await begin(deploymentId);
        return undefined;
      case 'succeeded':
        logger.info('Build finished', { state: (await finalize(deploymentId)).state });
        break;
      case 'stopped':
        await Deployment.transition(deploymentId, { from: ['QUEUED', 'BUILDING'], to: 'CANCELED' });
        break;
      case 'timed_out':
        await fail(deploymentId, 'timeout', 'The build ran longer than its time limit and was stopped');
        break;
      case 'failed':
        await failFromLogs(deploymentId, end.logStream ?? (await record(deploymentId))?.logStream);
        break;
    }
  } catch (error) {
    if (error instanceof NotFoundError) {
      logger.warn('Build event for an unknown deployment', { deploymentId });
      return undefined;
    }
    if (!(error instanceof ConflictError)) throw error;
    logger.info('Build event already applied', { deploymentId, code: error.code });
  }
  return Deployment.get(deploymentId);
}

/**
 * Turns a successful build into a READY deployment: validate the manifest, check that every blob
 * it names is stored, compile its routing config (vercel.json / runway.json, or the framework's
 * own `.vercel/output/config.json`) into Build Output API routes, write the deployment index the
 * edge routes by (`routes/<id>.json`: config + path → blob; nothing is copied, so a redeploy costs
 * one object however many files it has), publish the deployment's own host, mark READY, then move
 * the production / branch alias forward (never back to an older deployment). Safe to repeat (a
 * redelivered event finds it READY and stops).
 */
export async function finalize(deploymentId: string): Promise<DeploymentInfo> {
  let deployment = await Deployment.get(deploymentId);
  if (Deployment.isFinal(deployment.state)) return deployment; // READY already, or CANCELED / ERROR meanwhile.
  const { artifacts, logger } = context();

  const text = await artifacts.getText(manifestKey(deploymentId));
  if (!text) return fail(deploymentId, 'manifest', 'The build ended without writing a manifest');
  const parsed = ManifestSchema.safeParse(safeJson(text));
  if (!parsed.success || parsed.data.deploymentId !== deploymentId) {
    return fail(deploymentId, 'manifest', 'The build wrote an invalid manifest');
  }
  const manifest = parsed.data;

  let config: BuildOutputConfig;
  try {
    // The builder wrote Build Output API config for every project (the framework's own, or
    // vercel.json / runway.json compiled); the build is untrusted, so it is validated here.
    const { buildOutput, runwayJson, vercelJson } = manifest.config ?? {};
    if (buildOutput === undefined && (runwayJson !== undefined || vercelJson !== undefined)) {
      return fail(deploymentId, 'config', 'The build did not compile vercel.json / runway.json into Build Output API routes (a builder older than the platform?)');
    }
    config = parseBuildOutputConfig(buildOutput ?? { version: 3 });
  } catch (error) {
    if (error instanceof InvalidRoutingConfigError) {
      return fail(deploymentId, 'config', error.message);
    }
    throw error;
  }

  let functions: ValidatedFunction[];
  try {
    functions = validateFunctions(manifest);
  } catch (error) {
    if (error instanceof FunctionConfigError) return fail(deploymentId, 'config', error.message);
    throw error;
  }

  const shas = [...Object.values(manifest.files).map((f) => f.sha), ...functions.map((f) => f.sha)];
  const missing = await context().blobStore.missing(deployment.teamId, shas);
  if (missing.length > 0) {
    logger.warn('Build output names blobs never uploaded', { deploymentId, missing: missing.length });
    return fail(deploymentId, 'finalize', 'The build output references files that were never uploaded');
  }

  if (functions.length > 0) {
    // Before the index and the host: once either is out, a request may reach a function. The
    // runtime env is a snapshot of the target's vars now (a changed var needs a redeploy, as on Vercel).
    let functionDeployer: FunctionDeployer | undefined;
    try {
      functionDeployer = context().functionDeployer;
    } catch (error) {
      if (!(error instanceof PortNotConfiguredError)) throw error;
    }
    if (!functionDeployer) return fail(deploymentId, 'functions', 'This deployment has functions, which this Runway installation cannot run yet');
    // Runtime vars only: a var scoped to builds never reaches a function.
    const { env, sensitiveKeys } = await Env.resolveForRuntime(deployment.projectId, deployment.target);
    try {
      await functionDeployer.deploy({
        deploymentId,
        teamId: deployment.teamId,
        projectId: deployment.projectId,
        functions: functions.map(({ name, sha, config: fnConfig }) => ({ name, sha, config: fnConfig })),
        env,
        sensitiveKeys,
      });
    } catch (error) {
      // What the deployer refuses (Lambda's 4 KB of env vars, a reserved name) is the user's to fix.
      if (error instanceof ValidationError) return fail(deploymentId, 'functions', error.message);
      throw error;
    }
  }

  const index = buildDeploymentIndex({ deploymentId, teamId: deployment.teamId, manifest, config, functions });
  await artifacts.putText(deploymentIndexKey(deploymentId), JSON.stringify(index), 'application/json');

  // The index is written before any host, so the edge never finds a host without its routes. The
  // deployment publishes no edge key besides its hosts (its routes are in the index, not the KVS).
  // Then the deployment's own host, so that READY means its URL works.
  const project = await Project.get(deployment.teamId, deployment.projectId).catch((error) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (!project) return fail(deploymentId, 'publish', 'Its project was deleted');
  // Canceled meanwhile: nothing of it is published.
  const summaries = functions.map((f) => ({
    name: f.name,
    paths: f.paths.map((p) => `/${p}`),
    runtime: f.config.runtime,
    memory: f.config.memoryMb,
    maxDuration: f.config.maxDurationSeconds,
    size: f.size,
  }));
  if (!(await context().deployments.update(deploymentId, { edgeKeys: [], ...(summaries.length > 0 ? { functions: summaries } : {}) }, ['QUEUED', 'BUILDING']))) {
    return Deployment.get(deploymentId);
  }
  try {
    await Alias.publishOwnHost(project, deployment);
  } catch (error) {
    if (!(error instanceof ConflictError && error.code === 'alias_host_taken')) throw error;
    return fail(deploymentId, 'publish', `Its host ${deployment.url} belongs to another project`);
  }
  await begin(deploymentId);
  deployment = await Deployment.transition(deploymentId, { from: ['BUILDING'], to: 'READY' }).catch(async (error) => {
    if (error instanceof ConflictError) return Deployment.get(deploymentId);
    throw error;
  });
  if (deployment.state !== 'READY') return deployment;
  // Production and branch hosts follow; one another project owns is recorded, never taken.
  return Alias.follow(project, deployment);
}

/** A function of the manifest whose config passed `parseFunctionConfig` here, in the control plane. */
interface ValidatedFunction {
  name: string;
  sha: string;
  size: number;
  paths: string[];
  config: FunctionConfig;
}

/**
 * The manifest's functions, each `.vc-config.json`-derived config validated again (the build is
 * untrusted: it could write any config into the manifest; the builder writes it back as
 * `.vc-config.json` fields with `toVcConfig`). Names and paths were checked by
 * `ManifestSchema`; a path served by two functions is refused.
 * @throws FunctionConfigError naming the first function that cannot be deployed
 */
function validateFunctions(manifest: Manifest): ValidatedFunction[] {
  const byPath = new Map<string, string>();
  return Object.entries(manifest.functions ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, fn]) => {
      const { config } = parseFunctionConfig(name, fn.config);
      const handlerProblem = pathProblem(config.handler);
      if (handlerProblem) throw new FunctionConfigError('invalid_function_config', `Function "${name}": handler ${JSON.stringify(config.handler)} ${handlerProblem}`, { function: name });
      for (const path of fn.paths) {
        const other = byPath.get(path);
        if (other !== undefined) throw new FunctionConfigError('duplicate_function_path', `Functions "${other}" and "${name}" both serve /${path}`, { function: name });
        byPath.set(path, name);
      }
      return { name, sha: fn.sha, size: fn.size, paths: [...fn.paths].sort(), config };
    });
}

/** Turns the end of a failed build into ERROR with its step and last log lines. */
async function failFromLogs(deploymentId: string, stream: string | undefined): Promise<DeploymentInfo> {
  const tail = stream ? await lastLines(stream, 30) : [];
  const result = resultOf(tail);
  const lines = tail.filter((l) => !isResultLine(l)).slice(-20);
  const message = [result?.error, ...lines].filter(Boolean).join('\n') || 'The build failed without output';
  return fail(deploymentId, result?.step ?? 'build', message);
}

async function lastLines(stream: string, count: number): Promise<string[]> {
  const { buildLogs } = context();
  const lines: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await buildLogs.read(stream, { cursor, limit: 1000 });
    lines.push(...page.events.map((e) => e.message));
    if (page.events.length === 0 || page.next === cursor) break;
    cursor = page.next;
  }
  return lines.slice(-count);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
