export * as Project from './project.ts';
export * from './schema.ts';
