/**
 * Builds, as the `Build` namespace: the lifecycle (schedule, begin, finish, finalize, cancel),
 * the build's capability token and job, and the build contract's manifest and result line.
 */
export { begin, cancel, fail, finalize, finish, redeploy, schedule, submit, type BuildStatus } from './lifecycle.ts';
export { attach, authorize, job, prepare, record } from './tokens.ts';
export { ManifestSchema, resultOf, type BuildResult, type Manifest } from './contract.ts';
