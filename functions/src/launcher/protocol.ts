/**
 * The shapes a function is called with and answers in, the same in AWS and locally:
 * - the request is a Lambda Function URL event, payload format 2.0
 *   (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads);
 * - the response is its metadata (`statusCode`, `headers`, `cookies`) and a body stream. On the wire
 *   (a streaming Lambda, and the local worker's socket) it is what `awslambda.HttpResponseStream.from`
 *   writes: the metadata as JSON, 8 NUL bytes, then the body
 *   (content type `application/vnd.awslambda.http-integration-response`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { LambdaFunctionURLEvent } from 'aws-lambda';

export type FunctionUrlEvent = LambdaFunctionURLEvent;

export interface ResponseMetadata {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
}

export interface FunctionResponse extends ResponseMetadata {
  body: Readable;
}

export const INTEGRATION_RESPONSE_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);

/** The prelude of a streamed response: its metadata as JSON and the 8-NUL delimiter. */
export function encodePrelude(meta: ResponseMetadata): Buffer {
  return Buffer.concat([Buffer.from(JSON.stringify(meta)), DELIMITER]);
}

/**
 * Splits a streamed response into its metadata and its body.
 * @throws when the stream ends before the delimiter, or the prelude is not the metadata JSON
 */
export async function decodePrelude(stream: Readable): Promise<FunctionResponse> {
  let head = Buffer.alloc(0);
  for (;;) {
    const chunk: Buffer | null = stream.read();
    if (chunk === null) {
      if (stream.readableEnded || stream.destroyed) throw new Error('the response ended before its metadata');
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          stream.off('readable', done).off('end', done).off('error', reject);
          resolve();
        };
        stream.once('readable', done).once('end', done).once('error', reject);
      });
      if (stream.readableEnded && stream.readableLength === 0) throw new Error('the response ended before its metadata');
      continue;
    }
    head = Buffer.concat([head, chunk]);
    const at = head.indexOf(DELIMITER);
    if (at === -1) continue;
    const meta = JSON.parse(head.subarray(0, at).toString()) as ResponseMetadata;
    const rest = head.subarray(at + DELIMITER.length);
    if (rest.length) stream.unshift(rest);
    if (typeof meta.statusCode !== 'number') throw new Error('the response metadata has no statusCode');
    return { statusCode: meta.statusCode, headers: meta.headers ?? {}, cookies: meta.cookies ?? [], body: stream };
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/**
 * The Function URL event for an HTTP request, as Lambda builds it: lower-case headers with repeated
 * values comma-joined, `cookie` moved to `cookies`, the body base64-encoded.
 * @param url the request target (path and query), e.g. `/api/hello?a=1`
 */
export function eventFromRequest(input: {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp?: string;
  requestId: string;
  now?: Date;
}): FunctionUrlEvent {
  const target = new URL(input.url, 'http://localhost');
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(input.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (name === 'cookie') cookies = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter(Boolean);
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of target.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const host = headers.host ?? 'localhost';
  const now = input.now ?? new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: target.pathname,
    rawQueryString: target.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(target.search ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: host.split('.')[0] ?? host,
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: { method: input.method, path: target.pathname, protocol: 'HTTP/1.1', sourceIp: input.sourceIp ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: input.requestId,
      routeKey: '$default',
      stage: '$default',
      time: lambdaTime(now),
      timeEpoch: now.getTime(),
    },
    ...(input.body.length ? { body: input.body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  } as FunctionUrlEvent;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `requestContext.time` as Function URLs write it: `12/Mar/2020:19:03:58 +0000`. */
function lambdaTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/**
 * The request an event describes: URL, method, headers with `cookie` restored, body bytes. The URL's
 * origin is the visitor's, as Vercel's Node.js launcher builds it (vercel/vercel
 * packages/node/src/bundling-handler.js: `x-forwarded-proto || 'https'`, `x-forwarded-host || host`):
 * behind CloudFront the `host` header names the Function URL, and locally the edge is plain http —
 * a framework that compares `Origin` with the URL (SvelteKit's CSRF check on form actions, Next.js'
 * on server actions) needs the origin the browser saw.
 */
export function requestOfEvent(event: FunctionUrlEvent): { url: URL; method: string; headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = { ...event.headers } as Record<string, string>;
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  const first = (value: string | undefined) => value?.split(',')[0]?.trim() || undefined;
  const forwardedProto = first(headers['x-forwarded-proto']);
  const proto = forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : 'https';
  const host = first(headers['x-forwarded-host']) ?? headers.host ?? event.requestContext.domainName;
  const url = new URL(`${proto}://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`);
  const body = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return { url, method: event.requestContext.http.method.toUpperCase(), headers, body };
}
