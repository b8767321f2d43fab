import { readFileSync } from 'node:fs';
import vm from 'node:vm';

/**
 * Runs the real CloudFront Function source (cloudfront-js-2.0) in `node:vm`, for the local edge and
 * the tests. The only change made to the source is removing `import cf from 'cloudfront';`; `cf` is
 * injected instead, with a KeyValueStore backed by `kvsGet`. Not a security boundary: it runs our
 * own source, and mirrors the runtime (no require/process/fetch/timers, no eval) to catch mistakes.
 */

/** Name/value structure of CloudFront Functions headers, query strings and cookies. */
export interface CfValue {
  value: string;
  multiValue?: Array<{ value: string }>;
}
export type CfValues = Record<string, CfValue>;

export interface CfRequest {
  method: string;
  uri: string;
  querystring: CfValues;
  headers: CfValues;
  cookies: CfValues;
}

export interface CfResponse {
  statusCode: number;
  statusDescription?: string;
  headers: CfValues;
  cookies?: CfValues;
  body?: string | { data: string; encoding: 'text' | 'base64' };
}

export interface CfEvent {
  version: '1.0';
  context: { eventType: 'viewer-request' | 'viewer-response'; distributionId?: string; requestId?: string };
  viewer: { ip: string };
  request: CfRequest;
  response?: CfResponse;
}

/** What a function returned: the (possibly rewritten) request, or a response it generated. */
export type CfResult = { kind: 'request'; request: CfRequest } | { kind: 'response'; response: CfResponse };

export type KvsGet = (key: string) => Promise<string | undefined>;

export interface CloudFrontFunction {
  /** Run the handler once. Returns a plain (host-realm) copy of what the function returned. */
  handle(event: CfEvent): Promise<CfRequest | CfResponse>;
}

/** Thrown when the source does not have the shape of a cloudfront-js-2.0 function. */
export class CloudFrontFunctionSourceError extends Error {
  override name = 'CloudFrontFunctionSourceError';
}

/** Thrown by `kvs().get()` for a missing key, as the real runtime rejects. */
export class KeyValueStoreKeyNotFoundError extends Error {
  override name = 'KeyValueStoreKeyNotFoundError';
}

const IMPORT_CF = /^[ \t]*import\s+cf\s+from\s+(['"])cloudfront\1\s*;?[ \t]*$/m;

function kvsHandle(kvsGet: KvsGet, parseJson: (text: string) => unknown) {
  const read = async (key: string): Promise<string> => {
    const value = await kvsGet(key);
    if (value === undefined) throw new KeyValueStoreKeyNotFoundError(`Key ${key} not found`);
    return value;
  };
  return {
    async get(key: string, options?: { format?: 'string' | 'json' | 'bytes' }): Promise<unknown> {
      const value = await read(key);
      const format = options?.format ?? 'string';
      if (format === 'json') return parseJson(value);
      if (format === 'bytes') return new TextEncoder().encode(value);
      return value;
    },
    async exists(key: string): Promise<boolean> {
      return (await kvsGet(key)) !== undefined;
    },
    async meta(): Promise<{ creationDateTime: string; lastUpdatedDateTime: string; keyCount: number }> {
      const now = new Date().toISOString();
      return { creationDateTime: now, lastUpdatedDateTime: now, keyCount: 0 };
    },
  };
}

/**
 * Load and compile a CloudFront Function once; each `handle` call runs its `handler(event)`.
 * @throws CloudFrontFunctionSourceError when the source has no `handler` function
 * @throws SyntaxError when the source uses syntax the sandbox cannot compile (e.g. another import)
 */
export function loadCloudFrontFunction(sourcePath: string, kvsGet: KvsGet): CloudFrontFunction {
  const source = readFileSync(sourcePath, 'utf8').replace(IMPORT_CF, '');
  const globals: Record<string, unknown> = {
    console: { log: (message: unknown) => console.log(String(message)) },
    atob,
    btoa,
    TextEncoder,
    TextDecoder,
  };
  const context = vm.createContext(globals, {
    name: sourcePath,
    codeGeneration: { strings: false, wasm: false },
  });
  // Values cross into the function through its own realm's JSON, so it sees its own Array/Object.
  const parseInContext = vm.runInContext('JSON.parse', context) as (text: string) => unknown;
  const kvs = kvsHandle(kvsGet, parseInContext);
  globals.cf = { kvs: (_id?: string) => kvs };
  // The runtime is always strict; the trailing expression hands the handler back to us.
  const script = new vm.Script(`'use strict';\n${source}\n;handler;`, { filename: sourcePath, lineOffset: -1 });
  const handler: unknown = script.runInContext(context);
  if (typeof handler !== 'function') {
    throw new CloudFrontFunctionSourceError(`${sourcePath} does not define a handler function`);
  }
  return {
    async handle(event) {
      const result: unknown = await (handler as (e: unknown) => Promise<unknown>)(parseInContext(JSON.stringify(event)));
      return JSON.parse(JSON.stringify(result)) as CfRequest | CfResponse;
    },
  };
}

function parseQuerystring(querystring: string): CfValues {
  const out: CfValues = {};
  for (const pair of querystring.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    // CloudFront hands query values over as the viewer sent them (still percent-encoded).
    addValue(out, name, eq < 0 ? '' : pair.slice(eq + 1));
  }
  return out;
}

function addValue(out: CfValues, name: string, value: string): void {
  const existing = out[name];
  if (!existing) {
    out[name] = { value };
    return;
  }
  existing.multiValue ??= [{ value: existing.value }];
  existing.multiValue.push({ value });
}

function toValues(headers: Record<string, string | string[]>): CfValues {
  const out: CfValues = {};
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) addValue(out, name.toLowerCase(), v);
  }
  return out;
}

/** Build the viewer-request event CloudFront passes for one request (cookies left in headers). */
export function viewerRequestEvent(input: {
  method?: string;
  host?: string;
  uri: string;
  querystring?: string;
  headers?: Record<string, string | string[]>;
  ip?: string;
}): CfEvent {
  const headers = toValues(input.headers ?? {});
  if (input.host !== undefined) headers.host = { value: input.host };
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: input.ip ?? '127.0.0.1' },
    request: {
      method: input.method ?? 'GET',
      uri: input.uri,
      querystring: parseQuerystring(input.querystring ?? ''),
      headers,
      cookies: {},
    },
  };
}

/** Build the viewer-response event for `request` (as viewer-request left it) and an origin response. */
export function viewerResponseEvent(
  request: CfRequest,
  response: { statusCode: number; headers?: Record<string, string | string[]> },
): CfEvent {
  return {
    version: '1.0',
    context: { eventType: 'viewer-response' },
    viewer: { ip: '127.0.0.1' },
    request,
    response: { statusCode: response.statusCode, headers: toValues(response.headers ?? {}), cookies: {} },
  };
}

/** Tell a rewritten request from a generated response (only a response has a `statusCode`). */
export function toResult(returned: CfRequest | CfResponse): CfResult {
  return 'statusCode' in returned
    ? { kind: 'response', response: returned }
    : { kind: 'request', request: returned };
}

/** Serialize a CloudFront Functions query string object back to `a=1&b=2` (values stay as they are). */
export function querystringToString(querystring: CfValues): string {
  const parts: string[] = [];
  for (const [name, entry] of Object.entries(querystring)) {
    for (const { value } of entry.multiValue ?? [entry]) parts.push(value === '' ? name : `${name}=${value}`);
  }
  return parts.join('&');
}

/** A generated response body as a string (the runtime accepts both shapes). */
export function responseBodyText(response: CfResponse): string {
  if (response.body === undefined) return '';
  if (typeof response.body === 'string') return response.body;
  return response.body.encoding === 'base64' ? Buffer.from(response.body.data, 'base64').toString('utf8') : response.body.data;
}
