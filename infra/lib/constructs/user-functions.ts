import path from 'node:path';
import { ArnFormat, AssetHashType, DockerImage, Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type IGrantable, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { launcherLayerBuildOptions } from '../bundling.ts';
import { acknowledge, acknowledgeArnWildcard, acknowledgeTableIndexes, renderedEnv } from '../nag.ts';
import type { StateStack } from '../stacks/state-stack.ts';
import { ARTIFACT_PREFIXES } from './artifact-bucket.ts';
import { REPO_ROOT, RunwayFunction } from './runway-function.ts';

/** Prefix of users' functions (core/functions/deployer.ts FUNCTION_NAME_PREFIX): every grant here is scoped to it. */
const PREFIX = 'runway-fn-';
/** Context key of the days an unreferenced deployment keeps its functions. */
export const FUNCTION_RETENTION_CONTEXT = 'runway:functionRetentionDays';
/** Default of {@link FUNCTION_RETENTION_CONTEXT} (core/functions/gc.ts DEFAULT_FUNCTION_RETENTION_DAYS). */
export const DEFAULT_FUNCTION_RETENTION_DAYS = 30;
/**
 * How often function GC runs: daily. Retention is counted in days, so an hourly run would find
 * nothing new 23 times out of 24; each run walks every `runway-fn-*` function (ListFunctions, 50 a page).
 */
export const FUNCTION_GC_RATE = Duration.days(1);
/** The Node.js runtimes users' functions may use (core/functions/config.ts NODE_RUNTIMES): the layer is compatible with all. */
const USER_RUNTIMES = [Runtime.NODEJS_20_X, Runtime.NODEJS_22_X, Runtime.NODEJS_24_X];

/** ARN pattern of every user function of the stack's account and Region: `arn:…:lambda:<region>:<account>:function:runway-fn-*`. */
export function userFunctionArns(scope: Construct): string {
  return Stack.of(scope).formatArn({ service: 'lambda', resource: 'function', resourceName: `${PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** How cdk-nag names the `runway-fn-*` function and log-group ARNs in `scope`'s stack (literal when environment-bound). */
function findings(scope: Construct): { functions: string; logGroups: string } {
  const { partition, region, account } = renderedEnv(scope);
  return {
    functions: `AwsSolutions-IAM5[Resource::arn:${partition}:lambda:${region}:${account}:function:${PREFIX}*]`,
    logGroups: `arn:${partition}:logs:${region}:${account}:log-group:/aws/lambda/${PREFIX}*`,
  };
}

/**
 * Grants the edge's origin-request role the right to call users' Function URLs, and nothing else
 * of them: `lambda:InvokeFunctionUrl` (only on `AWS_IAM` URLs) and `lambda:InvokeFunction`, which
 * new Function URLs also require since October 2025 (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html).
 * Function URLs with `AuthType: AWS_IAM` of the same account need no resource policy: the
 * identity policy is enough (same page, "AWS_IAM auth type").
 */
export function grantInvokeUserFunctionUrls(grantee: IGrantable & Construct): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['lambda:InvokeFunctionUrl'],
      resources: [userFunctionArns(grantee)],
      conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [userFunctionArns(grantee)] }));
  acknowledge(grantee, [
    {
      id: findings(grantee).functions,
      reason: "Users' functions are created at run time, one per function of a deployment, all named runway-fn-*; the edge may invoke only those.",
    },
  ]);
}

export interface UserFunctionsProps {
  readonly state: StateStack;
  readonly platformDomain: string;
  /** @default {@link DEFAULT_FUNCTION_RETENTION_DAYS} */
  readonly retentionDays?: number;
}

/**
 * What users' functions need in AWS besides the functions themselves (which the control plane
 * creates at finalize, `adapters/functions/lambda.ts`):
 *
 * - **the function execution role**, one for all: it may write logs to `/aws/lambda/runway-fn-*`
 *   and nothing else — no table, no bucket, no KMS key, no secret. IAM cannot narrow it to each
 *   function's *own* group with one role (no policy variable names the calling function), so a
 *   function's code could write (never read) another user function's log group; the condition
 *   `lambda:SourceFunctionArn` = `runway-fn-*` (Lambda puts it on the log calls it makes and on any
 *   call from inside a function: https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html)
 *   makes the role's credentials useless outside users' functions. One role per function would
 *   narrow it but meets the account's 1,000-role quota.
 * - **the launcher layer** (`functions/src/launcher/layer.ts` bundled to `runway/launcher.mjs`),
 *   the handler of every user function. A layer rather than a copy in each zip: user zips stay
 *   exactly what the builder stored (content-addressed, shared by deployments and by `npm start`),
 *   the launcher is one 14 KB asset per platform version, and a function keeps the layer version
 *   it was created with, so it stays immutable when Runway updates.
 * - **the GC job**: a daily scheduled Lambda deleting functions of deployments no host serves or
 *   rolls back to, older than the retention window (core/functions/gc.ts).
 */
export class UserFunctions extends Construct {
  readonly executionRole: Role;
  readonly launcherLayer: LayerVersion;
  readonly gc: RunwayFunction;
  private readonly bucket: IBucket;
  /** `arn:…:logs:<region>:<account>:log-group:/aws/lambda/runway-fn-*` */
  private readonly logGroups: string;

  constructor(scope: Construct, id: string, props: UserFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = props.state.artifactBucket;
    const logGroups = (this.logGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/lambda/${PREFIX}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
    this.executionRole = new Role(this, 'ExecutionRole', {
      description: "Runway: the execution role of users' functions (runway-fn-*): their own logs, nothing else",
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        logs: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [logGroups, `${logGroups}:*`],
              conditions: { ArnLike: { 'lambda:SourceFunctionArn': userFunctionArns(this) } },
            }),
          ],
        }),
      },
    });
    acknowledge(this.executionRole, [
      {
        id: `AwsSolutions-IAM5[Resource::${findings(this).logGroups}]`,
        reason: "Log groups of users' functions, created at run time (one per function, /aws/lambda/runway-fn-*).",
      },
      {
        id: `AwsSolutions-IAM5[Resource::${findings(this).logGroups}:*]`,
        reason: "Log streams in those groups, created by Lambda for each execution environment.",
      },
    ]);

    this.launcherLayer = new LayerVersion(this, 'Launcher', {
      description: "Runway: the Node.js launcher users' functions run (handler /opt/runway/launcher.handler)",
      compatibleRuntimes: USER_RUNTIMES,
      compatibleArchitectures: [Architecture.ARM_64, Architecture.X86_64],
      code: Code.fromAsset(path.join(REPO_ROOT, 'functions/src/launcher'), {
        // Hash of the bundle, not of the directory: the entry imports from edge/ too.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // esbuild runs here, in-process; the image is never pulled (tryBundle always succeeds).
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
          local: {
            tryBundle(outputDir: string) {
              buildSync(launcherLayerBuildOptions(outputDir));
              return true;
            },
          },
        },
      }),
    });

    const retentionDays = props.retentionDays ?? DEFAULT_FUNCTION_RETENTION_DAYS;
    this.gc = new RunwayFunction(this, 'GcFn', {
      handlerFile: 'jobs/gc-functions.ts',
      serviceName: 'gc-functions',
      timeout: Duration.minutes(15),
      environment: { ...props.state.controlPlaneEnvironment(props.platformDomain), ...this.environment(), RUNWAY_FUNCTION_RETENTION_DAYS: String(retentionDays) },
    });
    props.state.table.grantReadData(this.gc);
    acknowledgeTableIndexes(this.gc, props.state.table.tableArn, "GC reads a project's hosts through the gsi1/gsi2 indexes.");
    this.gc.addToRolePolicy(new PolicyStatement({ actions: ['lambda:DeleteFunction'], resources: [userFunctionArns(this)] }));
    // ListFunctions has no resource-level permissions (Service Authorization Reference, AWS Lambda).
    this.gc.addToRolePolicy(new PolicyStatement({ actions: ['lambda:ListFunctions'], resources: ['*'] }));
    this.bucket.grantDelete(this.gc, `${ARTIFACT_PREFIXES.functions}*`);
    acknowledgeArnWildcard(this.gc, this.bucket.bucketArn, `/${ARTIFACT_PREFIXES.functions}*`, 'URL maps of deployments whose functions GC deletes.');
    acknowledge(this.gc, [
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'lambda:ListFunctions supports no resource-level permissions; GC filters the names to runway-fn-*.' },
      { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: 'GC deletes the URL maps (functions/*) of the deployments whose functions it deletes (grantDelete).' },
      {
        id: findings(this).functions,
        reason: "GC deletes users' functions only: all are named runway-fn-*.",
      },
    ]);
    new Rule(this, 'GcSchedule', {
      description: `Runway: delete functions of deployments no host serves or rolls back to, older than ${retentionDays} days`,
      schedule: Schedule.rate(FUNCTION_GC_RATE),
      targets: [new LambdaFunction(this.gc, { retryAttempts: 2 })],
    });
  }

  /** What a function that deploys users' functions needs in its environment. */
  environment(): Record<string, string> {
    return { RUNWAY_FUNCTION_ROLE_ARN: this.executionRole.roleArn, RUNWAY_FUNCTION_LAYER_ARN: this.launcherLayer.layerVersionArn };
  }

  /**
   * Lets a control-plane function (the one serving `GET /v1/deployments/{id}/logs`) read users'
   * function logs: `logs:FilterLogEvents`, the only call of the CloudWatch adapter
   * (adapters/function-logs/cloudwatch.ts), on `/aws/lambda/runway-fn-*` log groups only. A log
   * group is FilterLogEvents' resource (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html).
   */
  grantReadLogs(fn: RunwayFunction): void {
    fn.addToRolePolicy(new PolicyStatement({ actions: ['logs:FilterLogEvents'], resources: [this.logGroups] }));
    acknowledge(fn, [
      {
        id: `AwsSolutions-IAM5[Resource::${findings(fn).logGroups}]`,
        reason: "Function logs are read per deployment from each function's own log group; every user function's group is /aws/lambda/runway-fn-*.",
      },
    ]);
  }

  /**
   * Lets a control-plane function (finalize: the build-state Lambda) create users' functions and
   * their URLs — scoped to `runway-fn-*`, with `iam:PassRole` on the one execution role and only to
   * Lambda — and sets its environment. Lambda fetches a function's zip from S3 on the caller's
   * behalf, so the caller gets `s3:GetObject` on `blobs/*` (and writes the URL maps).
   */
  grantDeploy(fn: RunwayFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:CreateFunction', 'lambda:GetFunction', 'lambda:TagResource', 'lambda:CreateFunctionUrlConfig', 'lambda:GetFunctionUrlConfig'],
        resources: [userFunctionArns(this)],
      }),
    );
    fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:GetLayerVersion'], resources: [this.launcherLayer.layerVersionArn] }));
    // Each function's log group, made with a retention before the function (adapters/functions/lambda.ts).
    fn.addToRolePolicy(new PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], resources: [this.logGroups] }));
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.executionRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      }),
    );
    this.bucket.grantRead(fn, `${ARTIFACT_PREFIXES.blobs}*`);
    this.bucket.grantPut(fn, `${ARTIFACT_PREFIXES.functions}*`);
    for (const [key, value] of Object.entries(this.environment())) fn.addEnvironment(key, value);
    acknowledge(fn, [
      {
        id: findings(fn).functions,
        reason: "Users' functions are created at finalize, one per function of a deployment; the control plane may manage only runway-fn-*.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::${findings(fn).logGroups}]`,
        reason: "Each user function's log group is created with its retention at finalize, before the function.",
      },
    ]);
    acknowledgeArnWildcard(fn, this.bucket.bucketArn, `/${ARTIFACT_PREFIXES.blobs}*`, "Function zips (team blobs) Lambda reads with the caller's permissions at CreateFunction.");
    acknowledgeArnWildcard(fn, this.bucket.bucketArn, `/${ARTIFACT_PREFIXES.functions}*`, "Each deployment's function URL map, read by the edge.");
  }
}
