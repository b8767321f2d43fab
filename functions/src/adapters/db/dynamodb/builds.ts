import type { BuildRecord, BuildRepository } from '#core/build/repository';
import { unlessConditionFails } from './errors.ts';
import { db } from './model.ts';

/** Build records `build#<deploymentId>`. */
export class DynamoDbBuilds implements BuildRepository {
  async create(build: BuildRecord): Promise<boolean> {
    return unlessConditionFails(db().entities.build.create(build).go().then(() => true), false);
  }

  async attach(deploymentId: string, where: { buildId: string; logStream?: string | undefined }): Promise<void> {
    await db()
      .entities.build.patch({ deploymentId })
      .set({ buildId: where.buildId, ...(where.logStream !== undefined ? { logStream: where.logStream } : {}) })
      .go();
  }

  async get(deploymentId: string): Promise<BuildRecord | undefined> {
    const { data } = await db().entities.build.get({ deploymentId }).go({ consistent: true });
    return data ?? undefined;
  }
}
