import { createHash } from 'node:crypto';
import { context } from '#core/context';
import { ConflictError, NotFoundError } from '#core/errors';
import { newId, shortIdOf } from '#core/ids';
import type { Page, PageRequest } from '#core/page';
import { deploymentHost } from '#core/routing/hostnames';
import type { DeploymentTarget } from '#core/schemas';
import type { DeploymentFile } from './files.ts';
import type { DeploymentChange, DeploymentFilter, DeploymentRecord } from './repository.ts';
import { DeploymentInfo, type DeploymentSource, type DeploymentState, type SourceSummary } from './schema.ts';

type Deployment = DeploymentInfo;

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

/** The one definition of a final state: no transition leaves it (READY, ERROR, CANCELED). */
export function isFinal(state: DeploymentState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** States a build may still change: QUEUED and BUILDING. */
export const ACTIVE_STATES = (Object.keys(TRANSITIONS) as DeploymentState[]).filter((s) => !isFinal(s));

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

/** Ids tried when the host a new id gives is owned already (a project named `<project>-<shortId>`). */
const MAX_ID_ATTEMPTS = 3;

/**
 * Records a new QUEUED deployment and claims its own host `<project>-<shortId>.D` in the same
 * write: the id is random and unknown to anyone before, so nobody can take that host first, and a
 * host that happens to be owned (by a project of that exact name) gets another id. A file list is
 * stored as a content-addressed blob of the team (it can exceed a DynamoDB item); the record
 * keeps its sha and counts. Does not start a build: see `Build.submit`.
 * @throws NotFoundError `project_not_found` when the project is gone or being deleted
 */
export async function create(input: CreateInput): Promise<Deployment> {
  const source = await storeSource(input.teamId, input.source);
  for (let attempt = 1; ; attempt++) {
    const id = newId('dpl');
    const shortId = shortIdOf(id);
    const now = new Date().toISOString();
    const record: DeploymentRecord = {
      id,
      shortId,
      teamId: input.teamId,
      projectId: input.project.id,
      projectName: input.project.name,
      target: input.target,
      state: 'QUEUED',
      source,
      url: deploymentHost(input.project.name, shortId, context().settings.platformDomain),
      createdAt: now,
      version: 1,
      ...defined({ branch: input.branch, commitSha: input.commitSha, commitMessage: input.commitMessage, meta: input.meta, redeployOf: input.redeployOf }),
    };
    const host = { host: record.url, teamId: input.teamId, projectId: input.project.id, kind: 'deployment' as const, createdAt: now, updatedAt: now, version: 1 };
    // Conditional on the id being new too: a collision of 9 random base36 characters fails loudly.
    const outcome = await context().deployments.create(record, host);
    if (outcome === 'created') return toDeployment(record);
    if (outcome === 'project_gone') throw new NotFoundError('project_not_found', `No project "${input.project.name}"`);
    if (attempt >= MAX_ID_ATTEMPTS) throw new ConflictError('alias_host_taken', `No free deployment host for ${input.project.name}`, { host: record.url });
  }
}

/**
 * A deployment by id. With `scope`, one of another team is "not found", exactly like a missing one.
 * @throws NotFoundError `deployment_not_found`
 */
export async function get(id: string, scope?: { teamId: string }): Promise<Deployment> {
  const record = await context().deployments.get(id);
  if (!record || (scope && record.teamId !== scope.teamId)) throw notFound(id);
  return toDeployment(record);
}

export type ListFilter = DeploymentFilter;

/**
 * Deployments of a project (or of the whole team), newest first. A page costs the same at any
 * depth. With filters a page may come back short; follow `next` until it is null.
 */
export async function list(scope: { teamId: string; projectId?: string | undefined }, filter: ListFilter, page: PageRequest): Promise<Page<Deployment>> {
  const result = await context().deployments.list(scope, filter, page);
  return { items: result.items.map(toDeployment), next: result.next };
}

/** The cursor that resumes a newest-first listing right after `deployment`. */
export function cursorOf(deployment: Deployment, index: 'byProject' | 'byTeam'): string {
  return context().deployments.cursorAfter(deployment, index === 'byProject' ? 'project' : 'team');
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
export async function transition(id: string, change: { from: readonly DeploymentState[]; to: DeploymentState; set?: TransitionSet }): Promise<Deployment> {
  const { from, to } = change;
  const illegal = from.filter((state) => !TRANSITIONS[state].includes(to));
  if (from.length === 0 || illegal.length > 0) {
    throw new InvalidTransitionError(`No transition ${illegal.join('|') || '(none)'} → ${to}`);
  }
  const set: DeploymentChange = { state: to, [ENTERED_AT[to as keyof typeof ENTERED_AT]]: new Date().toISOString() };
  if (change.set?.errorStep !== undefined) set.errorStep = change.set.errorStep.slice(0, 64);
  if (change.set?.errorMessage !== undefined) set.errorMessage = change.set.errorMessage.slice(-MAX_ERROR_MESSAGE);
  if (change.set?.configKey !== undefined) set.configKey = change.set.configKey;
  const updated = await context().deployments.update(id, set, from);
  if (updated) return toDeployment(updated);
  const current = await get(id);
  throw new ConflictError('state_conflict', `Deployment ${id} is ${current.state}, not ${from.join(' or ')}`, { state: current.state });
}

/**
 * The deployment's full source, with the file list loaded from the team's blob store: the one
 * loader of a deployment's files.
 * @throws NotFoundError `source_missing` when the file list is gone
 */
export async function sourceOf(deployment: Pick<Deployment, 'id' | 'teamId' | 'source'>): Promise<DeploymentSource> {
  const { source } = deployment;
  if (source.type === 'git') return source;
  const bytes = await context().blobStore.get(deployment.teamId, source.filesSha);
  if (!bytes) throw new NotFoundError('source_missing', `The file list of ${deployment.id} is gone`);
  return { type: 'files', files: JSON.parse(bytes.toString('utf8')) as DeploymentFile[] };
}

/** Stores a file list as a blob (canonical: sorted by path) and returns the record's summary. */
async function storeSource(teamId: string, source: DeploymentSource): Promise<SourceSummary> {
  if (source.type === 'git') return source;
  const files = [...source.files]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map(({ file, sha, size }) => ({ file, sha, size }));
  const bytes = Buffer.from(JSON.stringify(files), 'utf8');
  const filesSha = createHash('sha256').update(bytes).digest('hex');
  await context().blobStore.put(teamId, filesSha, bytes);
  return { type: 'files', fileCount: files.length, totalBytes: files.reduce((n, f) => n + f.size, 0), filesSha };
}

/** The deployment as the API shows it. */
export function toDeployment(record: DeploymentRecord): Deployment {
  return DeploymentInfo.strip().parse(record);
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
