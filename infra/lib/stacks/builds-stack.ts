import { ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BuilderProject, type BuildCompute } from '../constructs/builder-project.ts';
import { RunwayFunction } from '../constructs/runway-function.ts';
import { UserFunctions } from '../constructs/user-functions.ts';
import { acknowledge, acknowledgeTableIndexes, acknowledgeArnWildcard } from '../nag.ts';
import type { StateStack } from './state-stack.ts';

export interface BuildsStackProps extends StackProps {
  readonly state: StateStack;
  readonly platformDomain: string;
  /** Where builds run (context `runway:buildCompute`). @default Lambda compute */
  readonly compute?: BuildCompute;
  /** Days an unreferenced deployment keeps its functions (context `runway:functionRetentionDays`). @default 30 */
  readonly functionRetentionDays?: number;
}

/** How often the stuck-deployment sweep runs: a lost build is noticed within this of its limit. */
export const STUCK_SWEEP_RATE = Duration.minutes(5);
/** How often custom domains are checked against DNS (pending ones verify, dangling ones detach). */
export const DOMAIN_CHECK_RATE = Duration.minutes(10);
/** How often the sweep of hosts and edge keys nobody owns runs. */
export const HOST_SWEEP_RATE = Duration.hours(6);
/**
 * Longest a build may wait to start before the sweep ends it. Lambda compute starts builds in
 * seconds and scales instead of queuing (https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html);
 * an hour covers an account at its concurrent-build quota.
 */
export const BUILD_QUEUE_LIMIT = Duration.minutes(60);

/**
 * Builds: the CodeBuild project that runs the builder, the EventBridge rule that turns each
 * build's end into the deployment's state through the build-state Lambda, and the two scheduled
 * sweeps: deployments whose build state was lost end ERROR; hosts and edge keys nobody owns go.
 */
export class BuildsStack extends Stack {
  readonly builder: BuilderProject;
  readonly buildState: RunwayFunction;
  readonly sweepStuck: RunwayFunction;
  /** The host sweep; the app grants it the edge's KeyValueStore (the edge stack owns it). */
  readonly sweepHosts: RunwayFunction;
  /** The scheduled check of custom domains; the app grants it the edge's store and tenants. */
  readonly checkDomains: RunwayFunction;
  /** Users' functions: their execution role, the launcher layer, GC; finalize (build-state) creates them. */
  readonly userFunctions: UserFunctions;

  constructor(scope: Construct, id: string, props: BuildsStackProps) {
    super(scope, id, props);
    const { state } = props;
    this.builder = new BuilderProject(this, 'Builder', { logGroup: state.buildLogs, ...(props.compute ? { compute: props.compute } : {}) });

    this.buildState = new RunwayFunction(this, 'BuildStateFn', {
      handlerFile: 'events/build-state.ts',
      serviceName: 'build-state',
      // Copying a large deployment's files into its prefix takes a while.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment: state.controlPlaneEnvironment(props.platformDomain),
    });
    state.table.grantReadWriteData(this.buildState);
    state.artifactBucket.grantReadWrite(this.buildState);
    state.buildLogs.grantRead(this.buildState);
    // It reports each outcome to GitHub as the App (commit status, deployment status, PR comment).
    state.githubApp.grantUse(this.buildState);
    acknowledgeTableIndexes(this.buildState, state.table.tableArn, 'The build-state handler reads deployments and aliases through the gsi1/gsi2 indexes.');

    const deadLetters = new Queue(this, 'BuildStateDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    new Rule(this, 'BuildStateChanged', {
      description: 'Runway: CodeBuild build state changes of the builder project',
      eventPattern: {
        source: ['aws.codebuild'],
        detailType: ['CodeBuild Build State Change'],
        detail: { 'project-name': [this.builder.project.projectName] },
      },
      targets: [new LambdaFunction(this.buildState, { deadLetterQueue: deadLetters, retryAttempts: 8, maxEventAge: Duration.hours(2) })],
    });

    deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }).createAlarm(this, 'BuildStateDeadLettersAlarm', {
      alarmDescription: 'Runway: build-state events that failed every retry are waiting in the dead-letter queue (their deployments may be stuck)',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    acknowledge(deadLetters, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the build-state rule.' },
    ]);
    acknowledge(this.buildState, [
      ...['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'Finalizing a build reads manifests and blobs and writes the deployment prefix of the artifact bucket (grantReadWrite).',
      })),
    ]);
    acknowledgeArnWildcard(this.buildState, state.artifactBucket.bucketArn, '/*', 'Objects of the artifact bucket: blobs, manifests and deployment files.');

    // Finalize creates each function of a READY deployment as a Lambda function (runway-fn-*).
    this.userFunctions = new UserFunctions(this, 'UserFunctions', {
      state,
      platformDomain: props.platformDomain,
      ...(props.functionRetentionDays !== undefined ? { retentionDays: props.functionRetentionDays } : {}),
    });
    this.userFunctions.grantDeploy(this.buildState);
    // The runtime env vars of the deployment's target, decrypted into the functions' configuration.
    state.secretsKey.grantDecrypt(this.buildState);

    // Deployments stuck QUEUED/BUILDING past the build limits → ERROR, builds stopped, GitHub told.
    this.sweepStuck = new RunwayFunction(this, 'SweepStuckFn', {
      handlerFile: 'jobs/sweep-stuck.ts',
      serviceName: 'sweep-stuck',
      timeout: Duration.minutes(2),
      environment: {
        ...state.controlPlaneEnvironment(props.platformDomain),
        RUNWAY_BUILD_LIMIT_MINUTES: String(this.builder.buildLimit.toMinutes()),
        RUNWAY_BUILD_QUEUE_LIMIT_MINUTES: String(BUILD_QUEUE_LIMIT.toMinutes()),
      },
    });
    state.table.grantReadWriteData(this.sweepStuck);
    this.builder.grantStop(this.sweepStuck);
    state.githubApp.grantUse(this.sweepStuck);
    acknowledgeTableIndexes(this.sweepStuck, state.table.tableArn, 'The sweep reads deployments in flight through the sparse gsi3 index.');
    // The index backfill reads manifests and writes deployment indexes (core/build/backfill.ts).
    state.artifactBucket.grantRead(this.sweepStuck, 'manifests/*');
    state.artifactBucket.grantRead(this.sweepStuck, 'routes/*');
    state.artifactBucket.grantPut(this.sweepStuck, 'routes/*');
    acknowledge(this.sweepStuck, [
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'The index backfill reads manifests and deployment indexes and writes indexes of the artifact bucket (grantRead / grantPut on their prefixes).',
      })),
    ]);
    acknowledgeArnWildcard(this.sweepStuck, state.artifactBucket.bucketArn, '/manifests/*', 'Build manifests, read by the index backfill.');
    acknowledgeArnWildcard(this.sweepStuck, state.artifactBucket.bucketArn, '/routes/*', 'Deployment indexes, checked and written by the index backfill.');
    new Rule(this, 'SweepStuckSchedule', {
      description: 'Runway: end deployments whose build state was lost (stuck QUEUED or BUILDING past the build limits)',
      schedule: Schedule.rate(STUCK_SWEEP_RATE),
      targets: [new LambdaFunction(this.sweepStuck, { retryAttempts: 2, maxEventAge: STUCK_SWEEP_RATE })],
    });

    // Hosts and edge keys nobody owns; deleted projects' cleanup finished.
    this.sweepHosts = new RunwayFunction(this, 'SweepHostsFn', {
      handlerFile: 'jobs/sweep-hosts.ts',
      serviceName: 'sweep-hosts',
      timeout: Duration.minutes(15),
      environment: state.controlPlaneEnvironment(props.platformDomain),
    });
    state.table.grantReadWriteData(this.sweepHosts);
    acknowledgeTableIndexes(this.sweepHosts, state.table.tableArn, "The sweep lists a project's hosts and deployments through the gsi1/gsi2 indexes.");
    new Rule(this, 'SweepHostsSchedule', {
      description: 'Runway: remove edge keys nobody owns and finish the cleanup of deleted projects',
      schedule: Schedule.rate(HOST_SWEEP_RATE),
      targets: [new LambdaFunction(this.sweepHosts, { retryAttempts: 2 })],
    });

    // Custom domains: verify pending ones, follow certificates, detach dangling ones.
    this.checkDomains = new RunwayFunction(this, 'CheckDomainsFn', {
      handlerFile: 'jobs/check-domains.ts',
      serviceName: 'check-domains',
      timeout: Duration.minutes(5),
      environment: state.controlPlaneEnvironment(props.platformDomain),
    });
    state.table.grantReadWriteData(this.checkDomains);
    acknowledgeTableIndexes(this.checkDomains, state.table.tableArn, 'The check reads every domain through the gsi2 index and owners through gsi1.');
    new Rule(this, 'CheckDomainsSchedule', {
      description: 'Runway: check custom domains against DNS (verify pending ones, detach those whose proof and CNAME are gone)',
      schedule: Schedule.rate(DOMAIN_CHECK_RATE),
      targets: [new LambdaFunction(this.checkDomains, { retryAttempts: 1, maxEventAge: DOMAIN_CHECK_RATE })],
    });
  }
}
