import { createHash } from 'node:crypto';
import { deploymentHost } from '#core/routing/hostnames';
import { ConflictError, NotFoundError } from '#core/errors';
import { newId, shortIdOf } from '#core/ids';
import { conversions, db, type DeploymentItem } from '#adapters/db/dynamodb/model';
import { isConditionFailed } from '#adapters/db/dynamodb/errors';
import { queryPage, type Page } from '#adapters/db/dynamodb/page';
import type { SchedulableDeployment } from '#core/ports';
import type { DeploymentTarget } from '#core/schemas';
import { config } from '#lib/config';
import { logger } from '#lib/powertools';
import { ports } from '#lib/ports';
import type { DeploymentFile } from './files.ts';
import type { DeploymentInfo as Deployment, DeploymentSource, DeploymentState, SourceSummary } from './schema.ts';

/**
 * The deployment state machine: QUEUED → BUILDING → READY | ERROR, and QUEUED | BUILDING → CANCELED
 * (QUEUED → ERROR too, when a build cannot even start). READY, ERROR and CANCELED are final.
 */
export const TRANSITIONS: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  QUEUED: ['BUILDING', 'ERROR', 'CANCELED'],
  BUILDING: ['READY', 'ERROR', 'CANCELED'],
  READY: [],
  ERROR: [],
  CANCELED: [],
};

/** Timestamp field each state sets when entered. */
const ENTERED_AT = { BUILDING: 'buildingAt', READY: 'readyAt', ERROR: 'erroredAt', CANCELED: 'canceledAt' } as const;

/** Longest stored error message; builds pass their last log lines. */
export const MAX_ERROR_MESSAGE = 4096;

export interface CreateInput {
  teamId: string;
  project: { id: string; name: string };
  target: DeploymentTarget;
  source: DeploymentSource;
  branch?: string | undefined;
  commitSha?: string | undefined;
  commitMessage?: string | undefined;
  meta?: Record<string, string> | undefined;
  redeployOf?: string | undefined;
}

/**
 * Records a new QUEUED deployment. A file list is stored as a content-addressed blob of the team
 * (it can exceed a DynamoDB item); the record keeps its sha and counts. Does not start a build:
 * see {@link submit}.
 */
export async function create(input: CreateInput): Promise<Deployment> {
  const source = await storeSource(input.teamId, input.source);
  const id = newId('dpl');
  const shortId = shortIdOf(id);
  const item: DeploymentItem = {
    id,
    shortId,
    teamId: input.teamId,
    projectId: input.project.id,
    projectName: input.project.name,
    target: input.target,
    state: 'QUEUED',
    source,
    url: deploymentHost(input.project.name, shortId, config().RUNWAY_PLATFORM_DOMAIN),
    createdAt: new Date().toISOString(),
    version: 1,
    ...defined({ branch: input.branch, commitSha: input.commitSha, commitMessage: input.commitMessage, meta: input.meta, redeployOf: input.redeployOf }),
  };
  // `create` is conditional on the id being new: a collision of 9 random base36 characters fails loudly.
  await db().entities.deployment.create(item).go();
  return toDeployment(item);
}

/**
 * Creates the deployment and hands it to the build scheduler. When scheduling fails the deployment
 * goes to ERROR (step `schedule`) before the error propagates, so nothing stays QUEUED forever.
 */
export async function submit(input: CreateInput): Promise<Deployment> {
  const deployment = await create(input);
  await start(deployment, input.source);
  return deployment;
}

/**
 * Hands a QUEUED deployment (from {@link create}) to the build scheduler; when that fails the
 * deployment goes to ERROR (step `schedule`) before the error propagates.
 */
export async function start(deployment: Deployment, source: DeploymentSource): Promise<void> {
  try {
    await ports().buildScheduler.schedule({ ...deployment, source });
  } catch (error) {
    await transition(deployment.id, {
      from: ['QUEUED'],
      to: 'ERROR',
      set: { errorStep: 'schedule', errorMessage: 'The build could not be scheduled' },
    }).catch((cause) => logger.error('Could not mark an unschedulable deployment as ERROR', { deploymentId: deployment.id, cause }));
    throw error;
  }
}

/**
 * A deployment by id. With `scope`, one of another team is "not found", exactly like a missing one.
 * @throws NotFoundError `deployment_not_found`
 */
export async function get(id: string, scope?: { teamId: string }): Promise<Deployment> {
  const { data } = await db().entities.deployment.get({ id }).go({ consistent: true });
  if (!data || (scope && data.teamId !== scope.teamId)) throw notFound(id);
  return toDeployment(data);
}

export interface ListFilter {
  target?: DeploymentTarget | undefined;
  state?: DeploymentState | undefined;
  branch?: string | undefined;
}

/**
 * Deployments of a project (or of the whole team), newest first. One index query per page, resumed
 * at the cursor's key: a page costs the same at any depth. With filters a page may come back short;
 * follow `next` until it is null.
 */
export async function list(
  scope: { teamId: string; projectId?: string | undefined },
  filter: ListFilter,
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<Deployment>> {
  const entity = db().entities.deployment;
  const filtered = filter.target !== undefined || filter.state !== undefined || filter.branch !== undefined;
  const base = scope.projectId ? entity.query.byProject({ projectId: scope.projectId }) : entity.query.byTeam({ teamId: scope.teamId });
  const query = filtered
    ? base.where((attr, op) =>
        [
          filter.target !== undefined ? op.eq(attr.target, filter.target) : '',
          filter.state !== undefined ? op.eq(attr.state, filter.state) : '',
          filter.branch !== undefined ? op.eq(attr.branch, filter.branch) : '',
        ]
          .filter(Boolean)
          .join(' AND '),
      )
    : base;
  const result = await queryPage(query, {
    ...page,
    order: 'desc',
    filtered,
    partition: scope.projectId ? ['gsi1pk', `project#${scope.projectId}`] : ['gsi2pk', `team#${scope.teamId}`],
    toCursor: (d) => cursorOf(d, scope.projectId ? 'byProject' : 'byTeam'),
  });
  return { items: result.items.map(toDeployment), next: result.next };
}

/** The cursor that resumes a newest-first listing right after `deployment`. */
export function cursorOf(deployment: Pick<Deployment, 'id' | 'teamId' | 'projectId' | 'createdAt'>, index: 'byProject' | 'byTeam'): string {
  const { id, teamId, projectId, createdAt } = deployment;
  const byIndex = conversions.deployment.byAccessPattern;
  return index === 'byProject'
    ? byIndex.byProject.fromComposite.toCursor({ id, projectId, createdAt })
    : byIndex.byTeam.fromComposite.toCursor({ id, teamId, createdAt });
}

/** Fields a transition may set besides the state and its timestamp. */
export interface TransitionSet {
  errorStep?: string;
  errorMessage?: string;
  /** Routing-config key of a READY deployment (the edge reads `c:<configKey>`). */
  configKey?: string;
}

/**
 * Moves a deployment to `to`, only if it is in one of `from` right now: one conditional write, so
 * of two racing callers exactly one wins. This is how builds report progress:
 *
 * ```ts
 * await Deployment.transition(id, { from: ['QUEUED'], to: 'BUILDING' });
 * await Deployment.transition(id, { from: ['BUILDING'], to: 'READY', set: { configKey } });
 * await Deployment.transition(id, { from: ['QUEUED', 'BUILDING'], to: 'ERROR', set: { errorStep: 'build', errorMessage } });
 * ```
 *
 * Sets the entered state's timestamp (`buildingAt`, `readyAt`, `erroredAt`, `canceledAt`) and bumps `version`.
 * @returns the deployment after the write
 * @throws ConflictError `state_conflict` (with `state`) when it is in another state, e.g. CANCELED meanwhile
 * @throws NotFoundError `deployment_not_found`
 * @throws InvalidTransitionError when `to` cannot follow one of `from` (a bug in the caller)
 */
export async function transition(
  id: string,
  change: { from: readonly DeploymentState[]; to: DeploymentState; set?: TransitionSet },
): Promise<Deployment> {
  const { from, to } = change;
  const illegal = from.filter((state) => !TRANSITIONS[state].includes(to));
  if (from.length === 0 || illegal.length > 0) {
    throw new InvalidTransitionError(`No transition ${illegal.join('|') || '(none)'} → ${to}`);
  }
  const set: Partial<DeploymentItem> = { state: to, [ENTERED_AT[to as keyof typeof ENTERED_AT]]: new Date().toISOString() };
  if (change.set?.errorStep !== undefined) set.errorStep = change.set.errorStep.slice(0, 64);
  if (change.set?.errorMessage !== undefined) set.errorMessage = change.set.errorMessage.slice(-MAX_ERROR_MESSAGE);
  if (change.set?.configKey !== undefined) set.configKey = change.set.configKey;
  try {
    const updated = await db()
      .entities.deployment.patch({ id })
      .set(set)
      .add({ version: 1 })
      .where(({ state }, { eq }) => from.map((s) => eq(state, s)).join(' OR '))
      .go({ response: 'all_new' });
    return toDeployment(updated.data as DeploymentItem);
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    const current = await get(id);
    throw new ConflictError('state_conflict', `Deployment ${id} is ${current.state}, not ${from.join(' or ')}`, { state: current.state });
  }
}

/**
 * Cancels a QUEUED or BUILDING deployment: the state changes first (so a build that finishes
 * meanwhile loses its READY write), then the scheduler stops the build. Canceling a CANCELED one
 * is a no-op.
 * @throws ConflictError `deployment_not_cancelable` when it is READY or ERROR
 */
export async function cancel(id: string, scope: { teamId: string }): Promise<Deployment> {
  const current = await get(id, scope);
  if (current.state === 'CANCELED') return current;
  let canceled: Deployment;
  try {
    canceled = await transition(id, { from: ['QUEUED', 'BUILDING'], to: 'CANCELED' });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const state = (error.details.state as DeploymentState | undefined) ?? current.state;
    if (state === 'CANCELED') return get(id);
    throw new ConflictError('deployment_not_cancelable', `Deployment ${id} is ${state} and can no longer be canceled`, { state });
  }
  try {
    await ports().buildScheduler.cancel(canceled);
  } catch (error) {
    // The record is CANCELED either way, so a build that keeps running can never go live.
    logger.warn('Stopping the build of a canceled deployment failed', { deploymentId: id, error: error as Error });
  }
  return canceled;
}

/**
 * A new deployment of the same source and project as `original` (no new upload). `beforeStart`
 * records what must exist before its build can run (a git deployment's GitHub link).
 */
export async function redeploy(
  original: Deployment,
  project: { id: string; name: string },
  options: { target?: DeploymentTarget | undefined; beforeStart?: (deployment: Deployment) => Promise<void> } = {},
): Promise<Deployment> {
  const input: CreateInput = {
    teamId: original.teamId,
    project,
    target: options.target ?? original.target,
    source: await sourceOf(original),
    branch: original.branch,
    commitSha: original.commitSha,
    commitMessage: original.commitMessage,
    meta: original.meta,
    redeployOf: original.id,
  };
  const deployment = await create(input);
  await options.beforeStart?.(deployment);
  await start(deployment, input.source);
  return deployment;
}

/** The deployment's full source, with the file list loaded from the team's blob store. */
export async function sourceOf(deployment: Pick<Deployment, 'id' | 'teamId' | 'source'>): Promise<DeploymentSource> {
  const { source } = deployment;
  if (source.type === 'git') return source;
  const bytes = await ports().blobStore.get(deployment.teamId, source.filesSha);
  if (!bytes) throw new Error(`File list ${source.filesSha} of deployment ${deployment.id} is missing from the blob store`);
  return { type: 'files', files: JSON.parse(bytes.toString('utf8')) as DeploymentFile[] };
}

/** The deployment as the build system gets it: its record plus its full source. */
export async function schedulable(deployment: Deployment): Promise<SchedulableDeployment> {
  return { ...deployment, source: await sourceOf(deployment) };
}

/** Stores a file list as a blob (canonical: sorted by path) and returns the record's summary. */
async function storeSource(teamId: string, source: DeploymentSource): Promise<SourceSummary> {
  if (source.type === 'git') return source;
  const files = [...source.files]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map(({ file, sha, size }) => ({ file, sha, size }));
  const bytes = Buffer.from(JSON.stringify(files), 'utf8');
  const filesSha = createHash('sha256').update(bytes).digest('hex');
  await ports().blobStore.put(teamId, filesSha, bytes);
  return { type: 'files', fileCount: files.length, totalBytes: files.reduce((n, f) => n + f.size, 0), filesSha };
}

export function toDeployment(item: DeploymentItem): Deployment {
  return {
    id: item.id,
    shortId: item.shortId,
    teamId: item.teamId,
    projectId: item.projectId,
    projectName: item.projectName,
    target: item.target,
    state: item.state,
    url: item.url,
    source: item.source as SourceSummary,
    createdAt: item.createdAt,
    version: item.version,
    ...defined({
      branch: item.branch,
      commitSha: item.commitSha,
      commitMessage: item.commitMessage,
      meta: item.meta as Record<string, string> | undefined,
      buildingAt: item.buildingAt,
      readyAt: item.readyAt,
      erroredAt: item.erroredAt,
      canceledAt: item.canceledAt,
      errorStep: item.errorStep,
      errorMessage: item.errorMessage,
      configKey: item.configKey,
      redeployOf: item.redeployOf,
    }),
  };
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}

function notFound(id: string): NotFoundError {
  return new NotFoundError('deployment_not_found', `No deployment ${id}`);
}

/** A transition the state machine does not have: a bug in the caller, answered with a 500. */
export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
}
