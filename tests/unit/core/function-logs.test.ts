import { describe, expect, test } from 'vitest';
import { formatLambdaLogLine, parseLambdaLogLine } from '../../../functions/src/core/functions/index.ts';
import { parseLine } from '../../../local/functions/runner.ts';

describe('function log lines', () => {
  test("Lambda's text format: console lines with time, request id and level; START/END/REPORT with their request id", () => {
    expect(parseLambdaLogLine('2026-01-02T03:04:05.678Z\tc0ffee-1\tERROR\tboom\n    at f (index.mjs:1:1)\n')).toEqual({ level: 'error', requestId: 'c0ffee-1', message: 'boom\n    at f (index.mjs:1:1)' });
    expect(parseLambdaLogLine('2026-01-02T03:04:05.678Z\tc0ffee-1\tWARN\tcareful')).toMatchObject({ level: 'warn', message: 'careful' });
    expect(parseLambdaLogLine('2026-01-02T03:04:05.678Z\tundefined\tINFO\tat init')).toEqual({ level: 'info', message: 'at init' });
    expect(parseLambdaLogLine('REPORT RequestId: 3f1c-aa\tDuration: 2.00 ms')).toEqual({ level: 'info', requestId: '3f1c-aa', message: 'REPORT RequestId: 3f1c-aa\tDuration: 2.00 ms' });
    expect(parseLambdaLogLine('plain output')).toEqual({ level: 'info', message: 'plain output' });
  });

  test('what the local writer formats, the reader parses back', () => {
    const line = formatLambdaLogLine('2026-01-02T03:04:05.678Z', 'r-1', 'warn', 'multi\nline');
    expect(parseLambdaLogLine(line)).toEqual({ level: 'warn', requestId: 'r-1', message: 'multi\nline' });
  });

  test("a worker's console call is one event with its level; raw output is stdout info, stderr error", () => {
    expect(parseLine('k', 'stderr', `\0error\0${JSON.stringify('Error: x\n    at y')}`, 'r')).toMatchObject({ level: 'error', line: 'Error: x\n    at y', requestId: 'r' });
    expect(parseLine('k', 'stderr', `\0warn\0${JSON.stringify('w')}`, undefined)).toMatchObject({ level: 'warn', line: 'w' });
    expect(parseLine('k', 'stderr', 'raw', undefined)).toMatchObject({ level: 'error', line: 'raw' });
    expect(parseLine('k', 'stdout', 'raw', undefined)).toMatchObject({ level: 'info', line: 'raw' });
    // A line that only looks marked (no JSON string after the marker) is taken as it is.
    expect(parseLine('k', 'stdout', '\0error\0not json', undefined)).toMatchObject({ level: 'info', line: '\0error\0not json' });
  });
});
