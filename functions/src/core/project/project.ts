import { Alias } from '#core/alias/index';
import { context } from '#core/context';
import { ConflictError, NotFoundError, ValidationError } from '#core/errors';
import { newId } from '#core/ids';
import type { Page, PageRequest } from '#core/page';
import { projectNameProblem } from '#core/routing/hostnames';
import type { ClearableSetting, ProjectRecord } from './repository.ts';
import { ProjectInfo, type CreateProjectBody, type UpdateProjectBody } from './schema.ts';

type Project = ProjectInfo;

const SETTINGS = ['gitRepository', 'framework', 'rootDirectory', 'installCommand', 'buildCommand', 'outputDirectory'] as const satisfies readonly ClearableSetting[];

/**
 * Creates a project. Its name is a platform-wide reservation: the project, its name in the team
 * and the claim of its production host `<name>.D` are written at once or not at all, so no other
 * team can later take that host (README "Hostnames").
 * @throws ValidationError `invalid_project_name` for a name shaped like a branch host (`-git-`)
 * @throws ConflictError `project_name_taken` with `scope` `team` when the team has a project of
 *   that name, `platform` when the name's host belongs to another project (which one is not said)
 */
export async function create(teamId: string, body: CreateProjectBody): Promise<Project> {
  const problem = projectNameProblem(body.name);
  if (problem) throw new ValidationError('invalid_project_name', `The project name ${problem}`, { name: body.name });
  const now = new Date().toISOString();
  const record: ProjectRecord = {
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
    if (value !== null && value !== undefined) Object.assign(record, { [field]: value });
  }
  const outcome = await context().projects.create(record, Alias.claimRecord(Alias.productionHostOf(record), record, 'production'));
  if (outcome === 'name_taken') {
    throw new ConflictError('project_name_taken', `The team already has a project named "${body.name}"`, { name: body.name, scope: 'team' });
  }
  if (outcome === 'host_taken') {
    throw new ConflictError('project_name_taken', `The name "${body.name}" is taken on this platform: ${Alias.productionHostOf(record)} belongs to another project. Project names are global, like their hosts.`, {
      name: body.name,
      scope: 'platform',
    });
  }
  return toProject(record);
}

/** The team's project by id (`prj_…`) or name; another team's project is "not found". */
export async function get(teamId: string, idOrName: string): Promise<Project> {
  return toProject(await load(teamId, idOrName));
}

/** The team's projects by name. */
export async function list(teamId: string, page: PageRequest): Promise<Page<Project>> {
  const result = await context().projects.list(teamId, page);
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
  const set: Partial<ProjectRecord> = { updatedAt: new Date().toISOString() };
  const clear: ClearableSetting[] = [];
  for (const field of SETTINGS) {
    const value = patch[field];
    if (value === null) clear.push(field);
    else if (value !== undefined) Object.assign(set, { [field]: value });
  }
  if (patch.productionBranch !== undefined) set.productionBranch = patch.productionBranch;
  const updated = await context().projects.update(current.id, { set, clear }, version);
  if (!updated) {
    const latest = await load(teamId, current.id);
    throw versionConflict(latest.version);
  }
  return toProject(updated);
}

/** The team's project record by id or name (being deleted too, with `includeDeleted`). @throws NotFoundError `project_not_found` */
export async function load(teamId: string, idOrName: string, options: { includeDeleted?: boolean } = {}): Promise<ProjectRecord> {
  const { projects } = context();
  const id = idOrName.startsWith('prj_') ? idOrName : await projects.idByName(teamId, idOrName);
  const project = id ? await projects.get(id) : undefined;
  if (!project || project.teamId !== teamId || (project.deletedAt && !options.includeDeleted)) throw notFound(idOrName);
  return project;
}

/** The project as the API shows it (the deletion mark is internal). */
function toProject(record: ProjectRecord): Project {
  return ProjectInfo.strip().parse(record);
}

function notFound(idOrName: string): NotFoundError {
  return new NotFoundError('project_not_found', `No project "${idOrName}"`);
}

function versionConflict(currentVersion: number): ConflictError {
  return new ConflictError('version_conflict', 'The project changed since you read it; reload and retry', { currentVersion });
}
