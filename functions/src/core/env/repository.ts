import type { EnvScope, EnvTarget } from './schema.ts';

/** An env var of one target as stored: the value only as KMS ciphertext. */
export interface EnvRecord {
  id: string;
  teamId: string;
  projectId: string;
  key: string;
  target: EnvTarget;
  sensitive: boolean;
  /** Where it is available; absent: builds and functions alike. */
  scopes?: EnvScope[] | undefined;
  /** base64 ciphertext, bound to {teamId, projectId, key}. */
  ciphertext: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type EnvVarKey = Pick<EnvRecord, 'projectId' | 'key' | 'target'>;

/** Env vars of a project, one record per key and target. */
export interface EnvRepository {
  list(projectId: string): Promise<EnvRecord[]>;
  /**
   * Writes all of `records` or none.
   * @returns the positions of the records whose key already has a value for their target (then nothing was written)
   */
  createAll(records: EnvRecord[]): Promise<number[]>;
  /** Sets fields and bumps `version`; returns the var after the change. */
  update(key: EnvVarKey, set: Partial<Pick<EnvRecord, 'ciphertext' | 'sensitive' | 'scopes' | 'updatedAt'>>): Promise<EnvRecord>;
  delete(keys: EnvVarKey[]): Promise<void>;
}
