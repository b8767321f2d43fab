import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, NotFound, PutObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { s3Client } from '#adapters/aws/clients';
import { blobKey } from '#core/artifact-keys';
import type { BlobStore } from '#core/ports';
import { config } from '#lib/config';

/** HEAD requests in flight at once when checking which blobs are missing. */
const HEAD_CONCURRENCY = 32;
/** From this many shas on, listing the team's prefix is tried before HEAD requests. */
const LIST_FROM_SHAS = 256;
/** Listing gives up after this many pages (1,000 keys each) and falls back to HEAD requests. */
const MAX_LIST_PAGES = 20;

/**
 * The team's content-addressed blobs in the artifact bucket, `blobs/<teamId>/<sha256>`: under its
 * team, so one team's keys can never name another team's bytes.
 */
export class S3BlobStore implements BlobStore {
  async missing(teamId: string, shas: string[]): Promise<string[]> {
    const unique = [...new Set(shas)];
    // A big deployment asks about thousands of files: a few list pages of the team's blobs beat
    // thousands of HEADs, as long as the team's prefix is not huge.
    if (unique.length >= LIST_FROM_SHAS) {
      const held = await this.listTeam(teamId);
      if (held) return unique.filter((sha) => !held.has(sha));
    }
    const limit = pLimit(HEAD_CONCURRENCY);
    const present = await Promise.all(unique.map((sha) => limit(() => this.exists(teamId, sha))));
    return unique.filter((_, i) => !present[i]);
  }

  async put(teamId: string, sha: string, bytes: Buffer): Promise<void> {
    await s3Client().send(
      new PutObjectCommand({
        Bucket: config().RUNWAY_ARTIFACT_BUCKET,
        Key: blobKey(teamId, sha),
        Body: bytes,
        ContentType: 'application/octet-stream',
        // S3 checks the bytes against the digest too: what is stored under a sha always hashes to it.
        ChecksumSHA256: Buffer.from(sha, 'hex').toString('base64'),
      }),
    );
  }

  async get(teamId: string, sha: string): Promise<Buffer | undefined> {
    try {
      const res = await s3Client().send(new GetObjectCommand({ Bucket: config().RUNWAY_ARTIFACT_BUCKET, Key: blobKey(teamId, sha) }));
      return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  /** Every sha the team holds, or undefined when that takes more than MAX_LIST_PAGES pages. */
  private async listTeam(teamId: string): Promise<Set<string> | undefined> {
    const prefix = blobKey(teamId, '');
    const held = new Set<string>();
    let token: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const res = await s3Client().send(
        new ListObjectsV2Command({ Bucket: config().RUNWAY_ARTIFACT_BUCKET, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of res.Contents ?? []) if (object.Key) held.add(object.Key.slice(prefix.length));
      if (!res.IsTruncated) return held;
      token = res.NextContinuationToken;
    }
    return undefined;
  }

  private async exists(teamId: string, sha: string): Promise<boolean> {
    try {
      await s3Client().send(new HeadObjectCommand({ Bucket: config().RUNWAY_ARTIFACT_BUCKET, Key: blobKey(teamId, sha) }));
      return true;
    } catch (error) {
      // 404 needs s3:ListBucket; without it S3 answers 403, which must not pass for "missing".
      if (error instanceof NotFound) return false;
      throw error;
    }
  }
}
