import { Duration } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeTableIndexes } from '../nag.ts';
import type { GitHubApp } from './github-app.ts';
import { RunwayFunction } from './runway-function.ts';

/** Lambda's guidance for SQS event sources: the visibility timeout is at least 6× the function's timeout. */
const VISIBILITY_PER_TIMEOUT = 6;

export interface GitHubIntegrationProps {
  /** The control-plane table: projects, deployments, installations. */
  readonly table: ITable;
  /** Powertools Idempotency records: each delivery's effect runs once. */
  readonly idempotencyTable: ITable;
  /** The App whose credentials the worker uses. */
  readonly app: GitHubApp;
  /** The control-plane environment (`StateStack.controlPlaneEnvironment`). */
  readonly environment: Record<string, string>;
  /** How long the worker may take for one batch. @default Duration.minutes(1) */
  readonly workerTimeout?: Duration;
  /** Deliveries per worker invocation. @default 10 (the most a FIFO source takes) */
  readonly batchSize?: number;
  /** Receives of a delivery before it moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * GitHub deliveries, worked off asynchronously: the webhook verifies and enqueues (GitHub wants
 * its answer within 10 s), the worker turns each delivery into deployments, aliases and builds.
 * The queue is FIFO so a branch's pushes and pull-request events run in order (the webhook's
 * message group is repository + branch) and deduplicated by delivery id (no content-based
 * deduplication: two deliveries can carry the same body). A delivery that keeps failing moves to
 * the dead-letter queue after `maxReceiveCount` receives and stays there for 14 days.
 */
export class GitHubIntegration extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly deadLettersAlarm: Alarm;
  readonly worker: RunwayFunction;

  constructor(scope: Construct, id: string, props: GitHubIntegrationProps) {
    super(scope, id);
    const timeout = props.workerTimeout ?? Duration.minutes(1);

    this.deadLetters = new Queue(this, 'DeadLetters', {
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Deliveries', {
      fifo: true,
      contentBasedDeduplication: false,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A batch in flight stays invisible while the worker (and Lambda's retries of a throttled
      // invocation) may still hold it.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_PER_TIMEOUT),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.worker = new RunwayFunction(this, 'WorkerFn', {
      handlerFile: 'jobs/github-worker.ts',
      serviceName: 'github-worker',
      description: 'Runway: GitHub deliveries (push, pull request, installation) from the FIFO queue',
      timeout,
      environment: props.environment,
    });
    // Partial batch responses: only the failed record and the rest of its group come back.
    this.worker.addEventSource(new SqsEventSource(this.queue, { batchSize: props.batchSize ?? 10, reportBatchItemFailures: true }));
    props.table.grantReadWriteData(this.worker);
    props.idempotencyTable.grantReadWriteData(this.worker);
    props.app.grantUse(this.worker);
    acknowledgeTableIndexes(
      this.worker,
      props.table.tableArn,
      "Installations, projects and deployments are found through the gsi1/gsi2 indexes of the control-plane table; the grant names the table's own indexes only.",
    );

    // Deliveries that failed every attempt wait here for a person: say so (subscribe the alarm
    // to a topic of your choice).
    this.deadLettersAlarm = this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }).createAlarm(this, 'DeadLettersAlarm', {
      alarmDescription: 'Runway: GitHub deliveries the worker could not handle are waiting in the dead-letter queue',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    acknowledge(this.deadLetters, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the GitHub deliveries queue.' },
    ]);
  }

  /** Lets the webhook enqueue deliveries and tells it the queue's URL (`RUNWAY_GITHUB_QUEUE_URL`). */
  grantEnqueue(fn: LambdaFunction): void {
    this.queue.grantSendMessages(fn);
    fn.addEnvironment('RUNWAY_GITHUB_QUEUE_URL', this.queue.queueUrl);
  }
}
