import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { config } from '#lib/config';
import { dynamoClient, s3Client } from '#adapters/aws/clients';

export interface ServiceProbe {
  reachable: boolean;
  latencyMs: number;
}

/** Probes the table and the bucket with one cheap read each. */
export async function probeStorage(): Promise<Record<'dynamodb' | 's3', ServiceProbe>> {
  const { RUNWAY_TABLE_NAME, RUNWAY_ARTIFACT_BUCKET } = config();
  const [dynamodb, s3] = await Promise.all([
    probe(() => dynamoClient().send(new GetItemCommand({ TableName: RUNWAY_TABLE_NAME, Key: { pk: { S: '__health__' }, sk: { S: '__health__' } } }))),
    // The probe object does not exist: 404 (or 403 without list rights) proves the bucket answered.
    probe(() => s3Client().send(new HeadObjectCommand({ Bucket: RUNWAY_ARTIFACT_BUCKET, Key: '__health__' })), [403, 404]),
  ]);
  return { dynamodb, s3 };
}

async function probe(call: () => Promise<unknown>, expectedStatuses: number[] = []): Promise<ServiceProbe> {
  const started = performance.now();
  try {
    await call();
    return { reachable: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { reachable: status !== undefined && expectedStatuses.includes(status), latencyMs: Math.round(performance.now() - started) };
  }
}
