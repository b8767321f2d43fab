/**
 * Key layout of the artifact bucket, shared by the control plane, the build API and the edge:
 *
 * | key | what |
 * |---|---|
 * | `blobs/<teamId>/<sha256>` | a content-addressed file of a team (uploads and build outputs) |
 * | `uploads/<teamId>/<sha256>` | a direct upload not verified yet (expires after a day) |
 * | `manifests/<deploymentId>.json` | the immutable manifest a build wrote |
 * | `d/<deploymentId>/<path>` | the deployment's files as the edge serves them (copies of blobs) |
 * | `cache/<projectId>/<key>.tgz` | a project's build cache |
 * | `functions/<deploymentId>.json` | AWS only: the deployment's function name → Function URL host (origin-request reads it) |
 */
export const blobKey = (teamId: string, sha: string): string => `blobs/${teamId}/${sha}`;
export const uploadKey = (teamId: string, sha: string): string => `uploads/${teamId}/${sha}`;
export const manifestKey = (deploymentId: string): string => `manifests/${deploymentId}.json`;
export const deploymentFileKey = (deploymentId: string, path: string): string => `d/${deploymentId}/${path}`;
/** Where the Lambda deployer leaves a deployment's function URLs for the edge. */
export const functionUrlsKey = (deploymentId: string): string => `functions/${deploymentId}.json`;
export const buildCacheKey = (projectId: string, key: string): string => `cache/${projectId}/${key}.tgz`;

/** Why a key is too long for S3, or `undefined` (the build contract's rule). */
export { keyProblem as artifactKeyProblem } from './build/contract.ts';
