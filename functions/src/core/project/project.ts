import { ConflictError, NotFoundError } from '#core/errors';
import { newId } from '#core/ids';
import { conversions, db, type ProjectItem } from '#adapters/db/dynamodb/model';
import { assertOnlyConditionFailures, isConditionFailed, rejectedConditions } from '#adapters/db/dynamodb/errors';
import { queryPage, type Page } from '#adapters/db/dynamodb/page';
import { Alias } from '#core/alias/index';
import { Env } from '#core/env/index';
import type { CreateProjectBody, ProjectInfo as Project, UpdateProjectBody } from './schema.ts';

const SETTINGS = ['gitRepository', 'framework', 'rootDirectory', 'installCommand', 'buildCommand', 'outputDirectory'] as const;

/** Creates a project; its name is unique in the team (a uniqueness item, written in the same transaction). */
export async function create(teamId: string, body: CreateProjectBody): Promise<Project> {
  const now = new Date().toISOString();
  const item: ProjectItem = {
    id: newId('prj'),
    teamId,
    name: body.name,
    productionBranch: body.productionBranch ?? 'main',
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  for (const field of SETTINGS) {
    const value = body[field];
    if (value !== null && value !== undefined) Object.assign(item, { [field]: value });
  }
  const outcome = await db()
    .transaction.write(({ project, projectName }) => [
      projectName.create({ teamId, name: body.name, projectId: item.id }).commit(),
      project.create(item).commit(),
    ])
    .go();
  assertOnlyConditionFailures(outcome);
  if (rejectedConditions(outcome).includes(0)) {
    throw new ConflictError('project_name_taken', `The team already has a project named "${body.name}"`, { name: body.name });
  }
  return toProject(item);
}

/** The team's project by id (`prj_…`) or name; another team's project is "not found". */
export async function get(teamId: string, idOrName: string): Promise<Project> {
  return toProject(await load(teamId, idOrName));
}

/** The team's projects by name. */
export async function list(teamId: string, page: { limit: number; cursor?: string }): Promise<Page<Project>> {
  const entity = db().entities.project;
  const result = await queryPage(
    entity.query.byTeam({ teamId }).where(({ deletedAt }, { notExists }) => notExists(deletedAt)),
    {
      ...page,
      order: 'asc',
      filtered: true,
      partition: ['gsi1pk', `team#${teamId}`],
      toCursor: (p) => conversions.project.byAccessPattern.byTeam.fromComposite.toCursor({ id: p.id, teamId: p.teamId, name: p.name }),
    },
  );
  return { items: result.items.map(toProject), next: result.next };
}

/**
 * Changes settings. The write is conditional on the version the caller last saw (`expectedVersion`)
 * or, without one, on the version just read: a concurrent update makes it a 409, never a lost update.
 */
export async function update(teamId: string, idOrName: string, patch: UpdateProjectBody, expectedVersion?: number): Promise<Project> {
  const current = await load(teamId, idOrName);
  const version = expectedVersion ?? current.version;
  if (version !== current.version) throw versionConflict(current.version);
  const set: Partial<ProjectItem> = { updatedAt: new Date().toISOString() };
  const remove: Array<(typeof SETTINGS)[number]> = [];
  for (const field of SETTINGS) {
    const value = patch[field];
    if (value === null) remove.push(field);
    else if (value !== undefined) Object.assign(set, { [field]: value });
  }
  if (patch.productionBranch !== undefined) set.productionBranch = patch.productionBranch;
  try {
    const updated = await db()
      .entities.project.patch({ id: current.id })
      .set(set)
      .remove(remove)
      .add({ version: 1 })
      .where(({ version: v, deletedAt }, { eq, notExists }) => `${eq(v, version)} AND ${notExists(deletedAt)}`)
      .go({ response: 'all_new' });
    return toProject(updated.data as ProjectItem);
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
    const latest = await load(teamId, current.id);
    throw versionConflict(latest.version);
  }
}

/**
 * Deletes a project so nothing routes to it any more: marks it deleted (every reader and every
 * alias write sees it gone from then on), removes its aliases from the edge and the table, its env
 * vars, then the project and its name. A failure part-way leaves the mark, and a retry finishes.
 * Deployment records stay as history; their files are immutable and no longer reachable.
 */
export async function remove(teamId: string, idOrName: string): Promise<void> {
  const item = await load(teamId, idOrName, { includeDeleted: true });
  if (!item.deletedAt) {
    await db()
      .entities.project.patch({ id: item.id })
      .set({ deletedAt: new Date().toISOString() })
      .go();
  }
  await Alias.removeAllForProject(item.id);
  await Env.removeAllForProject(item.id);
  const outcome = await db()
    .transaction.write(({ project, projectName }) => [
      project.delete({ id: item.id }).commit(),
      projectName.delete({ teamId, name: item.name }).commit(),
    ])
    .go();
  assertOnlyConditionFailures(outcome);
}

async function load(teamId: string, idOrName: string, options: { includeDeleted?: boolean } = {}): Promise<ProjectItem> {
  const { project, projectName } = db().entities;
  let id = idOrName;
  if (!idOrName.startsWith('prj_')) {
    const name = await projectName.get({ teamId, name: idOrName }).go();
    if (!name.data) throw notFound(idOrName);
    id = name.data.projectId;
  }
  const found = await project.get({ id }).go({ consistent: true });
  const item = found.data;
  if (!item || item.teamId !== teamId || (item.deletedAt && !options.includeDeleted)) throw notFound(idOrName);
  return item;
}

function toProject(item: ProjectItem): Project {
  return {
    id: item.id,
    teamId: item.teamId,
    name: item.name,
    ...(item.gitRepository ? { gitRepository: item.gitRepository as Project['gitRepository'] } : {}),
    ...(item.framework ? { framework: item.framework as Project['framework'] } : {}),
    ...(item.rootDirectory !== undefined ? { rootDirectory: item.rootDirectory } : {}),
    ...(item.installCommand !== undefined ? { installCommand: item.installCommand } : {}),
    ...(item.buildCommand !== undefined ? { buildCommand: item.buildCommand } : {}),
    ...(item.outputDirectory !== undefined ? { outputDirectory: item.outputDirectory } : {}),
    productionBranch: item.productionBranch,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: item.version,
  };
}

function notFound(idOrName: string): NotFoundError {
  return new NotFoundError('project_not_found', `No project "${idOrName}"`);
}

function versionConflict(currentVersion: number): ConflictError {
  return new ConflictError('version_conflict', 'The project changed since you read it; reload and retry', { currentVersion });
}
