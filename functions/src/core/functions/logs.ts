/**
 * Function logs as Lambda writes them to CloudWatch Logs (log group `/aws/lambda/<function name>`,
 * {@link functionLogGroup}), in AWS and — written by the local runner — in the emulator. Lambda's
 * Node.js runtime writes each console call as `<ISO time>\t<request id>\t<LEVEL>\t<message>` and
 * its own `START`/`END`/`REPORT RequestId: …` lines around each invocation
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html). Levels are Vercel's three
 * (runtime logs: `console.error` → error, `console.warn` → warning, the rest → info).
 */
export const FUNCTION_LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type FunctionLogLevel = (typeof FUNCTION_LOG_LEVELS)[number];

/** One function log line as the API returns it. */
export interface FunctionLogItem {
  /** ISO 8601. */
  time: string;
  /** The function's name in the deployment, e.g. `api/hello`. */
  function: string;
  level: FunctionLogLevel;
  message: string;
  requestId?: string;
}

/** A page of log lines and the cursor of the next one (absent: nothing after these yet matched). */
export interface FunctionLogPage {
  items: FunctionLogItem[];
  next?: string;
}

/** Reads function logs (CloudWatch Logs in AWS and in the emulator). */
export interface FunctionLogs {
  /**
   * Lines of the given functions, oldest first, merged across them.
   * @param query.functions each function's name and its log group
   * @param query.since/until milliseconds since the epoch, inclusive
   * @param query.cursor a `next` of an earlier page of the same query
   * @throws ValidationError `invalid_cursor` for a cursor this did not hand out
   */
  read(query: {
    functions: ReadonlyArray<{ name: string; logGroup: string }>;
    level?: FunctionLogLevel | undefined;
    since?: number | undefined;
    until?: number | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<FunctionLogPage>;
}

const LAMBDA_LEVELS: Record<string, FunctionLogLevel> = { TRACE: 'info', DEBUG: 'info', INFO: 'info', WARN: 'warn', ERROR: 'error', FATAL: 'error' };
const FORMATTED = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t([^\t]*)\t(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t([\s\S]*)$/;
const PLATFORM = /^(?:START|END|REPORT) RequestId: ([\w-]+)/;

/** A CloudWatch message of a Lambda function as level, request id and message (unknown shapes: info, as is). */
export function parseLambdaLogLine(message: string): { level: FunctionLogLevel; requestId?: string; message: string } {
  const text = message.replace(/\n$/, '');
  const formatted = FORMATTED.exec(text);
  if (formatted) {
    const requestId = formatted[1] && formatted[1] !== 'undefined' ? formatted[1] : undefined;
    return { level: LAMBDA_LEVELS[formatted[2]!]!, message: formatted[3]!, ...(requestId ? { requestId } : {}) };
  }
  const platform = PLATFORM.exec(text);
  return { level: 'info', message: text, ...(platform ? { requestId: platform[1]! } : {}) };
}

/** A console line in Lambda's text format (what the local runner writes, so one parser reads both). */
export function formatLambdaLogLine(time: string, requestId: string | undefined, level: FunctionLogLevel, message: string): string {
  return `${time}\t${requestId ?? 'undefined'}\t${level.toUpperCase()}\t${message}`;
}
