import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { GitHubQueue } from '#core/ports';
import { config } from '#lib/config';

let client: SQSClient | undefined;

/** The webhook → worker queue on SQS FIFO: ordered per group, deduplicated by delivery id for 5 minutes. */
export class SqsGitHubQueue implements GitHubQueue {
  async send(message: { body: string; groupId: string; dedupId: string }): Promise<void> {
    const queueUrl = config().RUNWAY_GITHUB_QUEUE_URL;
    if (!queueUrl) throw new Error('RUNWAY_GITHUB_QUEUE_URL is not set');
    client ??= new SQSClient({});
    await client.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.body, MessageGroupId: message.groupId, MessageDeduplicationId: message.dedupId }),
    );
  }
}
