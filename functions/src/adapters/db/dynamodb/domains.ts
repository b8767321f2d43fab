import type { DomainRecord, DomainRepository } from '#core/domain/repository';
import { isConditionFailed } from './errors.ts';
import { db } from './model.ts';

type Stored = DomainRecord & Record<string, unknown>;

/** Custom domains `project#<projectId> / domain#<name>`, by name (gsi1) and all of them (gsi2). */
export class DynamoDbDomains implements DomainRepository {
  async create(record: DomainRecord): Promise<boolean> {
    try {
      await db().entities.domain.create(Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Stored).go();
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async get(projectId: string, name: string): Promise<DomainRecord | undefined> {
    const { data } = await db().entities.domain.get({ projectId, name }).go({ consistent: true });
    return (data as DomainRecord | null) ?? undefined;
  }

  async ofProject(projectId: string): Promise<DomainRecord[]> {
    const { data } = await db().entities.domain.query.byProject({ projectId }).go({ pages: 'all' });
    return data as DomainRecord[];
  }

  async byName(name: string): Promise<DomainRecord[]> {
    const { data } = await db().entities.domain.query.byName({ name }).go({ pages: 'all' });
    return data as DomainRecord[];
  }

  async all(cursor?: string): Promise<{ items: DomainRecord[]; next?: string | undefined }> {
    const page = await db().entities.domain.query.all({}).go({ cursor: cursor ?? null, limit: 100 });
    return { items: page.data as DomainRecord[], next: page.cursor ?? undefined };
  }

  async put(record: DomainRecord): Promise<void> {
    await db().entities.domain.put(Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Stored).go();
  }

  async delete(projectId: string, name: string): Promise<void> {
    await db().entities.domain.delete({ projectId, name }).go();
  }

  async teamToken(teamId: string, fresh: string): Promise<string> {
    const existing = await db().entities.domainToken.get({ teamId }).go({ consistent: true });
    if (existing.data) return existing.data.token;
    try {
      await db().entities.domainToken.create({ teamId, token: fresh, createdAt: new Date().toISOString() }).go();
      return fresh;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const won = await db().entities.domainToken.get({ teamId }).go({ consistent: true });
      return won.data?.token as string;
    }
  }
}
