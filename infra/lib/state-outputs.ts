/**
 * The state stack's outputs, keyed by the environment variable each one feeds. The CDK stack
 * creates these outputs and the local environment reads them back, so the physical names the
 * handlers use locally come from the same definitions as in AWS.
 */
export const STATE_OUTPUTS = {
  RUNWAY_TABLE_NAME: 'TableName',
  RUNWAY_IDEMPOTENCY_TABLE_NAME: 'IdempotencyTableName',
  RUNWAY_ARTIFACT_BUCKET: 'ArtifactBucketName',
  RUNWAY_KMS_KEY_ID: 'SecretsKeyId',
  RUNWAY_BUILD_LOG_GROUP: 'BuildLogGroupName',
} as const;

export type StateEnv = Record<keyof typeof STATE_OUTPUTS, string>;
