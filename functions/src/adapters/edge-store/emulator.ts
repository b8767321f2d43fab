import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Client } from '#adapters/aws/clients';
import type { EdgeStore } from '#core/ports';
import { config } from '#lib/config';

/** Prefix of the emulated KeyValueStore in the artifact bucket. */
export const EDGE_KVS_PREFIX = 'edge-kvs/';

/**
 * The edge store of `npm start`: moto has no CloudFront KeyValueStore, so each host is an S3
 * object `edge-kvs/<host>` in the artifact bucket, holding the value as text. The local edge
 * server reads the same objects.
 */
export class EmulatorEdgeStore implements EdgeStore {
  async put(host: string, value: string): Promise<void> {
    await s3Client().send(
      new PutObjectCommand({ Bucket: config().RUNWAY_ARTIFACT_BUCKET, Key: key(host), Body: value, ContentType: 'text/plain; charset=utf-8' }),
    );
  }

  async delete(host: string): Promise<void> {
    await s3Client().send(new DeleteObjectCommand({ Bucket: config().RUNWAY_ARTIFACT_BUCKET, Key: key(host) }));
  }

  async get(host: string): Promise<string | undefined> {
    try {
      const res = await s3Client().send(new GetObjectCommand({ Bucket: config().RUNWAY_ARTIFACT_BUCKET, Key: key(host) }));
      return await (res.Body as { transformToString(): Promise<string> }).transformToString();
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  async list(cursor?: string): Promise<{ keys: string[]; next?: string | undefined }> {
    const out = await s3Client().send(
      new ListObjectsV2Command({ Bucket: config().RUNWAY_ARTIFACT_BUCKET, Prefix: EDGE_KVS_PREFIX, ...(cursor ? { ContinuationToken: cursor } : {}) }),
    );
    return { keys: (out.Contents ?? []).flatMap((o) => (o.Key ? [o.Key.slice(EDGE_KVS_PREFIX.length)] : [])), next: out.NextContinuationToken };
  }
}

function key(host: string): string {
  return EDGE_KVS_PREFIX + host.toLowerCase();
}
