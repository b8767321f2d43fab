/**
 * Builds, as the `Build` namespace: the lifecycle (schedule, begin, finish, finalize, cancel),
 * the build's capability token and job, and the build contract's manifest and result line.
 */
export { begin, cancel, fail, redeploy, schedule, submit, submitFiles } from './lifecycle.ts';
export { logEvents } from './events.ts';
export { finalize, finish, type BuildStatus } from './finish.ts';
export { attach, authorize, prepare, record } from './tokens.ts';
export { job } from './job.ts';
export { ManifestSchema, resultOf, type BuildResult, type Manifest } from './contract.ts';
