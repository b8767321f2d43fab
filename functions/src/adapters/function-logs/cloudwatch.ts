import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import * as z from 'zod';
import { ValidationError } from '#core/errors';
import { parseLambdaLogLine, type FunctionLogItem, type FunctionLogPage, type FunctionLogs } from '#core/functions/index';

let client: CloudWatchLogsClient | undefined;
const logsClient = () => (client ??= new CloudWatchLogsClient({}));

/** Where a page ended: every event after (timestamp, id) comes next; ids are the events at `t` already returned. */
const Cursor = z.strictObject({ t: z.number().int().nonnegative(), ids: z.array(z.string().max(128)).max(1000) });
type Cursor = z.infer<typeof Cursor>;

/** FilterLogEvents pages read per log group and request at most (each up to 10,000 events / 1 MB). */
const MAX_PAGES = 10;

/**
 * Function logs from CloudWatch Logs (FilterLogEvents over each function's log group, merged by
 * time): Lambda's groups in AWS, the local runner's in the emulator. The cursor is where the last
 * page ended (time and the ids of the events at that millisecond), so polling with it returns only
 * newer lines: a live tail.
 */
export class CloudWatchFunctionLogs implements FunctionLogs {
  constructor(private readonly logs: () => CloudWatchLogsClient = logsClient) {}

  async read(query: Parameters<FunctionLogs['read']>[0]): Promise<FunctionLogPage> {
    const after = query.cursor === undefined ? undefined : openCursor(query.cursor);
    const start = Math.max(query.since ?? 0, after?.t ?? 0);
    const seen = new Set(after?.ids ?? []);
    const found: Array<FunctionLogItem & { timestamp: number; id: string }> = [];
    for (const fn of query.functions) {
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        let events: FilteredLogEvent[];
        try {
          const res = await this.logs().send(
            new FilterLogEventsCommand({
              logGroupName: fn.logGroup,
              startTime: start,
              ...(query.until === undefined ? {} : { endTime: query.until }),
              ...(nextToken ? { nextToken } : {}),
            }),
          );
          events = res.events ?? [];
          nextToken = res.nextToken;
        } catch (error) {
          // No group yet: the function has not run.
          if ((error as Error).name === 'ResourceNotFoundException') break;
          throw error;
        }
        for (const event of events) {
          const timestamp = event.timestamp ?? 0;
          const id = event.eventId ?? `${event.logStreamName}:${timestamp}`;
          if (after && (timestamp < after.t || (timestamp === after.t && seen.has(id)))) continue;
          const line = parseLambdaLogLine(event.message ?? '');
          if (query.level && line.level !== query.level) continue;
          found.push({ timestamp, id, time: new Date(timestamp).toISOString(), function: fn.name, ...line });
        }
        if (!nextToken || events.length === 0) break;
      }
    }
    found.sort((a, b) => a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = found.slice(0, query.limit);
    const last = page.at(-1);
    let next: Cursor | undefined = after;
    if (last) {
      const atLast = page.filter((e) => e.timestamp === last.timestamp).map((e) => e.id);
      next = { t: last.timestamp, ids: last.timestamp === after?.t ? [...after.ids, ...atLast] : atLast };
    }
    return {
      items: page.map(({ timestamp: _t, id: _id, ...item }) => item),
      ...(next ? { next: Buffer.from(JSON.stringify(next)).toString('base64url') } : {}),
    };
  }
}

function openCursor(cursor: string): Cursor {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ValidationError('invalid_cursor', 'The cursor is not one this list handed out; start again without it');
  }
}
