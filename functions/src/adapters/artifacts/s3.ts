import { createHash } from 'node:crypto';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ArtifactStore, ObjectHead, PresignedPut } from '#core/ports';
import { s3Client } from '#adapters/aws/clients';
import { config } from '#lib/config';

/** Presigned URLs live long enough for one batch of large uploads on a slow link, no longer. */
const URL_TTL_SECONDS = 15 * 60;

/**
 * The artifact bucket (S3 in AWS, the emulator's S3 locally).
 *
 * What AWS does with a presigned PUT: S3 computes the SHA-256 of a body sent with
 * `x-amz-checksum-sha256` and refuses it (400 BadDigest) when they differ, and keeps the checksum
 * with the object (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html);
 * a presigned request must carry every signed header with its signed value, so the client can
 * neither drop the checksum nor send another length. `head` then reads that stored checksum
 * (`ChecksumMode: ENABLED`) without reading the bytes. moto 5.2.1 verifies neither the signature
 * nor the checksum of a presigned PUT and stores no checksum for it: there `head` reports none and
 * the domain hashes the object with `digest`.
 */
export class S3ArtifactStore implements ArtifactStore {
  /** @param bucketName the bucket; the configured artifact bucket when omitted (read on first use). */
  constructor(private readonly bucketName?: string) {}

  private get bucket(): string {
    return this.bucketName ?? config().RUNWAY_ARTIFACT_BUCKET;
  }

  async presignPut(key: string, options: { sha256Hex?: string; contentType?: string; size?: number; ifNoneMatch?: boolean } = {}): Promise<PresignedPut> {
    const checksum = options.sha256Hex ? Buffer.from(options.sha256Hex, 'hex').toString('base64') : undefined;
    const url = await getSignedUrl(
      s3Client(),
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        // S3 rejects a body whose sha256 differs: an upload cannot poison a content address.
        ...(checksum ? { ChecksumSHA256: checksum } : {}),
        // Signed, so the client must send exactly this length.
        ...(options.size !== undefined ? { ContentLength: options.size } : {}),
        // Conditional write: S3 answers 412 when the key exists (written once).
        ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }),
      // Kept as signed headers (not query parameters), so S3 checks them against the request.
      {
        expiresIn: URL_TTL_SECONDS,
        unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
        ...(options.size !== undefined ? { signableHeaders: new Set(['content-length']) } : {}),
      },
    );
    return {
      url,
      headers: {
        ...(options.contentType ? { 'content-type': options.contentType } : {}),
        ...(checksum ? { 'x-amz-checksum-sha256': checksum } : {}),
        ...(options.ifNoneMatch ? { 'if-none-match': '*' } : {}),
      },
    };
  }

  presignGet(key: string): Promise<string> {
    return getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: URL_TTL_SECONDS });
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const res = await s3Client().send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }));
      // A multipart object's checksum is a checksum of its parts' checksums ("…-N"), not the object's.
      const whole = res.ChecksumSHA256 && res.ChecksumType !== 'COMPOSITE' && !res.ChecksumSHA256.includes('-');
      return { size: res.ContentLength ?? 0, sha256Hex: whole ? Buffer.from(res.ChecksumSHA256!, 'base64').toString('hex') : undefined };
    } catch (error) {
      // 404 needs s3:ListBucket; without it S3 answers 403, which must not pass for "missing".
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async digest(key: string): Promise<string | undefined> {
    let body: AsyncIterable<Uint8Array>;
    try {
      body = (await s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }))).Body as AsyncIterable<Uint8Array>;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    // Streamed: never the whole object in memory.
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk);
    return hash.digest('hex');
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

  async putText(key: string, text: string, contentType: string): Promise<void> {
    await s3Client().send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: contentType }));
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
        // S3 computes the copy's checksum, so the copy keeps a verified SHA-256 too.
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await s3Client().send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}
