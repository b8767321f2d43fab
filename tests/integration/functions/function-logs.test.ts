import { randomBytes } from 'node:crypto';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, test } from 'vitest';
import { CloudWatchFunctionLogs } from '../../../functions/src/adapters/function-logs/cloudwatch.ts';
import { formatLambdaLogLine, functionLogGroup } from '../../../functions/src/core/functions/index.ts';

/** The FunctionLogs adapter against CloudWatch Logs in the emulator, with lines as Lambda writes them. */
const cw = new CloudWatchLogsClient({});
const logs = new CloudWatchFunctionLogs();

async function group(lines: Array<[number, string]>): Promise<string> {
  const name = functionLogGroup(`runway-fn-test${randomBytes(6).toString('hex')}`);
  await cw.send(new CreateLogGroupCommand({ logGroupName: name }));
  await cw.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: 's' }));
  await cw.send(new PutLogEventsCommand({ logGroupName: name, logStreamName: 's', logEvents: lines.map(([timestamp, message]) => ({ timestamp, message })) }));
  return name;
}

describe('CloudWatchFunctionLogs', () => {
  const t0 = Date.now() - 60_000;
  const line = (at: number, level: 'info' | 'warn' | 'error', message: string, requestId = 'req-1') => [t0 + at, formatLambdaLogLine(new Date(t0 + at).toISOString(), requestId, level, message)] as [number, string];

  test('merges functions by time, parses Lambda lines, filters by level and time, pages by cursor without losing or repeating a line', async () => {
    const a = await group([[t0, 'START RequestId: req-1 Version: $LATEST'], line(10, 'info', 'a1'), line(20, 'error', 'a2\n    at stack'), line(20, 'warn', 'a3')]);
    const b = await group([line(5, 'info', 'b1', 'req-2'), line(20, 'info', 'b2', 'req-2'), line(30, 'warn', 'b3', 'req-2')]);
    const functions = [{ name: 'api/a', logGroup: a }, { name: 'api/b', logGroup: b }];

    const all = await logs.read({ functions, limit: 100 });
    expect(all.items.map((i) => i.message)).toEqual(['START RequestId: req-1 Version: $LATEST', 'b1', 'a1', ...all.items.slice(3, 6).map((i) => i.message), 'b3']);
    expect(new Set(all.items.slice(3, 6).map((i) => i.message))).toEqual(new Set(['a2\n    at stack', 'a3', 'b2']));
    expect(all.items[0]).toEqual({ time: new Date(t0).toISOString(), function: 'api/a', level: 'info', message: 'START RequestId: req-1 Version: $LATEST', requestId: 'req-1' });
    expect(all.items.find((i) => i.message === 'b3')).toMatchObject({ function: 'api/b', level: 'warn', requestId: 'req-2' });

    // Pages of 2, each from the previous `next`: every line once, in the same order.
    const paged: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await logs.read({ functions, limit: 2, cursor });
      paged.push(...page.items.map((item) => item.message));
      if (page.items.length === 0) break;
      cursor = page.next;
    }
    expect(paged).toEqual(all.items.map((i) => i.message));

    expect((await logs.read({ functions, level: 'error', limit: 100 })).items.map((i) => i.message)).toEqual(['a2\n    at stack']);
    expect((await logs.read({ functions, since: t0 + 20, until: t0 + 25, limit: 100 })).items.map((i) => i.message).sort()).toEqual(['a2\n    at stack', 'a3', 'b2']);
  });

  test('a function that never ran has no lines; a made-up cursor is invalid_cursor', async () => {
    const functions = [{ name: 'api/none', logGroup: functionLogGroup('runway-fn-neverran000000') }];
    expect(await logs.read({ functions, limit: 10 })).toEqual({ items: [] });
    await expect(logs.read({ functions, limit: 10, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({ code: 'invalid_cursor' });
  });
});
