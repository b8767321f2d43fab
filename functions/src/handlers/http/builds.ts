import * as z from 'zod';
import { S3ArtifactStore } from '#adapters/artifacts/s3';
import { S3BlobStore } from '#adapters/blob-store/s3';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { KmsEnvCipher } from '#adapters/env-cipher/kms';
import { OctokitGitHub } from '#adapters/github/octokit';
import { blobKey, buildCacheKey, manifestKey } from '#core/artifact-keys';
import { Build } from '#core/build/index';
import { context } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { ConflictError, NotFoundError, ValidationError } from '#core/errors';
import { gitLinkOf, teamOf } from '#core/github/installation';
import { Sha256Hex } from '#core/schemas';
import { wire } from '#lib/context';
import { httpHandler, route } from '#lib/http';

/**
 * The build API: what a running build may do, authorized by its deployment-scoped capability
 * token (`Authorization: Bearer rwb_…`), and only while its deployment is QUEUED or BUILDING.
 * Bytes never pass through here: uploads and downloads are short-lived presigned S3 URLs.
 */
const Params = z.strictObject({ deploymentId: z.string().regex(/^dpl_[a-z0-9]{9}$/) });
const ShaParams = Params.extend({ sha: Sha256Hex });
const CacheParams = Params.extend({ key: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/) });
const MissingBody = z.strictObject({ shas: z.array(Sha256Hex).max(1000) });

/** Manifests of 20,000 files are a few MB. */
const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;

const redirect = (location: string) => ({ status: 307, headers: { location }, raw: '' });

export const routes = {
  'GET /v1/builds/{deploymentId}/job': route({
    auth: 'public',
    summary: 'Build API: the job of this build (marks the deployment BUILDING)',
    params: Params,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return { body: await Build.job(await Build.begin(deployment.id)) };
    },
  }),
  'POST /v1/builds/{deploymentId}/missing': route({
    auth: 'public',
    summary: 'Build API: which output blobs the team lacks, with a presigned upload URL for each',
    params: Params,
    body: MissingBody,
    handler: async ({ params, body, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      const missing = await context().blobStore.missing(deployment.teamId, body.shas);
      const uploads = Object.fromEntries(
        await Promise.all(missing.map(async (sha) => [sha, await context().artifacts.presignPut(blobKey(deployment.teamId, sha), { sha256Hex: sha })] as const)),
      );
      return { body: { missing, uploads } };
    },
  }),
  'PUT /v1/builds/{deploymentId}/blobs/{sha}': route({
    auth: 'public',
    rawBody: true,
    maxBodyBytes: 10 * 1024 * 1024,
    summary: 'Build API: redirects the upload of one blob to its presigned URL',
    params: ShaParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return redirect(await context().artifacts.presignPut(blobKey(deployment.teamId, params.sha), { sha256Hex: params.sha }));
    },
  }),
  'PUT /v1/builds/{deploymentId}/manifest': route({
    auth: 'public',
    rawBody: true,
    maxBodyBytes: MAX_MANIFEST_BYTES,
    summary: 'Build API: the immutable manifest of the build (written once)',
    params: Params,
    handler: async ({ params, event, rawBody }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      const parsed = Build.ManifestSchema.safeParse(parseJson(rawBody));
      if (!parsed.success || parsed.data.deploymentId !== deployment.id) {
        throw new ValidationError('invalid_manifest', 'The manifest does not match the schema or names another deployment');
      }
      const written = await context().artifacts.putTextIfAbsent(manifestKey(deployment.id), rawBody.toString('utf8'), 'application/json');
      if (!written && (await context().artifacts.getText(manifestKey(deployment.id))) !== rawBody.toString('utf8')) {
        throw new ConflictError('manifest_exists', 'This build already wrote a different manifest');
      }
      return { status: 204 };
    },
  }),
  'GET /v1/builds/{deploymentId}/source/{sha}': route({
    auth: 'public',
    summary: 'Build API: redirects to one uploaded source file of this deployment',
    params: ShaParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      if (!(await sourceShas(deployment)).has(params.sha)) throw new NotFoundError('not_found', 'No such source file in this deployment');
      return redirect(await context().artifacts.presignGet(blobKey(deployment.teamId, params.sha)));
    },
  }),
  'GET /v1/builds/{deploymentId}/cache/{key}': route({
    auth: 'public',
    summary: "Build API: redirects to the project's build cache archive, 404 when there is none",
    params: CacheParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      const key = buildCacheKey(deployment.projectId, params.key);
      if (!(await context().artifacts.exists(key))) throw new NotFoundError('not_found', 'No build cache yet');
      return redirect(await context().artifacts.presignGet(key));
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
      return redirect(await context().github.tarballUrl({ installationId: link.installationId, repo: link.repo }, deployment.source.sha));
    },
  }),
  'POST /v1/builds/{deploymentId}/cache/{key}': route({
    auth: 'public',
    summary: "Build API: a presigned URL to upload the project's build cache archive",
    params: CacheParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return { body: { url: await context().artifacts.presignPut(buildCacheKey(deployment.projectId, params.key)) } };
    },
  }),
};

/**
 * The shas of a deployment's uploaded sources. A build fetches every source file, so the list is
 * read once per deployment and kept while the function is warm (a few deployments at most).
 */
const sourceCache = new Map<string, Promise<Set<string>>>();
function sourceShas(deployment: DeploymentInfo): Promise<Set<string>> {
  let shas = sourceCache.get(deployment.id);
  if (!shas) {
    shas = Deployment.sourceOf(deployment).then((source) => new Set(source.type === 'files' ? source.files.map((f) => f.sha) : []));
    shas.catch(() => sourceCache.delete(deployment.id));
    sourceCache.set(deployment.id, shas);
    if (sourceCache.size > 8) sourceCache.delete(sourceCache.keys().next().value as string);
  }
  return shas;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

// Uploads and downloads are presigned S3 URLs; the job decrypts the project's env vars (KMS);
// git sources: the tarball URL comes from GitHub, asked as the App's installation.
wire({
  ...dynamoDbRepositories,
  artifacts: () => new S3ArtifactStore(),
  blobStore: () => new S3BlobStore(),
  envCipher: () => new KmsEnvCipher(),
  github: () => new OctokitGitHub(),
});

export const handler = httpHandler(routes);
