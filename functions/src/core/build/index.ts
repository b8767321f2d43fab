/** Builds: the lifecycle of a deployment's build, its capability token and job, and the build contract. */
export * as Build from './build.ts';
export type * from './repository.ts';
