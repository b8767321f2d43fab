import * as z from 'zod';
import { S3ArtifactStore } from '#adapters/artifacts/s3';
import { S3BlobStore } from '#adapters/blob-store/s3';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { DIGEST_HEADER, DirectUpload, Files, UploadBatch, UploadedFile } from '#core/files/index';
import { wire } from '#lib/context';
import { apiHandler, tokenRoute } from '#lib/api';
import { MAX_BINARY_BODY_BYTES } from '#lib/limits';

/**
 * Content-addressed uploads. Small files (≤ 4 MiB) can come in one request through the API;
 * every file, and any file above that, can go straight to S3: ask for upload URLs, PUT the bytes
 * there, then complete (the platform proves size and sha256 before the bytes become a blob).
 */
export const routes = {
  'POST /v1/files': tokenRoute({
    summary: `Upload one small file's bytes (≤ ${MAX_BINARY_BODY_BYTES} bytes: the body passes through Lambda); header ${DIGEST_HEADER}: sha256=<hex> must match (400 digest_mismatch)`,
    rawBody: true,
    maxBodyBytes: MAX_BINARY_BODY_BYTES,
    responds: { status: 200, body: UploadedFile },
    handler: async ({ event, rawBody, auth }) => ({ body: await Files.upload(auth.teamId, event.headers[DIGEST_HEADER], rawBody) }),
  }),
  'POST /v1/files/uploads': tokenRoute({
    summary: 'Upload URLs for 1-100 files ({sha, size}) the team lacks: PUT each file to its url with exactly its headers, then complete',
    body: UploadBatch,
    responds: { status: 200, body: z.strictObject({ uploads: z.array(DirectUpload) }) },
    handler: async ({ body, auth }) => ({ body: await Files.createUploads(auth.teamId, body) }),
  }),
  'POST /v1/files/uploads/complete': tokenRoute({
    summary: "Verifies uploaded files (size and sha256) and stores them as the team's blobs (400 upload_missing, size_mismatch, digest_mismatch)",
    body: UploadBatch,
    responds: { status: 200, body: z.strictObject({ files: UploadBatch.shape.files }) },
    handler: async ({ body, auth }) => ({ body: await Files.completeUploads(auth.teamId, body) }),
  }),
};

// Small files are put as blobs; direct uploads are presigned, proven and moved in the artifact bucket.
wire({ ...dynamoDbRepositories, blobStore: () => new S3BlobStore(), artifacts: () => new S3ArtifactStore() });

export const handler = apiHandler(routes);
