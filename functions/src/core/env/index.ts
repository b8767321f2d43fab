/** Environment variables: KMS-encrypted values per target; `Env.resolveForBuild` for the builder. */
export * as Env from './env.ts';
export * from './schema.ts';
export type * from './repository.ts';
