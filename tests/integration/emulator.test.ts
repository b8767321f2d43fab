import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, test } from 'vitest';

const env = inject('localAwsEnv');
// Clients configured only by the standard env (AWS_ENDPOINT_URL), as the handlers are.
const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const s3 = new S3Client({ forcePathStyle: true });

describe('state stack in the emulator', () => {
  const id = randomUUID();
  afterAll(async () => {
    await dynamo.send(new DeleteCommand({ TableName: env.RUNWAY_TABLE_NAME, Key: { pk: `test#${id}`, sk: 'item' } }));
  });

  test('the endpoint comes from AWS_ENDPOINT_URL', () => {
    expect(process.env.AWS_ENDPOINT_URL).toBe(env.AWS_ENDPOINT_URL);
    expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/localhost:\d+$/);
  });

  test('control-plane table: write, read back, query the gsi1 index', async () => {
    await dynamo.send(new PutCommand({
      TableName: env.RUNWAY_TABLE_NAME,
      Item: { pk: `test#${id}`, sk: 'item', gsi1pk: `by#${id}`, gsi1sk: '1', value: 42 },
    }));
    const got = await dynamo.send(new GetCommand({ TableName: env.RUNWAY_TABLE_NAME, Key: { pk: `test#${id}`, sk: 'item' } }));
    expect(got.Item?.value).toBe(42);
    const queried = await dynamo.send(new QueryCommand({
      TableName: env.RUNWAY_TABLE_NAME,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': `by#${id}` },
    }));
    expect(queried.Items?.map((i) => i.value)).toEqual([42]);
  });

  test('artifact bucket: write and read back bytes', async () => {
    const key = `test/${id}.bin`;
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    await s3.send(new PutObjectCommand({ Bucket: env.RUNWAY_ARTIFACT_BUCKET, Key: key, Body: bytes }));
    const got = await s3.send(new GetObjectCommand({ Bucket: env.RUNWAY_ARTIFACT_BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  });
});
