import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Entity } from 'electrodb';
import pLimit from 'p-limit';
import * as z from 'zod';
import { dynamoClient } from '#adapters/aws/clients';
import { blobKey, deploymentFileKey, manifestKey } from '#core/artifact-keys';
import { Alias } from '#core/alias/index';
import { db } from '#adapters/db/dynamodb/model';
import { isConditionFailed } from '#adapters/db/dynamodb/errors';
import { Deployment, FilePath, type DeploymentInfo } from '#core/deployment/index';
import { Env } from '#core/env/index';
import { ConflictError, NotFoundError, UnauthorizedError } from '#core/errors';
import { Project } from '#core/project/index';
import { Sha256Hex } from '#core/schemas';
import { config } from '#lib/config';
import { logger } from '#lib/powertools';
import { ports } from '#lib/ports';
import { branchHost } from '#core/routing/hostnames';
import { compileRoutingConfig, InvalidRoutingConfigError, RoutingConfigTooLargeError } from '#core/routing/config';
import type { ArtifactStore, BuildLogs } from './ports.ts';

/**
 * Builds: the control plane's side of one deployment's build.
 *
 * A build runs untrusted code, so it holds no platform credentials. When a deployment is scheduled
 * it gets a random capability token (only its hash is stored) that lets it, and only while the
 * deployment is QUEUED or BUILDING, read its job and source and upload its own output through the
 * build API (`/v1/builds/{deploymentId}/…`). When the build ends, `finalize` (success) or `fail`
 * turns the result into the deployment's state.
 */

/** The build record of a deployment (same table, its own item). */
const BuildEntity = new Entity({
  model: { entity: 'build', version: '1', service: 'runway' },
  attributes: {
    deploymentId: { type: 'string', required: true, readOnly: true },
    teamId: { type: 'string', required: true, readOnly: true },
    projectId: { type: 'string', required: true, readOnly: true },
    tokenHash: { type: 'string', required: true },
    /** CodeBuild's build id, or the local runner's. */
    buildId: { type: 'string' },
    logStream: { type: 'string' },
    createdAt: { type: 'string', required: true, readOnly: true },
  },
  indexes: {
    byDeployment: {
      pk: { field: 'pk', composite: ['deploymentId'], template: 'build#${deploymentId}', casing: 'none' },
      sk: { field: 'sk', composite: [], template: 'build', casing: 'none' },
    },
  },
});

let wired = false;
function builds(): typeof BuildEntity {
  if (!wired) {
    BuildEntity.setTableName(config().RUNWAY_TABLE_NAME);
    BuildEntity.setClient(dynamoClient());
    wired = true;
  }
  return BuildEntity;
}

export type BuildRecord = z.infer<typeof BuildRecordSchema>;
const BuildRecordSchema = z.object({
  deploymentId: z.string(),
  teamId: z.string(),
  projectId: z.string(),
  tokenHash: z.string(),
  buildId: z.string().optional(),
  logStream: z.string().optional(),
  createdAt: z.string(),
});

const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Mints the capability of a deployment's build. Called once per deployment by a scheduler; a
 * second call (a redelivered schedule) fails with `ConflictError` instead of minting a second token.
 */
export async function prepare(deployment: Pick<DeploymentInfo, 'id' | 'teamId' | 'projectId'>): Promise<{ token: string }> {
  const token = `rwb_${randomBytes(32).toString('base64url')}`;
  try {
    await builds()
      .create({ deploymentId: deployment.id, teamId: deployment.teamId, projectId: deployment.projectId, tokenHash: hashToken(token), createdAt: new Date().toISOString() })
      .go();
  } catch (error) {
    if (isConditionFailed(error)) {
      throw new ConflictError('build_exists', `Deployment ${deployment.id} already has a build`);
    }
    throw error;
  }
  return { token };
}

/** Records where the build runs and logs, once the scheduler knows. */
export async function attach(deploymentId: string, where: { buildId: string; logStream?: string }): Promise<void> {
  await builds().patch({ deploymentId }).set(where).go();
}

export async function record(deploymentId: string): Promise<BuildRecord | undefined> {
  const { data } = await builds().get({ deploymentId }).go({ consistent: true });
  return data ? BuildRecordSchema.parse(data) : undefined;
}

/**
 * The deployment a build token may act for: the token must be this deployment's and the
 * deployment still QUEUED or BUILDING. Anything else is 401 with no hint which part failed.
 */
export async function authorize(deploymentId: string, authorization: string | undefined): Promise<{ deployment: DeploymentInfo; build: BuildRecord }> {
  const token = /^Bearer (rwb_[A-Za-z0-9_-]{20,100})$/.exec(authorization ?? '')?.[1];
  const build = token ? await record(deploymentId) : undefined;
  if (!token || !build || !safeEqual(hashToken(token), build.tokenHash)) throw denied();
  const deployment = await Deployment.get(deploymentId);
  if (deployment.state !== 'QUEUED' && deployment.state !== 'BUILDING') throw denied();
  return { deployment, build };
}

function denied(): UnauthorizedError {
  return new UnauthorizedError('invalid_build_token', 'The build token is not valid for this deployment');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The job the builder runs (builder/job.ts `JobSchema`); includes decrypted env values, so it is only ever sent to the build itself. */
export async function job(deployment: DeploymentInfo): Promise<Record<string, unknown>> {
  const project = await Project.get(deployment.teamId, deployment.projectId);
  const { env, sensitiveKeys } = await Env.resolveForBuild(deployment.projectId, deployment.target);
  const overrides = Object.fromEntries(
    (['rootDirectory', 'installCommand', 'buildCommand', 'outputDirectory', 'framework'] as const)
      .map((k) => [k, project[k]] as const)
      .filter(([, v]) => v !== null && v !== undefined),
  );
  return {
    deploymentId: deployment.id,
    projectId: deployment.projectId,
    source: await jobSource(deployment),
    overrides,
    env: { ...env, RUNWAY_ENV: deployment.target, RUNWAY_DEPLOYMENT_ID: deployment.id },
    sensitiveKeys,
    cacheKey: 'default',
  };
}

async function jobSource(deployment: DeploymentInfo): Promise<Record<string, unknown>> {
  const source = deployment.source;
  if (source.type === 'files') return { type: 'files', files: await sourceFiles(deployment) };
  // The builder fetches `GET /v1/builds/{id}/tarball`, which redirects to GitHub's short-lived URL.
  return { type: 'git', commitSha: source.sha };
}

/** The uploaded file list of a files deployment. */
export async function sourceFiles(deployment: DeploymentInfo): Promise<Array<{ file: string; sha: string; size: number }>> {
  if (deployment.source.type !== 'files') return [];
  const bytes = await ports().blobStore.get(deployment.teamId, deployment.source.filesSha);
  if (!bytes) throw new NotFoundError('source_missing', `The file list of ${deployment.id} is gone`);
  return JSON.parse(bytes.toString('utf8')) as Array<{ file: string; sha: string; size: number }>;
}

/** A build's manifest, validated: the build is untrusted, so every path and sha is checked here. */
export const ManifestSchema = z.object({
  version: z.literal(1),
  deploymentId: z.string(),
  framework: z.string().max(64),
  createdAt: z.string(),
  files: z
    .record(FilePath, z.strictObject({ sha: Sha256Hex, size: z.number().int().nonnegative(), contentType: z.string().max(255).regex(/^[\w.+-]+\/[\w.+-]+(;[ \w=.+-]*)*$/) }))
    .refine((files) => Object.keys(files).length <= 100_000, 'too many files'),
  config: z.object({ runwayJson: z.unknown().optional(), vercelJson: z.unknown().optional() }).optional(),
});
export type BuildManifest = z.infer<typeof ManifestSchema>;

/** Copies run at this concurrency: fast on S3, gentle on the emulator. */
const COPY_CONCURRENCY = 32;

export interface FinalizeDeps {
  artifacts: ArtifactStore;
}

/**
 * Turns a successful build into a READY deployment: validate the manifest, copy each file from
 * the team's blobs to the deployment's immutable prefix, compile the routing config into the edge,
 * publish the deployment's own host, mark READY, then move the production / branch alias — never
 * back to an older deployment. Safe to repeat (a redelivered event finds it READY and stops).
 */
export async function finalize(deploymentId: string, deps: FinalizeDeps): Promise<DeploymentInfo> {
  let deployment = await Deployment.get(deploymentId);
  if (deployment.state === 'READY') return deployment;
  if (deployment.state !== 'BUILDING' && deployment.state !== 'QUEUED') return deployment; // CANCELED or ERROR meanwhile.

  const text = await deps.artifacts.getText(manifestKey(deploymentId));
  if (!text) return fail(deploymentId, 'manifest', 'The build ended without writing a manifest');
  const parsed = ManifestSchema.safeParse(safeJson(text));
  if (!parsed.success || parsed.data.deploymentId !== deploymentId) {
    return fail(deploymentId, 'manifest', 'The build wrote an invalid manifest');
  }
  const manifest = parsed.data;

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
        limit(() => deps.artifacts.copy(blobKey(deployment.teamId, file.sha), deploymentFileKey(deploymentId, path), { contentType: file.contentType })),
      ),
    );
  } catch (error) {
    logger.warn('Copying build output failed', { deploymentId, error: (error as Error).name });
    return fail(deploymentId, 'finalize', 'The build output references files that were never uploaded');
  }

  const { edgeStore } = ports();
  // The config entry first: the edge answers 503 for a host whose config it cannot find. Then the
  // deployment's own host, so that READY means its URL works.
  if (routing.key && routing.value) await edgeStore.put(`c:${routing.key}`, routing.value);
  await edgeStore.put(deployment.url, Alias.edgeValue({ id: deployment.id, ...(routing.key ? { configKey: routing.key } : {}) }));
  if (deployment.state === 'QUEUED') await Deployment.transition(deploymentId, { from: ['QUEUED'], to: 'BUILDING' });
  deployment = await Deployment.transition(deploymentId, {
    from: ['BUILDING'],
    to: 'READY',
    ...(routing.key ? { set: { configKey: routing.key } } : {}),
  }).catch(async (error) => {
    if (error instanceof ConflictError) return Deployment.get(deploymentId);
    throw error;
  });
  if (deployment.state !== 'READY') return deployment;
  await moveAliases(deployment);
  return deployment;
}

/** Production and branch aliases follow new READY deployments, but never move to an older one. */
async function moveAliases(deployment: DeploymentInfo): Promise<void> {
  const project = await Project.get(deployment.teamId, deployment.projectId);
  const domain = config().RUNWAY_PLATFORM_DOMAIN;
  const targets: Array<{ host: string; kind: 'production' | 'branch' }> = [];
  if (deployment.target === 'production') targets.push({ host: Alias.productionHostOf(project), kind: 'production' });
  if (deployment.branch) targets.push({ host: branchHost(project.name, deployment.branch, domain), kind: 'branch' });
  for (const target of targets) await moveAlias(target, project, deployment);
}

/**
 * Points one host at `deployment` unless it serves a newer one. The write is conditional on the
 * alias version the decision was made on, so of two builds finishing at once the older cannot
 * win by writing last: the loser re-reads and decides again.
 */
async function moveAlias(target: { host: string; kind: 'production' | 'branch' }, project: Awaited<ReturnType<typeof Project.get>>, deployment: DeploymentInfo): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { data: current } = await db().entities.alias.get({ host: target.host }).go({ consistent: true });
    if (current) {
      const serving = await Deployment.get(current.deploymentId).catch(() => undefined);
      if (serving && serving.createdAt > deployment.createdAt) return;
    }
    try {
      await Alias.assign({ host: target.host, kind: target.kind, project, deployment, expectedVersion: current?.version ?? 0 });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError && error.code === 'alias_conflict')) throw error;
    }
  }
  throw new ConflictError('alias_conflict', `The alias ${target.host} kept changing; the event will be retried`);
}

/** Marks a deployment ERROR with the failed step and a message (its last log lines). */
export async function fail(deploymentId: string, step: string, message: string): Promise<DeploymentInfo> {
  try {
    return await Deployment.transition(deploymentId, { from: ['QUEUED', 'BUILDING'], to: 'ERROR', set: { errorStep: step, errorMessage: message } });
  } catch (error) {
    if (error instanceof ConflictError) return Deployment.get(deploymentId);
    throw error;
  }
}

/** The builder's result line; the fields beyond these (durations, uploads, cache) are kept as they are. */
const BuildResult = z.looseObject({ ok: z.boolean(), step: z.string().nullable().optional(), error: z.string().optional() });
export type BuildResult = z.infer<typeof BuildResult>;

/** The builder's last line, `RUNWAY_RESULT {json}`: whether it succeeded, which step failed, its figures. */
export function resultOf(lines: readonly string[]): BuildResult | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const at = lines[i]!.indexOf('RUNWAY_RESULT ');
    if (at === -1) continue;
    const parsed = BuildResult.safeParse(safeJson(lines[i]!.slice(at + 'RUNWAY_RESULT '.length)));
    return parsed.success ? parsed.data : undefined;
  }
  return undefined;
}

/** Turns the end of a failed build into ERROR with its step and last log lines. */
export async function failFromLogs(deploymentId: string, logs: BuildLogs, stream: string | undefined): Promise<DeploymentInfo> {
  const tail = stream ? await lastLines(logs, stream, 30) : [];
  const result = resultOf(tail);
  const lines = tail.filter((l) => !l.includes('RUNWAY_RESULT ')).slice(-20);
  const message = [result?.error, ...lines].filter(Boolean).join('\n') || 'The build failed without output';
  return fail(deploymentId, result?.step ?? 'build', message);
}

async function lastLines(logs: BuildLogs, stream: string, count: number): Promise<string[]> {
  const lines: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await logs.read(stream, { cursor, limit: 1000 });
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
