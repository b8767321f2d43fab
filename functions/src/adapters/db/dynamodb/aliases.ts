import type { AliasRecord, AliasRepository, AliasWriteOutcome } from '#core/alias/repository';
import type { Page, PageRequest } from '#core/page';
import { assertOnlyConditionFailures, rejectedConditions } from './errors.ts';
import { conversions, db } from './model.ts';
import { queryPage } from './page.ts';

/** Aliases `alias#<host>`, listed per project by host (gsi1). */
export class DynamoDbAliases implements AliasRepository {
  async get(host: string): Promise<AliasRecord | undefined> {
    const { data } = await db().entities.alias.get({ host }).go({ consistent: true });
    return data ?? undefined;
  }

  async list(projectId: string, page: PageRequest): Promise<Page<AliasRecord>> {
    return queryPage(db().entities.alias.query.byProject({ projectId }), {
      ...page,
      order: 'asc',
      partition: ['gsi1pk', `project#${projectId}`],
      toCursor: (a) => conversions.alias.byAccessPattern.byProject.fromComposite.toCursor({ host: a.host, projectId: a.projectId }),
    });
  }

  async allOfProject(projectId: string): Promise<AliasRecord[]> {
    const { data } = await db().entities.alias.query.byProject({ projectId }).go({ pages: 'all' });
    return data;
  }

  /** One transaction: a condition check on the project item, and a create (new host) or a version-conditional update. */
  async write(alias: AliasRecord, expectedVersion: number): Promise<AliasWriteOutcome> {
    const { host, deploymentId, previousDeploymentId, edgeValue, kind, updatedAt } = alias;
    const outcome = await db()
      .transaction.write(({ project, alias: aliases }) => [
        project
          .check({ id: alias.projectId })
          .where(({ id, deletedAt }, { exists, notExists }) => `${exists(id)} AND ${notExists(deletedAt)}`)
          .commit(),
        expectedVersion > 0
          ? aliases
              .patch({ host })
              .set({ deploymentId, edgeValue, kind, updatedAt, ...(previousDeploymentId ? { previousDeploymentId } : {}) })
              .add({ version: 1 })
              .where(({ version }, { eq }) => eq(version, expectedVersion))
              .commit()
          : aliases.create(alias).commit(),
      ])
      .go();
    assertOnlyConditionFailures(outcome);
    const rejected = rejectedConditions(outcome);
    if (rejected.includes(0)) return 'project_gone';
    if (rejected.includes(1)) return 'version_conflict';
    return 'written';
  }

  async delete(host: string): Promise<void> {
    await db().entities.alias.delete({ host }).go();
  }
}
