import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { acknowledge } from '../nag.ts';
import type { Construct } from 'constructs';
import { ArtifactBucket } from '../constructs/artifact-bucket.ts';
import { ControlPlaneTable } from '../constructs/control-plane-table.ts';
import { CursorKey } from '../constructs/cursor-key.ts';
import { GitHubApp } from '../constructs/github-app.ts';
import { SecretsKey } from '../constructs/secrets-key.ts';
import { STATE_OUTPUTS } from '../state-outputs.ts';

export interface StateStackProps extends StackProps {
  /** Removal policy of stateful resources. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Where the GitHub App lives, for GitHub Enterprise Server. @default github.com */
  readonly github?: { readonly apiUrl?: string; readonly webUrl?: string };
}

/**
 * Everything stateful: tables, the artifact bucket, the env-var key and the GitHub App's secret.
 * Other stacks reference it.
 */
export class StateStack extends Stack {
  readonly table: Table;
  readonly idempotencyTable: Table;
  readonly artifactBucket: Bucket;
  readonly secretsKey: Key;
  /** Build logs: CodeBuild writes one stream per build; the API reads them back. */
  readonly buildLogs: LogGroup;
  /** The GitHub App's credentials; here because the API and the builds stacks both read them. */
  readonly githubApp: GitHubApp;
  /** The key list cursors are sealed with (the API's list handlers read it). */
  readonly cursorKey: CursorKey;

  constructor(scope: Construct, id: string, props: StateStackProps = {}) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const tables = new ControlPlaneTable(this, 'ControlPlane', { removalPolicy });
    this.table = tables.table;
    this.idempotencyTable = tables.idempotencyTable;
    this.artifactBucket = new ArtifactBucket(this, 'Artifacts', { removalPolicy }).bucket;
    this.secretsKey = new SecretsKey(this, 'Secrets', { removalPolicy }).key;
    this.buildLogs = new LogGroup(this, 'BuildLogs', { retention: RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.githubApp = new GitHubApp(this, 'GitHubApp', { ...props.github, removalPolicy });
    this.cursorKey = new CursorKey(this, 'CursorKey', { removalPolicy });

    const values: Record<keyof typeof STATE_OUTPUTS, string> = {
      RUNWAY_TABLE_NAME: this.table.tableName,
      RUNWAY_IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
      RUNWAY_ARTIFACT_BUCKET: this.artifactBucket.bucketName,
      RUNWAY_KMS_KEY_ID: this.secretsKey.keyId,
      RUNWAY_BUILD_LOG_GROUP: this.buildLogs.logGroupName,
    };
    for (const [env, outputId] of Object.entries(STATE_OUTPUTS)) {
      new CfnOutput(this, outputId, { value: values[env as keyof typeof STATE_OUTPUTS] });
    }
    new CfnOutput(this, 'GitHubAppSecretArn', {
      description: "Secrets Manager secret to write the GitHub App's credentials to (README, GitHub App)",
      value: this.githubApp.secret.secretArn,
    });
    new CfnOutput(this, 'GitHubWebhookSecretArn', {
      description: "Secrets Manager secret holding the GitHub App's webhook secret (enter its value in the App's settings)",
      value: this.githubApp.webhookSecret.secretArn,
    });

    acknowledge(this.artifactBucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'Objects are immutable build artifacts written only by the platform; reads come through CloudFront, whose standard logs are the access record. S3 server access logs would double that cost for no audit value.',
      },
    ]);
  }

  /** The environment every control-plane function reads through `lib/config.ts`. */
  controlPlaneEnvironment(platformDomain: string): Record<string, string> {
    return {
      RUNWAY_TABLE_NAME: this.table.tableName,
      RUNWAY_IDEMPOTENCY_TABLE_NAME: this.idempotencyTable.tableName,
      RUNWAY_ARTIFACT_BUCKET: this.artifactBucket.bucketName,
      RUNWAY_KMS_KEY_ID: this.secretsKey.keyId,
      RUNWAY_PLATFORM_DOMAIN: platformDomain,
      RUNWAY_BUILD_LOG_GROUP: this.buildLogs.logGroupName,
    };
  }
}
