import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { config } from '#lib/config';

/**
 * Module-scoped AWS clients, created on first use and reused across invocations. Endpoints come
 * only from the SDK's standard resolution (AWS_ENDPOINT_URL locally); nothing here knows whether
 * it talks to AWS or an emulator.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let kms: KMSClient | undefined;

export function dynamoClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: config().RUNWAY_S3_FORCE_PATH_STYLE });
  return s3;
}

export function kmsClient(): KMSClient {
  kms ??= new KMSClient({});
  return kms;
}
