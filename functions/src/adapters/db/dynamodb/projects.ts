import type { Page, PageRequest } from '#core/page';
import type { AliasRecord } from '#core/alias/repository';
import type { ClearableSetting, ProjectCreateOutcome, ProjectRecord, ProjectRepository } from '#core/project/repository';
import { assertOnlyConditionFailures, rejectedConditions, unlessConditionFails } from './errors.ts';
import { conversions, db, type AliasItem, type ProjectItem } from './model.ts';
import { queryPage } from './page.ts';

/**
 * Projects `project#<id>`, listed per team by name (gsi1), with a `project-name#<name>` uniqueness
 * item in the team and, platform-wide, the alias item of its production host.
 */
export class DynamoDbProjects implements ProjectRepository {
  async create(project: ProjectRecord, productionHost: AliasRecord): Promise<ProjectCreateOutcome> {
    const outcome = await db()
      .transaction.write(({ project: projects, projectName, alias }) => [
        projectName.create({ teamId: project.teamId, name: project.name, projectId: project.id }).commit(),
        projects.create(project as ProjectItem).commit(),
        alias.create(productionHost as AliasItem).commit(),
      ])
      .go();
    assertOnlyConditionFailures(outcome);
    const rejected = rejectedConditions(outcome);
    if (rejected.includes(0) || rejected.includes(1)) return 'name_taken';
    if (rejected.includes(2)) return 'host_taken';
    return 'created';
  }

  async get(id: string): Promise<ProjectRecord | undefined> {
    const { data } = await db().entities.project.get({ id }).go({ consistent: true });
    return (data as ProjectRecord | null) ?? undefined;
  }

  async idByName(teamId: string, name: string): Promise<string | undefined> {
    const { data } = await db().entities.projectName.get({ teamId, name }).go();
    return data?.projectId;
  }

  async list(teamId: string, page: PageRequest): Promise<Page<ProjectRecord>> {
    return queryPage(
      db()
        .entities.project.query.byTeam({ teamId })
        .where(({ deletedAt }, { notExists }) => notExists(deletedAt)),
      {
        ...page,
        order: 'asc',
        filtered: true,
        partition: ['gsi1pk', `team#${teamId}`],
        toCursor: (p) => conversions.project.byAccessPattern.byTeam.fromComposite.toCursor({ id: p.id, teamId: p.teamId, name: p.name }),
      },
    ) as Promise<Page<ProjectRecord>>;
  }

  async update(id: string, change: { set: Partial<ProjectRecord>; clear: ClearableSetting[] }, expectedVersion: number): Promise<ProjectRecord | undefined> {
    const write = db()
      .entities.project.patch({ id })
      .set(change.set as Partial<ProjectItem>)
      .remove(change.clear)
      .add({ version: 1 })
      .where(({ version, deletedAt }, { eq, notExists }) => `${eq(version, expectedVersion)} AND ${notExists(deletedAt)}`)
      .go({ response: 'all_new' });
    return unlessConditionFails(write.then(({ data }) => data as ProjectRecord), undefined);
  }

  async markDeleted(project: Pick<ProjectRecord, 'id'>, at: string): Promise<void> {
    const outcome = await db()
      .transaction.write(({ project: projects, projectDeletion }) => [
        projects.patch({ id: project.id }).set({ deletedAt: at }).commit(),
        projectDeletion.put({ projectId: project.id, deletedAt: at }).commit(),
      ])
      .go();
    assertOnlyConditionFailures(outcome);
    if (outcome.canceled) throw new Error(`No project ${project.id} to mark deleted`);
  }

  async deleting(limit: number): Promise<ProjectRecord[]> {
    const { data: marks } = await db().entities.projectDeletion.query.byProject({}).go({ limit, pages: 1 });
    const found = await Promise.all(marks.map((m) => this.get(m.projectId)));
    return found.filter((p): p is ProjectRecord => p !== undefined);
  }

  async delete(project: Pick<ProjectRecord, 'id' | 'teamId' | 'name'>): Promise<void> {
    const outcome = await db()
      .transaction.write(({ project: projects, projectName, projectDeletion }) => [
        projects.delete({ id: project.id }).commit(),
        projectName.delete({ teamId: project.teamId, name: project.name }).commit(),
        projectDeletion.delete({ projectId: project.id }).commit(),
      ])
      .go();
    assertOnlyConditionFailures(outcome);
  }
}
