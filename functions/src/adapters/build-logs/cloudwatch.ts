import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { BuildLogs, LogEvent } from '#core/ports';
import { config } from '#lib/config';

let client: CloudWatchLogsClient | undefined;
const logsClient = () => (client ??= new CloudWatchLogsClient({}));

/**
 * Build logs in CloudWatch Logs, one stream per build: CodeBuild writes them in AWS, the local
 * runner writes them to the emulator; the API reads both the same way.
 */
export class CloudWatchBuildLogs implements BuildLogs {
  private readonly created = new Set<string>();

  /** @param groupName the log group; the configured build log group when omitted (read on first use). */
  constructor(private readonly groupName?: string) {}

  private get group(): string {
    return this.groupName ?? config().RUNWAY_BUILD_LOG_GROUP;
  }

  async append(stream: string, events: LogEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (!this.created.has(stream)) {
      await logsClient()
        .send(new CreateLogStreamCommand({ logGroupName: this.group, logStreamName: stream }))
        .catch((error: Error) => {
          if (error.name !== 'ResourceAlreadyExistsException') throw error;
        });
      this.created.add(stream);
    }
    await logsClient().send(new PutLogEventsCommand({ logGroupName: this.group, logStreamName: stream, logEvents: events }));
  }

  async read(stream: string, options: { cursor?: string | undefined; limit: number }): Promise<{ events: LogEvent[]; next: string }> {
    try {
      const res = await logsClient().send(
        new GetLogEventsCommand({
          logGroupName: this.group,
          logStreamName: stream,
          startFromHead: true,
          limit: options.limit,
          ...(options.cursor ? { nextToken: options.cursor } : {}),
        }),
      );
      const events = (res.events ?? []).map((e) => ({ timestamp: e.timestamp ?? 0, message: (e.message ?? '').replace(/\n$/, '') }));
      return { events, next: res.nextForwardToken ?? options.cursor ?? '' };
    } catch (error) {
      // No stream yet: the build has not written a line.
      if ((error as Error).name === 'ResourceNotFoundException') return { events: [], next: options.cursor ?? '' };
      throw error;
    }
  }
}
