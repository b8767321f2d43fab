import pLimit from 'p-limit';
import { Alias, EdgeKeys } from '#core/alias/index';
import { artifactKeyProblem, blobKey, deploymentFileKey, manifestKey } from '#core/artifact-keys';
import { context } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { ConflictError, NotFoundError } from '#core/errors';
import { Project } from '#core/project/index';
import { compileRoutingConfig, InvalidRoutingConfigError, RoutingConfigTooLargeError } from '#core/routing/edge-config';
import { isResultLine, ManifestSchema, resultOf } from './contract.ts';
import { begin, fail } from './lifecycle.ts';
import { record } from './tokens.ts';

/** How a build ended (or that it started), whoever ran it. */
export type BuildStatus = 'started' | 'succeeded' | 'failed' | 'stopped' | 'timed_out';

/** Copies run at this concurrency: fast on S3, gentle on the emulator. */
const COPY_CONCURRENCY = 32;

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
 * Turns a successful build into a READY deployment: validate the manifest, copy each file from
 * the team's blobs to the deployment's immutable prefix, compile the routing config into the edge,
 * publish the deployment's own host, mark READY, then move the production / branch alias forward
 * (never back to an older deployment). Safe to repeat (a redelivered event finds it READY and stops).
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
  const tooLong = Object.keys(manifest.files).find((path) => artifactKeyProblem(deploymentFileKey(deploymentId, path)));
  if (tooLong !== undefined) return fail(deploymentId, 'manifest', `The output path ${tooLong.slice(0, 64)}… is too long to store`);

  let routing: { key: string | null; value: string | null };
  try {
    routing = compileRoutingConfig(manifest.config ?? {});
  } catch (error) {
    if (error instanceof RoutingConfigTooLargeError || error instanceof InvalidRoutingConfigError) {
      return fail(deploymentId, 'config', error.message);
    }
    throw error;
  }

  const limit = pLimit(COPY_CONCURRENCY);
  try {
    await Promise.all(
      Object.entries(manifest.files).map(([path, file]) =>
        limit(() => artifacts.copy(blobKey(deployment.teamId, file.sha), deploymentFileKey(deploymentId, path), { contentType: file.contentType })),
      ),
    );
  } catch (error) {
    logger.warn('Copying build output failed', { deploymentId, error: (error as Error).name });
    return fail(deploymentId, 'finalize', 'The build output references files that were never uploaded');
  }

  // What it publishes besides its hosts is recorded first, so a deletion finds it whatever happens
  // next. The config entry goes before any host: the edge answers 503 for a host whose config it
  // cannot find. Then the deployment's own host, so that READY means its URL works.
  const project = await Project.get(deployment.teamId, deployment.projectId).catch((error) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (!project) return fail(deploymentId, 'publish', 'Its project was deleted');
  const edgeKeys = routing.key && routing.value ? [`c:${routing.key}`] : [];
  // Canceled meanwhile: nothing of it is published.
  if (!(await context().deployments.update(deploymentId, { edgeKeys }, ['QUEUED', 'BUILDING']))) return Deployment.get(deploymentId);
  if (routing.key && routing.value) await EdgeKeys.publish(deployment, `c:${routing.key}`, routing.value);
  try {
    await Alias.publishOwnHost(project, { ...deployment, ...(routing.key ? { configKey: routing.key } : {}) });
  } catch (error) {
    if (!(error instanceof ConflictError && error.code === 'alias_host_taken')) throw error;
    return fail(deploymentId, 'publish', `Its host ${deployment.url} belongs to another project`);
  }
  await begin(deploymentId);
  deployment = await Deployment.transition(deploymentId, {
    from: ['BUILDING'],
    to: 'READY',
    ...(routing.key ? { set: { configKey: routing.key } } : {}),
  }).catch(async (error) => {
    if (error instanceof ConflictError) return Deployment.get(deploymentId);
    throw error;
  });
  if (deployment.state !== 'READY') return deployment;
  // Production and branch hosts follow; one another project owns is recorded, never taken.
  return Alias.follow(project, deployment);
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
