export * as Project from './project.ts';
export * from './schema.ts';
export type * from './repository.ts';
