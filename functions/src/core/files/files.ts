import { createHash } from 'node:crypto';
import pLimit from 'p-limit';
import * as z from 'zod';
import { blobKey, uploadKey } from '#core/artifact-keys';
import { context } from '#core/context';
import { MAX_FILE_BYTES } from '#core/deployment/files';
import { ValidationError } from '#core/errors';
import { Sha256Hex } from '#core/schemas';

/** `x-runway-digest: sha256=<hex>` of an upload. */
export const DIGEST_HEADER = 'x-runway-digest';

export const UploadedFile = z.strictObject({ sha: z.string(), size: z.number().int() });
export type UploadedFile = z.infer<typeof UploadedFile>;

/**
 * Stores one file of the team by its sha256. The client names the digest; the bytes must hash to
 * it, so a blob's key always is its content's hash. Uploading a blob the team has is harmless.
 * @throws ValidationError `invalid_digest` (header missing or malformed), `digest_mismatch`
 */
export async function upload(teamId: string, digestHeader: string | undefined, bytes: Buffer): Promise<UploadedFile> {
  const match = /^sha256=([0-9a-f]{64})$/.exec(digestHeader?.trim() ?? '');
  if (!match) {
    throw new ValidationError('invalid_digest', `Send the body's digest as "${DIGEST_HEADER}: sha256=<64 lowercase hex>"`);
  }
  const claimed = match[1] as string;
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== claimed) {
    throw new ValidationError('digest_mismatch', 'The body does not hash to the digest in the header', { expected: claimed, actual });
  }
  await context().blobStore.put(teamId, actual, bytes);
  return { sha: actual, size: bytes.length };
}

/** The shas of `files` the team has not uploaded yet (each once). */
export async function missing(teamId: string, files: ReadonlyArray<{ sha: string }>): Promise<string[]> {
  return context().blobStore.missing(teamId, [...new Set(files.map((f) => f.sha))]);
}

/** Files one `POST /v1/files/uploads` (or `…/complete`) names: a batch a client uploads in minutes. */
export const MAX_UPLOADS_PER_REQUEST = 100;

/** One file of an upload batch: its sha256 and its exact size in bytes. */
export const UploadFile = z.strictObject({ sha: Sha256Hex, size: z.number().int().min(0).max(MAX_FILE_BYTES) });
export type UploadFile = z.infer<typeof UploadFile>;

/** `{files: [{sha, size}]}`: 1–100 files, each sha once. */
export const UploadBatch = z.strictObject({
  files: z
    .array(UploadFile)
    .min(1)
    .max(MAX_UPLOADS_PER_REQUEST)
    .refine((files) => new Set(files.map((f) => f.sha)).size === files.length, 'each sha at most once'),
});
export type UploadBatch = z.infer<typeof UploadBatch>;

/** Where and how to PUT one file's bytes, straight to storage. */
export const DirectUpload = z.strictObject({
  sha: Sha256Hex,
  size: z.number().int(),
  method: z.literal('PUT'),
  url: z.string(),
  /** Send exactly these headers: storage checks the body against the sha256 and the size. */
  headers: z.record(z.string(), z.string()),
});
export type DirectUpload = z.infer<typeof DirectUpload>;

/** What verifying a finished direct upload found. */
export type UploadOutcome = 'stored' | 'missing' | 'size_mismatch' | 'digest_mismatch';

/** Verifications in flight at once (per warm function): each is one to three storage requests. */
const verifying = pLimit(16);

/** Direct uploads are written as opaque bytes; what a deployment serves gets its type at finalize. */
const UPLOAD_CONTENT_TYPE = 'application/octet-stream';

/**
 * Upload URLs for the files of `batch` the team does not hold yet (files it holds are left out:
 * nothing to send). Each URL accepts one PUT, for 15 minutes, to `uploads/<teamId>/<sha>`, a
 * staging key builds and deployments never read; storage checks the signed length and sha256.
 * Bytes never pass through a Lambda, so a file is not bound by its 6 MB invoke payload.
 */
export async function createUploads(teamId: string, batch: UploadBatch): Promise<{ uploads: DirectUpload[] }> {
  const { blobStore, artifacts } = context();
  const lacking = new Set(await blobStore.missing(teamId, batch.files.map((f) => f.sha)));
  const uploads = await Promise.all(
    batch.files
      .filter((f) => lacking.has(f.sha))
      .map(async (f): Promise<DirectUpload> => {
        const put = await artifacts.presignPut(uploadKey(teamId, f.sha), { sha256Hex: f.sha, size: f.size, contentType: UPLOAD_CONTENT_TYPE });
        return { sha: f.sha, size: f.size, method: 'PUT', url: put.url, headers: put.headers };
      }),
  );
  return { uploads };
}

/**
 * Proves one staged upload and makes it the team's blob: the staged object must be exactly
 * `size` bytes and hash to `sha` — by the checksum storage verified on upload (S3), or else by
 * hashing the stored bytes (the emulator keeps none). The staged object is deleted either way.
 */
async function verify(teamId: string, file: UploadFile): Promise<UploadOutcome> {
  const { artifacts } = context();
  const staged = uploadKey(teamId, file.sha);
  const head = await artifacts.head(staged);
  // Nothing staged: done already (a retried completion), or never uploaded.
  if (!head) return (await artifacts.exists(blobKey(teamId, file.sha))) ? 'stored' : 'missing';
  let outcome: UploadOutcome = 'stored';
  if (head.size !== file.size) outcome = 'size_mismatch';
  else if ((head.sha256Hex ?? (await artifacts.digest(staged))) !== file.sha) outcome = 'digest_mismatch';
  if (outcome === 'stored') await artifacts.copy(staged, blobKey(teamId, file.sha), { contentType: UPLOAD_CONTENT_TYPE });
  await artifacts.delete(staged);
  return outcome;
}

/**
 * Verifies and stores the direct uploads of `batch`. The client's sha and size are not trusted:
 * the stored bytes must have exactly that size and hash to that sha before they become the
 * team's blob.
 * @throws ValidationError `upload_missing` (nothing was uploaded for a sha), `size_mismatch`,
 *   `digest_mismatch` (the upload was deleted), each with `{ sha }` of the first failed file;
 *   the batch's other files are stored
 */
export async function completeUploads(teamId: string, batch: UploadBatch): Promise<{ files: UploadFile[] }> {
  const outcomes = await Promise.all(batch.files.map(async (file) => ({ file, outcome: await verifying(() => verify(teamId, file)) })));
  const failed = outcomes.find((o) => o.outcome !== 'stored');
  if (failed) {
    const { sha, size } = failed.file;
    const message: Record<Exclude<UploadOutcome, 'stored'>, string> = {
      missing: `Nothing was uploaded for ${sha}: PUT the bytes to its upload URL first`,
      size_mismatch: `The upload of ${sha} is not ${size} bytes long; it was discarded`,
      digest_mismatch: `The upload of ${sha} does not hash to that sha256; it was discarded`,
    };
    const code = failed.outcome === 'missing' ? 'upload_missing' : failed.outcome;
    throw new ValidationError(code, message[failed.outcome as Exclude<UploadOutcome, 'stored'>], { sha });
  }
  return { files: batch.files };
}
