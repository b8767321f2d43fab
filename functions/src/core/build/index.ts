/** Builds: capability tokens, the job, and turning a build's end into the deployment's state. */
export * as Build from './build.ts';
export type * from './ports.ts';
