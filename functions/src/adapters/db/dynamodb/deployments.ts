import type { AliasRecord } from '#core/alias/repository';
import type { DeploymentChange, DeploymentCreateOutcome, DeploymentFilter, DeploymentRecord, DeploymentRepository, DeploymentScope } from '#core/deployment/repository';
import type { DeploymentState } from '#core/deployment/schema';
import type { Page, PageRequest } from '#core/page';
import { assertOnlyConditionFailures, rejectedConditions, unlessConditionFails } from './errors.ts';
import { conversions, db, projectAlive, type AliasItem, type DeploymentItem } from './model.ts';
import { queryPage } from './page.ts';

/**
 * Deployments `deployment#<id>`, newest first per project (gsi1) and per team (gsi2), and those in
 * flight by state (sparse gsi3). A page is one index query resumed at the cursor's key
 * (`ExclusiveStartKey`): it costs the same at any depth.
 */
export class DynamoDbDeployments implements DeploymentRepository {
  async create(deployment: DeploymentRecord, host?: AliasRecord): Promise<DeploymentCreateOutcome> {
    if (!host) {
      await db().entities.deployment.create(deployment as DeploymentItem).go();
      return 'created';
    }
    const outcome = await db()
      .transaction.write(({ project, deployment: deployments, alias }) => [
        projectAlive(project, host.projectId),
        deployments.create(deployment as DeploymentItem).commit(),
        alias.create(host as AliasItem).commit(),
      ])
      .go();
    assertOnlyConditionFailures(outcome);
    const rejected = rejectedConditions(outcome);
    if (rejected.includes(1)) throw new Error(`Deployment ${deployment.id} exists`);
    if (rejected.includes(0)) return 'project_gone';
    if (rejected.includes(2)) return 'host_taken';
    return 'created';
  }

  async get(id: string): Promise<DeploymentRecord | undefined> {
    const { data } = await db().entities.deployment.get({ id }).go({ consistent: true });
    return (data as DeploymentRecord | null) ?? undefined;
  }

  async list(scope: DeploymentScope, filter: DeploymentFilter, page: PageRequest): Promise<Page<DeploymentRecord>> {
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
    return queryPage(query, {
      ...page,
      order: 'desc',
      filtered,
      partition: scope.projectId ? ['gsi1pk', `project#${scope.projectId}`] : ['gsi2pk', `team#${scope.teamId}`],
      toCursor: (d) => this.cursorAfter(d as DeploymentRecord, scope.projectId ? 'project' : 'team'),
    }) as Promise<Page<DeploymentRecord>>;
  }

  cursorAfter(deployment: DeploymentRecord, scope: 'project' | 'team'): string {
    const { id, teamId, projectId, createdAt } = deployment;
    const byIndex = conversions.deployment.byAccessPattern;
    return scope === 'project'
      ? byIndex.byProject.fromComposite.toCursor({ id, projectId, createdAt })
      : byIndex.byTeam.fromComposite.toCursor({ id, teamId, createdAt });
  }

  async update(id: string, change: DeploymentChange, ifStateIn: readonly DeploymentState[]): Promise<DeploymentRecord | undefined> {
    const write = db()
      .entities.deployment.patch({ id })
      .set(change)
      .add({ version: 1 })
      .where(({ state }, { eq }) => ifStateIn.map((s) => eq(state, s)).join(' OR '))
      .go({ response: 'all_new' });
    return unlessConditionFails(write.then(({ data }) => data as DeploymentRecord), undefined);
  }

  async inFlight(state: 'QUEUED' | 'BUILDING'): Promise<DeploymentRecord[]> {
    const { data } = await db().entities.deployment.query.inFlight({ state }).go({ pages: 'all' });
    return data as DeploymentRecord[];
  }
}
