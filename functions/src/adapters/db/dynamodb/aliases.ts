import type { AliasRecord, AliasRepository, AliasWriteOutcome, ClaimOutcome, EdgeKeyRef, EdgeKeyRepository } from '#core/alias/repository';
import type { Page, PageRequest } from '#core/page';
import { assertOnlyConditionFailures, rejectedConditions } from './errors.ts';
import { conversions, db, projectAlive, type AliasItem } from './model.ts';
import { queryPage } from './page.ts';

/**
 * Aliases `alias#<host>`: one item per host, whatever its kind, so the conditional create of that
 * item is the one platform-wide decision of who owns the host. Listed per project by host (gsi1),
 * deployment hosts apart (gsi2).
 */
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
    const aliases = db().entities.alias.query;
    const [named, deploymentHosts] = await Promise.all([
      aliases.byProject({ projectId }).go({ pages: 'all' }),
      aliases.deploymentHosts({ projectId }).go({ pages: 'all' }),
    ]);
    return [...named.data, ...deploymentHosts.data];
  }

  /** The write of a new host (version 0 expected): the project check and the conditional create, in one transaction. */
  async claim(alias: AliasRecord): Promise<ClaimOutcome> {
    const outcome = await this.write(alias, 0);
    return outcome === 'version_conflict' ? 'taken' : outcome === 'written' ? 'claimed' : outcome;
  }

  /** One transaction: the project check, and a create (new host) or an update conditional on the version and the owner. */
  async write(alias: AliasRecord, expectedVersion: number): Promise<AliasWriteOutcome> {
    const { host, deploymentId, previousDeploymentId, edgeValue, updatedAt } = alias;
    const outcome = await db()
      .transaction.write(({ project, alias: aliases }) => [
        projectAlive(project, alias.projectId),
        expectedVersion > 0
          ? aliases
              .patch({ host })
              .set({ updatedAt, ...(deploymentId ? { deploymentId } : {}), ...(edgeValue ? { edgeValue } : {}), ...(previousDeploymentId ? { previousDeploymentId } : {}) })
              .add({ version: 1 })
              .where(({ version, projectId }, { eq }) => `${eq(version, expectedVersion)} AND ${eq(projectId, alias.projectId)}`)
              .commit()
          : aliases.create(alias as AliasItem).commit(),
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

/** References to shared edge keys `edge-key#<key> / ref#<deploymentId>`. */
export class DynamoDbEdgeKeys implements EdgeKeyRepository {
  async add(ref: EdgeKeyRef): Promise<void> {
    await db().entities.edgeRef.put(ref).go();
  }

  async remove(key: string, deploymentId: string): Promise<void> {
    await db().entities.edgeRef.delete({ key, deploymentId }).go();
  }

  async anyRef(key: string): Promise<EdgeKeyRef | undefined> {
    const { data } = await db().entities.edgeRef.query.byKey({ key }).go({ limit: 1, pages: 1, consistent: true });
    return data[0];
  }
}
