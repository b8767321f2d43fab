import * as z from 'zod';
import { S3ArtifactStore } from '#adapters/artifacts/s3';
import { blobKey, buildCacheKey, manifestKey } from '#core/artifact-keys';
import { Build } from '#core/build/index';
import { Deployment } from '#core/deployment/index';
import { NotFoundError } from '#core/errors';
import { Sha256Hex } from '#core/schemas';
import { httpHandler, route } from '#lib/http';
import { ports, provideDefaultPorts } from '#lib/ports';
import { OctokitGitHub } from '#adapters/github/octokit';
import { gitLinkOf, teamOf } from '#core/github/installation';
import { MAX_BINARY_BODY_BYTES } from './limits.ts';

/**
 * The build API: what a running build may do, authorized by its deployment-scoped capability
 * token (`Authorization: Bearer rwb_…`), and only while its deployment is QUEUED or BUILDING.
 * Bytes never pass through here: uploads and downloads are short-lived presigned S3 URLs.
 */
const artifacts = new S3ArtifactStore();

const Params = z.strictObject({ deploymentId: z.string().regex(/^dpl_[a-z0-9]{9}$/) });
const ShaParams = Params.extend({ sha: Sha256Hex });
const CacheParams = Params.extend({ key: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/) });
const MissingBody = z.strictObject({ shas: z.array(Sha256Hex).max(1000) });

/**
 * Manifests of 20,000 files are a few MB, of the 100,000 the schema allows about 20 MB. They go
 * straight to S3, so they are not bound by Lambda's 6 MB invoke payload.
 */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const ManifestUpload = z.strictObject({ sha256: Sha256Hex, size: z.number().int().min(2).max(MAX_MANIFEST_BYTES) });

const redirect = (location: string) => ({ status: 307, headers: { location }, raw: '' });

export const routes = {
  'GET /v1/builds/{deploymentId}/job': route({
    auth: 'public',
    summary: 'Build API: the job of this build (marks the deployment BUILDING)',
    params: Params,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      const building =
        deployment.state === 'QUEUED' ? await Deployment.transition(deployment.id, { from: ['QUEUED'], to: 'BUILDING' }) : deployment;
      return { body: await Build.job(building) };
    },
  }),
  'POST /v1/builds/{deploymentId}/missing': route({
    auth: 'public',
    summary: 'Build API: which output blobs the team lacks, with a presigned upload URL for each',
    params: Params,
    body: MissingBody,
    handler: async ({ params, body, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      const missing = await ports().blobStore.missing(deployment.teamId, body.shas);
      const uploads = Object.fromEntries(
        await Promise.all(missing.map(async (sha) => [sha, await artifacts.presignPut(blobKey(deployment.teamId, sha), { sha256Hex: sha })] as const)),
      );
      return { body: { missing, uploads } };
    },
  }),
  'PUT /v1/builds/{deploymentId}/blobs/{sha}': route({
    auth: 'public',
    rawBody: true,
    // Builders use the direct upload URLs of /missing; this fallback must fit a Lambda invoke.
    maxBodyBytes: MAX_BINARY_BODY_BYTES,
    summary: 'Build API: redirects the upload of one blob to its presigned URL',
    params: ShaParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return redirect(await artifacts.presignPut(blobKey(deployment.teamId, params.sha), { sha256Hex: params.sha }));
    },
  }),
  'POST /v1/builds/{deploymentId}/manifest': route({
    auth: 'public',
    summary: 'Build API: a presigned URL to write the immutable manifest of the build once (412 from storage if one exists)',
    params: Params,
    body: ManifestUpload,
    handler: async ({ params, body, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      // The manifest is checked when the build ends (Build.finalize): the build is untrusted.
      const url = await artifacts.presignPut(manifestKey(deployment.id), { sha256Hex: body.sha256, size: body.size, ifNoneMatch: true });
      return { body: { url, headers: { 'x-amz-checksum-sha256': Buffer.from(body.sha256, 'hex').toString('base64'), 'if-none-match': '*' } } };
    },
  }),
  'GET /v1/builds/{deploymentId}/source/{sha}': route({
    auth: 'public',
    summary: 'Build API: redirects to one uploaded source file of this deployment',
    params: ShaParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      if (!(await sourceShas(deployment)).has(params.sha)) throw new NotFoundError('not_found', 'No such source file in this deployment');
      return redirect(await artifacts.presignGet(blobKey(deployment.teamId, params.sha)));
    },
  }),
  'GET /v1/builds/{deploymentId}/cache/{key}': route({
    auth: 'public',
    summary: "Build API: redirects to the project's build cache archive, 404 when there is none",
    params: CacheParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      const key = buildCacheKey(deployment.projectId, params.key);
      if (!(await artifacts.exists(key))) throw new NotFoundError('not_found', 'No build cache yet');
      return redirect(await artifacts.presignGet(key));
    },
  }),
  'GET /v1/builds/{deploymentId}/tarball': route({
    auth: 'public',
    summary: "Build API: redirects to the repository tarball at the deployment's commit (a short-lived GitHub URL)",
    params: Params,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      if (deployment.source.type !== 'git') throw new NotFoundError('not_found', 'This deployment is not built from git');
      const link = await gitLinkOf(deployment.id);
      // Only while the installation still belongs to the deployment's team (not unlinked, suspended or removed).
      if (!link || (await teamOf(link.installationId)) !== deployment.teamId) {
        throw new NotFoundError('not_found', 'No linked GitHub installation can read this repository any more');
      }
      return redirect(await ports().github.tarballUrl({ installationId: link.installationId, repo: link.repo }, deployment.source.sha));
    },
  }),
  'POST /v1/builds/{deploymentId}/cache/{key}': route({
    auth: 'public',
    summary: "Build API: a presigned URL to upload the project's build cache archive",
    params: CacheParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return { body: { url: await artifacts.presignPut(buildCacheKey(deployment.projectId, params.key)) } };
    },
  }),
};

/**
 * The shas of a deployment's uploaded sources. A build fetches every source file, so the list is
 * read once per deployment and kept while the function is warm (a few deployments at most).
 */
const sourceCache = new Map<string, Promise<Set<string>>>();
function sourceShas(deployment: Parameters<typeof Build.sourceFiles>[0]): Promise<Set<string>> {
  let shas = sourceCache.get(deployment.id);
  if (!shas) {
    shas = Build.sourceFiles(deployment).then((files) => new Set(files.map((f) => f.sha)));
    shas.catch(() => sourceCache.delete(deployment.id));
    sourceCache.set(deployment.id, shas);
    if (sourceCache.size > 8) sourceCache.delete(sourceCache.keys().next().value as string);
  }
  return shas;
}

// Git sources: the tarball URL comes from GitHub, asked as the App's installation.
provideDefaultPorts({ github: new OctokitGitHub() });

export const handler = httpHandler(routes);
