import type { BuildRecord, BuildRepository } from '#core/build/repository';
import { isConditionFailed } from './errors.ts';
import { db } from './model.ts';

/** Build records `build#<deploymentId>`. */
export class DynamoDbBuilds implements BuildRepository {
  async create(build: BuildRecord): Promise<boolean> {
    try {
      await db().entities.build.create(build).go();
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
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
