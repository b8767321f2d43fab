/** Aliases: hosts → deployments (`Alias.promote/rollback/assign/list`), mirrored to the edge store. */
export * as Alias from './alias.ts';
export * from './schema.ts';
export type * from './repository.ts';
