import { createHash } from 'node:crypto';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import pLimit from 'p-limit';
import { s3Client } from '#adapters/aws/clients';
import { blobKey, uploadKey } from '#core/artifact-keys';
import type { DirectUpload, DirectUploads, UploadFile, UploadOutcome } from '#core/files/index';
import { config } from '#lib/config';

/** Upload URLs live long enough for one batch of large files on a slow link, no longer. */
const URL_TTL_SECONDS = 15 * 60;
/** Verifications in flight at once per `complete` batch. */
const VERIFY_CONCURRENCY = 16;
const limit = pLimit(VERIFY_CONCURRENCY);

/**
 * Direct uploads into the artifact bucket: a presigned PUT to `uploads/<teamId>/<sha>` whose
 * signature covers `x-amz-checksum-sha256` and `content-length`, then a completion step that
 * proves the object before copying it to `blobs/<teamId>/<sha>`, the only prefix builds and
 * deployments read. Same adapter in AWS and against the emulator.
 *
 * What AWS does: S3 computes the SHA-256 of a PUT body sent with `x-amz-checksum-sha256` and
 * refuses it (400 BadDigest) when they differ, and keeps the checksum with the object
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html); a
 * presigned request must carry every signed header with its signed value, so the client can
 * neither drop the checksum nor send another length. Completion then reads that stored checksum
 * with `HeadObject` (`ChecksumMode: ENABLED`) and never reads the bytes.
 *
 * What the emulator does: moto 5.2.1 verifies neither the signature nor the checksum of a
 * presigned PUT and stores no checksum for it, so there `HeadObject` reports none and completion
 * hashes the object itself. The rule is the same everywhere: the bytes become a blob only when
 * storage reports the expected checksum or the bytes hash to it.
 */
export class S3BlobUploads implements DirectUploads {
  /** @param bucketName the bucket; the configured artifact bucket when omitted (read on first use). */
  constructor(private readonly bucketName?: string) {}

  private get bucket(): string {
    return this.bucketName ?? config().RUNWAY_ARTIFACT_BUCKET;
  }

  async presign(teamId: string, file: UploadFile): Promise<DirectUpload> {
    const checksum = Buffer.from(file.sha, 'hex').toString('base64');
    const url = await getSignedUrl(
      s3Client(),
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: uploadKey(teamId, file.sha),
        ContentLength: file.size,
        ContentType: 'application/octet-stream',
        ChecksumSHA256: checksum,
      }),
      // Kept as signed headers (not query parameters), so S3 checks them against the request.
      { expiresIn: URL_TTL_SECONDS, unhoistableHeaders: new Set(['x-amz-checksum-sha256']), signableHeaders: new Set(['content-length']) },
    );
    return {
      sha: file.sha,
      size: file.size,
      method: 'PUT',
      url,
      headers: { 'content-type': 'application/octet-stream', 'x-amz-checksum-sha256': checksum },
    };
  }

  complete(teamId: string, file: UploadFile): Promise<UploadOutcome> {
    return limit(() => this.verify(teamId, file));
  }

  private async verify(teamId: string, file: UploadFile): Promise<UploadOutcome> {
    const staged = uploadKey(teamId, file.sha);
    const head = await this.head(staged);
    if (!head) return (await this.head(blobKey(teamId, file.sha))) ? 'stored' : 'missing';
    let outcome: UploadOutcome = 'stored';
    if (head.ContentLength !== file.size) outcome = 'size_mismatch';
    else if (head.ChecksumSHA256 !== undefined) {
      if (head.ChecksumSHA256 !== Buffer.from(file.sha, 'hex').toString('base64')) outcome = 'digest_mismatch';
    } else if ((await this.sha256Of(staged)) !== file.sha) outcome = 'digest_mismatch';
    if (outcome === 'stored') {
      await s3Client().send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: blobKey(teamId, file.sha),
          CopySource: `${this.bucket}/${staged}`,
          ContentType: 'application/octet-stream',
          MetadataDirective: 'REPLACE',
          // S3 computes the copy's checksum, so the blob keeps a verified SHA-256 too.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    }
    await s3Client().send(new DeleteObjectCommand({ Bucket: this.bucket, Key: staged }));
    return outcome;
  }

  private async head(key: string) {
    try {
      return await s3Client().send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }));
    } catch (error) {
      // 404 needs s3:ListBucket; without it S3 answers 403, which must not pass for "missing".
      if (error instanceof NotFound) return undefined;
      throw error;
    }
  }

  /** The object's SHA-256 in hex, streamed (never the whole object in memory). */
  private async sha256Of(key: string): Promise<string> {
    const res = await s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const hash = createHash('sha256');
    for await (const chunk of res.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
    return hash.digest('hex');
  }
}
