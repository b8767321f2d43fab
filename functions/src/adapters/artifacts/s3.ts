import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ArtifactStore } from '#core/build/ports';
import { s3Client } from '#adapters/aws/clients';
import { config } from '#lib/config';

/** Presigned URLs live long enough for one large upload, no longer. */
const URL_TTL_SECONDS = 15 * 60;

/** The artifact bucket (S3 in AWS, the emulator's S3 locally). */
export class S3ArtifactStore implements ArtifactStore {
  /** @param bucketName the bucket; the configured artifact bucket when omitted (read on first use). */
  constructor(private readonly bucketName?: string) {}

  private get bucket(): string {
    return this.bucketName ?? config().RUNWAY_ARTIFACT_BUCKET;
  }

  presignPut(key: string, options: { sha256Hex?: string; contentType?: string; size?: number; ifNoneMatch?: boolean } = {}): Promise<string> {
    return getSignedUrl(
      s3Client(),
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        // S3 rejects a body whose sha256 differs: an upload cannot poison a content address.
        ...(options.sha256Hex ? { ChecksumSHA256: Buffer.from(options.sha256Hex, 'hex').toString('base64') } : {}),
        // Signed, so the client must send exactly this length.
        ...(options.size !== undefined ? { ContentLength: options.size } : {}),
        // Conditional write: S3 answers 412 when the key exists (written once).
        ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }),
      { expiresIn: URL_TTL_SECONDS, unhoistableHeaders: new Set(['x-amz-checksum-sha256']) },
    );
  }

  presignGet(key: string): Promise<string> {
    return getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: URL_TTL_SECONDS });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await s3Client().send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const res = await s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await res.Body!.transformToString('utf8');
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async copy(fromKey: string, toKey: string, headers: { contentType: string; cacheControl?: string }): Promise<void> {
    await s3Client().send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: toKey,
        CopySource: `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`,
        MetadataDirective: 'REPLACE',
        ContentType: headers.contentType,
        ...(headers.cacheControl ? { CacheControl: headers.cacheControl } : {}),
      }),
    );
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
