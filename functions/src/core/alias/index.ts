/**
 * Aliases and host ownership: hosts → owners and deployments (`Alias.claim/promote/rollback/assign/
 * release/list`), mirrored to the edge store, and the other edge keys deployments publish (`EdgeKeys`).
 */
export * as Alias from './alias.ts';
export * as EdgeKeys from './edge-keys.ts';
export * from './schema.ts';
export type * from './repository.ts';
