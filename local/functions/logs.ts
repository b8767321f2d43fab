import { randomBytes } from 'node:crypto';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Redactor } from '../../functions/src/builder/log.ts';
import { formatLambdaLogLine, functionLogGroup } from '../../functions/src/core/functions/index.ts';
import type { FunctionLogLine } from './runner.ts';

/** Where one line goes and what to hide in it. */
export interface LineTarget {
  /** The function's `runway-fn-…` name: its log group is `/aws/lambda/<functionName>`. */
  functionName: string;
  /** Values redacted from its lines (the deployment's sensitive env vars), as build logs redact them. */
  secrets: readonly string[];
}

/** PutLogEvents takes up to 10,000 events and 1,048,576 bytes, 26 bytes counted per event (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html). */
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;
/** One event holds at most 256 KB (same page); a longer line is cut, as Lambda cuts it. */
const MAX_EVENT_BYTES = 256 * 1024 - EVENT_OVERHEAD_BYTES;

/**
 * Writes local function workers' log lines to CloudWatch Logs in the emulator, as Lambda writes
 * them in AWS: log group `/aws/lambda/<function name>` (created on first use), one stream per
 * function per `npm start` named like Lambda's (`YYYY/MM/DD/[$LATEST]<hex>`), console lines in
 * Lambda's text format with the request id and level, START/END/REPORT as they are. Lines are
 * batched and sent in order every `flushMs`; sensitive env values are redacted first.
 */
export class FunctionLogWriter {
  readonly #client: CloudWatchLogsClient;
  readonly #pending = new Map<string, Array<{ timestamp: number; message: string }>>();
  readonly #streams = new Map<string, Promise<string>>();
  readonly #redactors = new Map<string, Redactor>();
  readonly #instance = randomBytes(16).toString('hex');
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly resolve: (key: string) => Promise<LineTarget | undefined>,
    options: { client?: CloudWatchLogsClient; flushMs?: number } = {},
  ) {
    this.#client = options.client ?? new CloudWatchLogsClient({});
    this.flushMs = options.flushMs ?? 200;
  }

  private readonly flushMs: number;

  /** Takes one line of a worker (the runner's `onLog`). */
  write(line: FunctionLogLine): void {
    void this.resolve(line.function).then(
      (target) => {
        if (!target) return;
        let redactor = this.#redactors.get(target.functionName);
        if (!redactor) {
          redactor = new Redactor(target.secrets);
          this.#redactors.set(target.functionName, redactor);
        }
        const platform = /^(START|END|REPORT) RequestId: /.test(line.line) && line.stream === 'stdout' && line.level === 'info';
        let message = redactor.redact(platform ? line.line : formatLambdaLogLine(line.time, line.requestId, line.level, line.line));
        if (Buffer.byteLength(message) > MAX_EVENT_BYTES) message = Buffer.from(message).subarray(0, MAX_EVENT_BYTES).toString('utf8');
        const queue = this.#pending.get(target.functionName) ?? [];
        queue.push({ timestamp: Date.parse(line.time), message });
        this.#pending.set(target.functionName, queue);
        this.#timer ??= setTimeout(() => {
          this.#timer = undefined;
          void this.flush();
        }, this.flushMs);
      },
      (error: unknown) => console.error('[functions] cannot log a line', (error as Error).message),
    );
  }

  /** Sends every queued line (in order, after the sends already under way). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#send()).catch((error: unknown) => console.error('[functions] cannot write function logs', (error as Error).message));
    return this.#flushing;
  }

  async #send(): Promise<void> {
    const batches = [...this.#pending];
    this.#pending.clear();
    for (const [functionName, events] of batches) {
      const group = functionLogGroup(functionName);
      const stream = await this.#stream(group);
      for (let start = 0; start < events.length; ) {
        let bytes = 0;
        let end = start;
        while (end < events.length && end - start < MAX_BATCH_EVENTS) {
          const size = Buffer.byteLength(events[end]!.message) + EVENT_OVERHEAD_BYTES;
          if (bytes + size > MAX_BATCH_BYTES) break;
          bytes += size;
          end++;
        }
        await this.#client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events.slice(start, end) }));
        start = end;
      }
    }
  }

  #stream(group: string): Promise<string> {
    let pending = this.#streams.get(group);
    if (!pending) {
      const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
      const name = `${day}/[$LATEST]${this.#instance}`;
      const exists = (error: Error) => {
        if (error.name !== 'ResourceAlreadyExistsException') throw error;
      };
      pending = (async () => {
        await this.#client.send(new CreateLogGroupCommand({ logGroupName: group })).catch(exists);
        await this.#client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: name })).catch(exists);
        return name;
      })();
      this.#streams.set(group, pending);
      pending.catch(() => this.#streams.delete(group));
    }
    return pending;
  }

  /** Sends what is queued and stops the timer. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Lines whose target is still being resolved land in the queue a tick later.
    await new Promise((resolve) => setImmediate(resolve));
    await this.flush();
  }
}
