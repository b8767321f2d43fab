import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { GitHubQueue } from '#core/ports';

/** The worker's entry point, as the SQS event source calls it. */
export type SqsConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

export interface InProcessGitHubQueueOptions {
  consumer: SqsConsumer;
  /** Deliveries of a failing message before it is dropped (SQS's maxReceiveCount). @default 3 */
  maxReceives?: number;
  /** Called with a message that failed every delivery (the dead-letter queue). */
  onDeadLetter?: (body: string, error: unknown) => void;
}

/**
 * SQS FIFO's local stand-in: each message is delivered to the same worker handler as a one-record
 * SQS event; messages of one group run strictly one after another, groups run side by side, a
 * dedup id seen in the last 5 minutes is dropped, and a failed message is redelivered.
 */
export class InProcessGitHubQueue implements GitHubQueue {
  readonly #groups = new Map<string, Promise<void>>();
  readonly #seen = new Map<string, number>();
  readonly #maxReceives: number;

  constructor(private readonly options: InProcessGitHubQueueOptions) {
    this.#maxReceives = options.maxReceives ?? 3;
  }

  async send(message: { body: string; groupId: string; dedupId: string }): Promise<void> {
    const now = Date.now();
    for (const [id, at] of this.#seen) if (now - at > 5 * 60_000) this.#seen.delete(id);
    if (this.#seen.has(message.dedupId)) return;
    this.#seen.set(message.dedupId, now);
    const previous = this.#groups.get(message.groupId) ?? Promise.resolve();
    const next = previous.then(() => this.#deliver(message));
    this.#groups.set(message.groupId, next);
    void next.finally(() => {
      if (this.#groups.get(message.groupId) === next) this.#groups.delete(message.groupId);
    });
  }

  /** Resolves once every message sent so far (and any sent meanwhile) has been handled. */
  async drain(): Promise<void> {
    while (this.#groups.size > 0) await Promise.all([...this.#groups.values()]);
  }

  async #deliver(message: { body: string; groupId: string; dedupId: string }): Promise<void> {
    let lastError: unknown;
    for (let receive = 1; receive <= this.#maxReceives; receive++) {
      try {
        const result = await this.options.consumer(sqsEvent(message, receive));
        if (!result || result.batchItemFailures.length === 0) return;
        lastError = new Error('The worker reported the message as failed');
      } catch (error) {
        lastError = error;
      }
    }
    if (this.options.onDeadLetter) this.options.onDeadLetter(message.body, lastError);
    else console.error('[github-queue] message dead-lettered', lastError);
  }
}

function sqsEvent(message: { body: string; groupId: string; dedupId: string }, receiveCount: number): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: now,
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: now,
          MessageGroupId: message.groupId,
          MessageDeduplicationId: message.dedupId,
          SequenceNumber: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:runway-github.fifo',
        awsRegion: 'us-east-1',
      },
    ],
  };
}
