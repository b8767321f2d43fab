import { DIGEST_HEADER, Files, UploadedFile } from '#core/files/index';
import { MAX_FILE_BYTES } from '#core/deployment/index';
import { dynamoDbRepositories } from '#adapters/db/dynamodb/index';
import { S3BlobStore } from '#adapters/blob-store/s3';
import { wire } from '#lib/context';
import { apiHandler, tokenRoute } from '#lib/api';

/** Content-addressed upload of one file (≤ 10 MB, API Gateway's payload limit). */
export const routes = {
  'POST /v1/files': tokenRoute({
    summary: `Upload one file's bytes; header ${DIGEST_HEADER}: sha256=<hex> must match (400 digest_mismatch)`,
    rawBody: true,
    maxBodyBytes: MAX_FILE_BYTES,
    responds: { status: 200, body: UploadedFile },
    handler: async ({ event, rawBody, auth }) => ({ body: await Files.upload(auth.teamId, event.headers[DIGEST_HEADER], rawBody) }),
  }),
};

wire({ ...dynamoDbRepositories, blobStore: () => new S3BlobStore() });

export const handler = apiHandler(routes);
