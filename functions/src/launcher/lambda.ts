/**
 * The Lambda entry of a user function (not yet packaged: the per-deployment Lambda and its zip come
 * with the AWS side of functions). Reads `.vc-config.json` beside it in `LAMBDA_TASK_ROOT`, loads the
 * function once per execution environment and answers Function URL events:
 * - `supportsResponseStreaming`: `awslambda.streamifyResponse` with the metadata written through
 *   `awslambda.HttpResponseStream.from` (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html),
 *   for a Function URL in RESPONSE_STREAM invoke mode (20 MB response);
 * - otherwise a buffered result `{ statusCode, headers, cookies, body (base64), isBase64Encoded }` (6 MB).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type LoadedFunction, loadFunction } from './launcher.ts';
import type { FunctionUrlEvent, ResponseMetadata } from './protocol.ts';

interface AwsLambdaGlobal {
  streamifyResponse(fn: (event: FunctionUrlEvent, stream: Writable) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: Writable, meta: ResponseMetadata): Writable };
}

const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
const vc = JSON.parse(fs.readFileSync(path.join(root, '.vc-config.json'), 'utf8')) as {
  handler: string;
  shouldAddHelpers?: boolean;
  supportsResponseStreaming?: boolean;
  maxDuration?: number;
};
let loading: Promise<LoadedFunction> | undefined;
const loaded = () =>
  (loading ??= loadFunction(root, { handler: vc.handler, shouldAddHelpers: vc.shouldAddHelpers ?? false, maxDurationSeconds: vc.maxDuration ?? 15 }));

/** A buffered Function URL answer to one event. */
export async function bufferedHandler(event: FunctionUrlEvent) {
  const response = await (await loaded()).invoke(event);
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Uint8Array));
  return { statusCode: response.statusCode, headers: response.headers, cookies: response.cookies, body: Buffer.concat(chunks).toString('base64'), isBase64Encoded: true };
}

const awslambda = (globalThis as unknown as { awslambda?: AwsLambdaGlobal }).awslambda;

export const handler = vc.supportsResponseStreaming && awslambda
  ? awslambda.streamifyResponse(async (event, stream) => {
      const response = await (await loaded()).invoke(event);
      const out = awslambda.HttpResponseStream.from(stream, { statusCode: response.statusCode, headers: response.headers, cookies: response.cookies });
      await pipeline(response.body, out);
    })
  : bufferedHandler;
