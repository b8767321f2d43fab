import type { Page, PageRequest } from '#core/page';
import type { ClearableSetting, ProjectRecord, ProjectRepository } from '#core/project/repository';
import { assertOnlyConditionFailures, rejectedConditions, unlessConditionFails } from './errors.ts';
import { conversions, db, type ProjectItem } from './model.ts';
import { queryPage } from './page.ts';

/** Projects `project#<id>`, listed per team by name (gsi1), with a `project-name#<name>` uniqueness item in the team. */
export class DynamoDbProjects implements ProjectRepository {
  async create(project: ProjectRecord): Promise<boolean> {
    const outcome = await db()
      .transaction.write(({ project: projects, projectName }) => [
        projectName.create({ teamId: project.teamId, name: project.name, projectId: project.id }).commit(),
        projects.create(project as ProjectItem).commit(),
      ])
      .go();
    assertOnlyConditionFailures(outcome);
    return !rejectedConditions(outcome).includes(0);
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

  async markDeleted(id: string, at: string): Promise<void> {
    await db().entities.project.patch({ id }).set({ deletedAt: at }).go();
  }

  async delete(project: Pick<ProjectRecord, 'id' | 'teamId' | 'name'>): Promise<void> {
    const outcome = await db()
      .transaction.write(({ project: projects, projectName }) => [
        projects.delete({ id: project.id }).commit(),
        projectName.delete({ teamId: project.teamId, name: project.name }).commit(),
      ])
      .go();
    assertOnlyConditionFailures(outcome);
  }
}
