import { S3BlobStore } from '../../functions/src/adapters/blob-store/s3.ts';
import { dynamoDbRepositories } from '../../functions/src/adapters/db/dynamodb/index.ts';
import { KmsEnvCipher } from '../../functions/src/adapters/env-cipher/kms.ts';
import { wire } from '../../functions/src/lib/context.ts';

/**
 * Setup of the emulator-backed test projects. Tests call the domain directly too (seeding teams and
 * tokens, as the admin CLI does, or moving a deployment's state as a build would): it runs on the
 * emulator's DynamoDB, S3 and KMS, wired exactly as a Lambda entry point wires itself. Handlers
 * the tests import add their own adapters; tests override what they fake.
 */
wire({ ...dynamoDbRepositories, blobStore: () => new S3BlobStore(), envCipher: () => new KmsEnvCipher() });
