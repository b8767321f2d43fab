import * as z from 'zod';
import { S3ArtifactStore } from '#adapters/artifacts/s3';
import { S3BlobStore } from '#adapters/blob-store/s3';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { KmsEnvCipher } from '#adapters/env-cipher/kms';
import { OctokitGitHub } from '#adapters/github/octokit';
import { Build } from '#core/build/index';
import * as BuildApi from '#core/build/build-api';
import { Sha256Hex } from '#core/schemas';
import { wire } from '#lib/context';
import { httpHandler, route } from '#lib/http';
import { MAX_BINARY_BODY_BYTES } from '#lib/limits';

/**
 * The build API: what a running build may do, authorized by its deployment-scoped capability
 * token (`Authorization: Bearer rwb_…`), and only while its deployment is QUEUED or BUILDING.
 * Bytes never pass through here: uploads and downloads are short-lived presigned S3 URLs.
 */
const Params = z.strictObject({ deploymentId: z.string().regex(/^dpl_[a-z0-9]{9}$/) });
const ShaParams = Params.extend({ sha: Sha256Hex });
const CacheParams = Params.extend({ key: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/) });
const MissingBody = z.strictObject({ shas: z.array(Sha256Hex).max(1000) });
/** The manifest JSON's sha256 and length in bytes (it goes straight to storage). */
const ManifestUpload = z.strictObject({ sha256: Sha256Hex, size: z.number().int().min(2).max(BuildApi.MAX_MANIFEST_BYTES) });
const PresignedPut = z.strictObject({ url: z.string(), headers: z.record(z.string(), z.string()) });

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
      return { body: await BuildApi.missingBlobs(deployment, body.shas) };
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
      return redirect(await BuildApi.blobUploadUrl(deployment, params.sha));
    },
  }),
  'POST /v1/builds/{deploymentId}/manifest': route({
    auth: 'public',
    summary: 'Build API: a presigned URL to write the immutable manifest of the build once (412 from storage if one exists)',
    params: Params,
    body: ManifestUpload,
    responds: { status: 200, body: PresignedPut },
    handler: async ({ params, body, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return { body: await BuildApi.manifestUpload(deployment, body) };
    },
  }),
  'GET /v1/builds/{deploymentId}/source/{sha}': route({
    auth: 'public',
    summary: 'Build API: redirects to one uploaded source file of this deployment',
    params: ShaParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return redirect(await BuildApi.sourceFileUrl(deployment, params.sha));
    },
  }),
  'GET /v1/builds/{deploymentId}/cache/{key}': route({
    auth: 'public',
    summary: "Build API: redirects to the project's build cache archive, 404 when there is none",
    params: CacheParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return redirect(await BuildApi.cacheUrl(deployment, params.key));
    },
  }),
  'GET /v1/builds/{deploymentId}/tarball': route({
    auth: 'public',
    summary: "Build API: redirects to the repository tarball at the deployment's commit (a short-lived GitHub URL)",
    params: Params,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return redirect(await BuildApi.tarballUrl(deployment));
    },
  }),
  'POST /v1/builds/{deploymentId}/cache/{key}': route({
    auth: 'public',
    summary: "Build API: a presigned URL to upload the project's build cache archive",
    params: CacheParams,
    handler: async ({ params, event }) => {
      const { deployment } = await Build.authorize(params.deploymentId, event.headers.authorization);
      return { body: { url: await BuildApi.cacheUploadUrl(deployment, params.key) } };
    },
  }),
};

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
