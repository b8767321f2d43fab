import type { EnvVarKey, EnvRecord, EnvRepository } from '#core/env/repository';
import { assertOnlyConditionFailures, rejectedConditions } from './errors.ts';
import { db } from './model.ts';

/** Env vars under their project: `project#<projectId>` / `env#<key>#<target>`. */
export class DynamoDbEnv implements EnvRepository {
  async list(projectId: string): Promise<EnvRecord[]> {
    const { data } = await db().entities.env.query.byProject({ projectId }).go({ pages: 'all' });
    // `scopes` is stored as a list of strings; only ENV_SCOPES values are ever written.
    return data as EnvRecord[];
  }

  async createAll(records: EnvRecord[]): Promise<number[]> {
    const outcome = await db()
      .transaction.write(({ env }) => records.map((record) => env.create(record).commit()))
      .go();
    assertOnlyConditionFailures(outcome);
    return rejectedConditions(outcome);
  }

  async update(key: EnvVarKey, set: Partial<Pick<EnvRecord, 'ciphertext' | 'sensitive' | 'scopes' | 'updatedAt'>>): Promise<EnvRecord> {
    const { data } = await db()
      .entities.env.patch({ projectId: key.projectId, key: key.key, target: key.target })
      .set(set)
      .add({ version: 1 })
      .go({ response: 'all_new' });
    return data as EnvRecord;
  }

  async delete(keys: EnvVarKey[]): Promise<void> {
    if (keys.length === 0) return;
    await db()
      .entities.env.delete(keys.map(({ projectId, key, target }) => ({ projectId, key, target })))
      .go();
  }
}
