import { createHash } from 'node:crypto';
import * as z from 'zod';
import { context } from '#core/context';
import { ValidationError } from '#core/errors';

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
