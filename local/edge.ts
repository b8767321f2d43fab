import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, NoSuchKey, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import type { CloudFrontHeaders, CloudFrontRequest, CloudFrontResponse, CloudFrontResponseEvent, CloudFrontResultResponse } from 'aws-lambda';
import fresh from 'fresh';
import { lookup as mimeLookup } from 'mrmime';
import parseRange from 'range-parser';
import { s3Client } from '../functions/src/adapters/aws/clients.ts';
import { EmulatorEdgeStore } from '../functions/src/adapters/edge-store/emulator.ts';
import type { EdgeStore } from '../functions/src/core/ports.ts';
import type { OriginRequestOptions } from '../functions/src/edge/origin-request.ts';
import { createOriginResponseHandler } from '../functions/src/edge/origin-response.ts';
import {
  loadCloudFrontFunction,
  toResult,
  viewerRequestEvent,
  viewerResponseEvent,
  type CfRequest,
  type CfResponse,
  type CfValues,
  type KvsGet,
} from './cloudfront-sandbox.ts';
import { RouterPool, RouteTimeoutError } from './edge-router-pool.ts';
import { type FunctionHost, localFunctionHost } from './functions/host.ts';
import { config } from '../functions/src/lib/config.ts';
import { isDependencyUnavailable } from '../functions/src/lib/http-errors.ts';

/**
 * Local stand-in for CloudFront on :4001 — a thin adapter around the production pieces, in
 * CloudFront's order:
 * 1. viewer-request: the real `viewer-request.js`, in the node:vm sandbox, with a KeyValueStore
 *    shim over the emulator edge store (`edge-kvs/<host>` objects): host → `/d/<deploymentId><path>`.
 * 2. origin-request: the real Lambda@Edge handler (functions/src/edge/origin-request.ts) runs the
 *    router over the deployment's index (`routes/<id>.json`, read once and kept in memory by each
 *    routing thread) on every request — this server keeps no response cache, so every request is a
 *    "miss" — and either answers (redirects, 404s) or names the file's blob (`blobs/<teamId>/<sha>`).
 *    It runs on a small pool of worker threads (edge-router-pool.ts): routing that outlasts
 *    `routeTimeoutMs` (a catastrophic regex in a route `src`) gets a 504 and its thread is
 *    terminated and replaced, while this event loop keeps serving everyone else.
 * 3. the S3 origin: blobs never change, so, like CloudFront's cache, one read once is kept in
 *    memory (bounded); Range, HEAD and conditional requests are answered the way S3 answers them.
 * 4. origin-response: the real handler gives the blob the router's status and headers.
 * 5. viewer-response: the real `viewer-response.js` (drops the CDN-only `s-maxage`); skipped for
 *    status >= 400, as CloudFront does.
 * Functions: when the router answers with a deployment's function (the routing thread checks this
 * first for deployments that have functions), this thread runs it on the local function host
 * (local/functions/host.ts: sandboxed worker processes, what a Function URL origin is in AWS) and
 * streams its answer through viewer-response; every method may reach a function, files only GET
 * and HEAD. A function request is bounded by its `maxDuration`, not `requestTimeoutMs`.
 * Each request has a time bound (`requestTimeoutMs`, 504 after it, as CloudFront's origin
 * timeout), its routing step another (`routeTimeoutMs`, enforced off this thread), and the router a
 * per-request step budget, so one slow request holds up no other.
 * Call `server.close()` to stop the routing threads too.
 */

const EDGE_SOURCES = path.resolve(import.meta.dirname, '../functions/src/edge');

export interface EdgeServerOptions {
  /** The host → deployment values. @default the emulator edge store (S3 `edge-kvs/<host>`) */
  store?: Pick<EdgeStore, 'get'>;
  /** @default the handlers' S3 client (AWS_ENDPOINT_URL) */
  s3?: S3Client;
  /** @default config().RUNWAY_ARTIFACT_BUCKET */
  bucket?: string;
  /**
   * How long a KeyValueStore read is reused, in ms. Bounds how stale a promote or rollback can be
   * (CloudFront's own KVS propagation takes seconds). @default 250
   */
  kvsCacheMs?: number;
  /** Objects up to this size are kept in memory after the first read. @default 2 MiB */
  maxCachedObjectBytes?: number;
  /** Memory for cached objects, least recently used evicted first. @default 64 MiB */
  maxCacheBytes?: number;
  /** Deployment indexes kept in memory. @default 200 */
  maxCachedIndexes?: number;
  /** A request not answered within this many ms gets a 504. @default 10_000 */
  requestTimeoutMs?: number;
  /**
   * A request whose routing step (origin-request) takes longer than this many ms gets a 504 and its
   * routing thread is replaced. @default requestTimeoutMs
   */
  routeTimeoutMs?: number;
  /** Routing threads (node:worker_threads). @default 2 */
  routerThreads?: number;
  /** Passed to the router with every request. */
  routeOptions?: OriginRequestOptions['routeOptions'];
  /**
   * Runs the deployments' functions. @default {@link localFunctionHost} (sandboxed workers, logs to
   * the emulator's CloudWatch Logs), started on the first request a function serves
   */
  functions?: FunctionHost;
}

/** Create the local edge server (not yet listening). */
export function createEdgeServer(options: EdgeServerOptions = {}): http.Server {
  const store = options.store ?? new EmulatorEdgeStore();
  const s3 = options.s3 ?? s3Client();
  const bucket = options.bucket ?? config().RUNWAY_ARTIFACT_BUCKET;
  const cached = cachedReads((key) => store.get(key), options.kvsCacheMs ?? 250);
  // The function cannot tell "no such key" from "store unreachable" (both reject, as in
  // CloudFront): note the second for the request in flight, which then gets a 503, not a 404.
  const storeDown = new AsyncLocalStorage<{ error?: unknown }>();
  const kvsGet: KvsGet = (key) =>
    cached(key).catch((error: unknown) => {
      const request = storeDown.getStore();
      if (request) request.error = error;
      throw error;
    });
  const viewerRequest = loadCloudFrontFunction(path.join(EDGE_SOURCES, 'viewer-request.js'), kvsGet);
  const viewerResponse = loadCloudFrontFunction(path.join(EDGE_SOURCES, 'viewer-response.js'), kvsGet);
  const origin = new S3Origin(s3, bucket, options.maxCachedObjectBytes ?? 2 * 1024 * 1024, options.maxCacheBytes ?? 64 * 1024 * 1024);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const router = new RouterPool({
    size: options.routerThreads ?? 2,
    timeoutMs: options.routeTimeoutMs ?? timeoutMs,
    maxCachedIndexes: options.maxCachedIndexes ?? 200,
    read: async (key) => {
      const found = await origin.object(key);
      return found ? (found.body ?? (await origin.read(key))).toString('utf8') : undefined;
    },
    ...(options.routeOptions === undefined ? {} : { routeOptions: options.routeOptions }),
  });
  const originResponse = createOriginResponseHandler();
  let ownHost: ReturnType<typeof localFunctionHost> | undefined;
  const functionHost = (): FunctionHost => options.functions ?? (ownHost ??= localFunctionHost({ s3, bucket })).host;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, functionTakesOver: () => void): Promise<void> {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    if (!target.startsWith('/')) return sendText(res, method, 400, 'Bad Request');
    // RFC 9112 §3.2: more than one Host field line (or none, in HTTP/1.1) is a 400. Node keeps
    // only the first in `req.headers`; serving by it would let the two hosts disagree.
    const hosts = req.headersDistinct.host ?? [];
    if (hosts.length > 1 || (hosts.length === 0 && req.httpVersion !== '1.0')) return sendText(res, method, 400, 'Bad Request');
    const q = target.indexOf('?');
    const query = q < 0 ? '' : target.slice(q + 1);
    const event = viewerRequestEvent({
      method,
      uri: q < 0 ? target : target.slice(0, q),
      querystring: query,
      headers: req.headersDistinct as Record<string, string[]>,
      ...(req.socket.remoteAddress ? { ip: req.socket.remoteAddress } : {}),
    });

    let result: ReturnType<typeof toResult>;
    const read: { error?: unknown } = {};
    try {
      result = toResult(await storeDown.run(read, () => viewerRequest.handle(event)));
    } catch (error) {
      console.error('[edge] viewer-request failed', error);
      return sendText(res, method, 503, 'The CloudFront function failed.');
    }
    if (read.error !== undefined) {
      console.error('[edge] the edge store is unreachable', (read.error as Error).name);
      return sendText(res, method, 503, 'Service Unavailable: the edge store cannot be read right now.', { 'retry-after': '5' });
    }
    if (result.kind === 'response') return sendGenerated(res, method, result.response);
    const viewer = result.request;

    let routed: Awaited<ReturnType<RouterPool['route']>>;
    try {
      routed = await router.route(toLambdaEdgeRequest(viewer, query, req.socket.remoteAddress ?? '127.0.0.1'));
    } catch (error) {
      if (!(error instanceof RouteTimeoutError)) throw error;
      console.error('[edge] routing timed out; its thread was replaced', { url: req.url, timeoutMs: error.timeoutMs });
      // The request's own bound may have answered already.
      if (res.headersSent) return;
      return sendText(res, method, 504, 'Gateway Timeout');
    }
    if ('kind' in routed) {
      // A function's own time bound (maxDuration, enforced by the runner) replaces the edge's.
      functionTakesOver();
      const response = await functionHost().invoke(routed.deploymentId, routed.answer, {
        method,
        path: routed.path,
        query,
        headers: req.headers,
        body: req,
        clientIp: req.socket.remoteAddress ?? '127.0.0.1',
      });
      // Route headers first; the function's own win. Nothing is cached here (this edge keeps no
      // response cache); viewer-response drops a CDN-only s-maxage as in AWS.
      const headers: Record<string, string | string[]> = { ...routed.answer.headers, ...response.headers };
      if (response.cookies.length) headers['set-cookie'] = response.cookies;
      const final = await viewerStep(viewer, { status: response.statusCode, headers });
      res.writeHead(final.status, final.headers);
      if (method === 'HEAD') {
        response.body.resume();
        return void res.end();
      }
      // Streamed as it comes: the first bytes reach the visitor before the function ends.
      res.flushHeaders();
      return pipeline(response.body, res).catch(() => void res.destroy());
    }
    // As origin-request's filesGetOrHeadOnly in AWS: generated answers (redirects, 404s) pass for
    // every method, a file answers GET and HEAD only (405), functions take every method (above).
    if ('status' in routed) return sendViewer(res, method, viewer, lambdaEdgeResponse(routed));
    if (method !== 'GET' && method !== 'HEAD') return sendText(res, method, 405, 'Method Not Allowed\n', { allow: 'GET, HEAD' });
    const request = routed;

    // S3 decodes the URI path exactly once to get the key; blob keys are plain.
    const key = decodeURIComponent(request.uri).slice(1);
    const object = await origin.object(key);
    const s3Response = (status: number, headers: Record<string, string>): CloudFrontResponse => ({
      status: String(status),
      statusDescription: '',
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [{ key: k, value: v }]])),
    });
    if (!object) {
      const answer = await originResponse(originResponseEvent(request, s3Response(404, {})));
      return sendViewer(res, method, viewer, lambdaEdgeResponse(answer as CloudFrontResultResponse));
    }

    const originHeaders: Record<string, string> = {
      'content-type': object.contentType,
      'accept-ranges': 'bytes',
      ...(object.etag ? { etag: object.etag } : {}),
      ...(object.lastModified ? { 'last-modified': object.lastModified } : {}),
    };
    let status = 200;
    let range: { start: number; end: number } | undefined;
    if (fresh(req.headers, { etag: object.etag, 'last-modified': object.lastModified })) {
      status = 304;
    } else if (req.headers.range) {
      const ranges = parseRange(object.size, req.headers.range, { combine: true });
      if (ranges === -1) {
        return sendText(res, method, 416, 'Requested Range Not Satisfiable', { 'content-range': `bytes */${object.size}` });
      }
      // S3 ignores malformed, non-byte and multi-range headers and sends the whole object.
      if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
        range = ranges[0]!;
        status = 206;
        originHeaders['content-range'] = `bytes ${range.start}-${range.end}/${object.size}`;
      }
    }
    const answered = lambdaEdgeResponse((await originResponse(originResponseEvent(request, s3Response(status, originHeaders)))) as CloudFrontResultResponse);
    const final = await viewerStep(viewer, answered);
    if (final.status === 304) {
      res.writeHead(304, final.headers);
      return void res.end();
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? object.size - 1;
    final.headers['content-length'] = String(Math.max(0, end - start + 1));
    res.writeHead(final.status, final.headers);
    if (method === 'HEAD' || object.size === 0) return void res.end();
    if (object.body) return void res.end(object.body.subarray(start, end + 1));
    const stream = await origin.stream(key, start, end);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  /** viewer-response runs for status < 400 only, as in CloudFront. */
  async function viewerStep(viewer: CfRequest, response: NodeResponse): Promise<NodeResponse> {
    if (response.status >= 400) return response;
    const out = toResult(await viewerResponse.handle(viewerResponseEvent(viewer, { statusCode: response.status, headers: response.headers })));
    return out.kind === 'response' ? { ...response, status: out.response.statusCode, headers: flatten(out.response.headers) } : response;
  }

  async function sendViewer(res: http.ServerResponse, method: string, viewer: CfRequest, response: NodeResponse): Promise<void> {
    const final = await viewerStep(viewer, response);
    send(res, method, final.status, final.headers, response.body ?? Buffer.alloc(0));
  }

  const server = http.createServer((req, res) => {
    const timer = setTimeout(() => {
      // The request keeps running in the background; its late writes go nowhere.
      console.error('[edge] request timed out', { url: req.url, timeoutMs });
      if (!res.headersSent) sendText(res, req.method ?? 'GET', 504, 'Gateway Timeout');
      else res.destroy();
    }, timeoutMs);
    res.on('close', () => clearTimeout(timer));
    handle(req, res, () => clearTimeout(timer))
      .catch((error: unknown) => {
        // An origin that cannot be reached is a 503 (retry later); one that answers wrongly, a
        // 502 as CloudFront gives. The cause stays in our log.
        console.error('[edge] request failed', error);
        if (res.headersSent || res.writableEnded) return void res.destroy();
        if (isDependencyUnavailable(error)) sendText(res, req.method ?? 'GET', 503, 'Service Unavailable', { 'retry-after': '5' });
        else sendText(res, req.method ?? 'GET', 502, 'Bad Gateway');
      })
      .finally(() => clearTimeout(timer));
  });
  server.on('close', () => {
    void router.close();
    void ownHost?.close();
  });
  routers.set(server, router);
  return server;
}

const routers = new WeakMap<http.Server, RouterPool>();

/**
 * Resolves once the edge server's routing threads have started (they load the router's modules
 * first, a few hundred ms; requests that come earlier wait for them, within their time bound).
 * For tests with a short `requestTimeoutMs`.
 */
export function edgeReady(server: http.Server): Promise<void> {
  return routers.get(server)?.ready() ?? Promise.resolve();
}

interface NodeResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

/** The viewer request as Lambda@Edge sees it at origin-request (headers as lists of {key, value}). */
function toLambdaEdgeRequest(viewer: CfRequest, query: string, clientIp: string): CloudFrontRequest {
  const headers: CloudFrontHeaders = {};
  for (const [name, entry] of Object.entries(viewer.headers)) {
    const values = entry.multiValue ? entry.multiValue.map((v) => v.value) : [entry.value];
    headers[name] = values.map((value) => ({ key: name, value }));
  }
  return { clientIp, method: viewer.method, uri: viewer.uri, querystring: query, headers };
}

function lambdaEdgeResponse(response: CloudFrontResultResponse): NodeResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [name, entries] of Object.entries(response.headers ?? {})) headers[name] = entries.length === 1 ? entries[0]!.value : entries.map((e) => e.value);
  const body = response.body === undefined ? undefined : Buffer.from(response.body, response.bodyEncoding === 'base64' ? 'base64' : 'utf8');
  return { status: Number(response.status), headers, ...(body ? { body } : {}) };
}

/** What the edge knows about one object of the artifact bucket. */
interface OriginObject {
  size: number;
  contentType: string;
  etag?: string;
  lastModified?: string;
  /** The bytes, when the object is small enough to keep. */
  body?: Buffer;
}

/**
 * The artifact bucket as CloudFront's cache sees it: found objects are kept (they are immutable),
 * missing ones are asked again every time (a file can only appear before its deployment is READY,
 * but a 404 answer must never outlive a mistake). Concurrent reads of one key share one S3 call.
 */
class S3Origin {
  private readonly cache = new Map<string, OriginObject>();
  private readonly inflight = new Map<string, Promise<OriginObject | null>>();
  private cachedBytes = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly maxObjectBytes: number,
    private readonly maxTotalBytes: number,
  ) {}

  /** The object, or null when S3 answers 404 (or 403, its answer to a reader without ListBucket). */
  object(key: string): Promise<OriginObject | null> {
    const hit = this.cache.get(key);
    if (hit) {
      // Map order is the LRU order: a hit moves to the back.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return Promise.resolve(hit);
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.load(key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  async read(key: string): Promise<Buffer> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async stream(key: string, start: number, end: number): Promise<Readable> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end}` }));
    return out.Body as Readable;
  }

  private async load(key: string): Promise<OriginObject | null> {
    let out;
    try {
      out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      if (error instanceof S3ServiceException && [403, 404].includes(error.$metadata.httpStatusCode ?? 0)) return null;
      throw error;
    }
    const size = out.ContentLength ?? 0;
    const object: OriginObject = {
      size,
      contentType: contentTypeOf(out.ContentType, key),
      ...(out.ETag ? { etag: out.ETag } : {}),
      ...(out.LastModified ? { lastModified: out.LastModified.toUTCString() } : {}),
    };
    if (size <= this.maxObjectBytes) {
      object.body = Buffer.from(await out.Body!.transformToByteArray());
    } else {
      // Too big to keep: only its metadata is cached; bytes are streamed per request.
      (out.Body as Readable | undefined)?.destroy();
    }
    this.remember(key, object);
    return object;
  }

  private remember(key: string, object: OriginObject): void {
    const bytes = object.body?.length ?? 0;
    this.cache.set(key, object);
    this.cachedBytes += bytes;
    for (const [oldest, entry] of this.cache) {
      if (this.cachedBytes <= this.maxTotalBytes) break;
      this.cache.delete(oldest);
      this.cachedBytes -= entry.body?.length ?? 0;
    }
  }
}

// S3's (and moto's) type for an object uploaded without one.
const GENERIC_TYPES = new Set(['binary/octet-stream', 'application/octet-stream']);

/** The object's own Content-Type; without one, the type its extension implies. */
function contentTypeOf(stored: string | undefined, key: string): string {
  if (stored && !GENERIC_TYPES.has(stored.toLowerCase())) return stored;
  return mimeLookup(key) ?? 'application/octet-stream';
}

/**
 * KeyValueStore reads reused for `ttlMs`: keeps the per-request cost of the shim in memory while a
 * switched alias shows within `ttlMs`. Failed reads are not kept; the map is bounded because Host
 * headers are caller-chosen.
 */
export function cachedReads(read: KvsGet, ttlMs: number, maxEntries = 10_000): KvsGet {
  const cache = new Map<string, { at: number; value: Promise<string | undefined> }>();
  return (key) => {
    const now = performance.now();
    const hit = cache.get(key);
    if (hit && now - hit.at < ttlMs) return hit.value;
    const value = read(key);
    cache.delete(key);
    cache.set(key, { at: now, value });
    value.catch(() => cache.delete(key));
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    return value;
  };
}

function originResponseEvent(request: CloudFrontRequest, response: CloudFrontResponse): CloudFrontResponseEvent {
  return {
    Records: [{ cf: { config: { distributionDomainName: 'localhost', distributionId: 'LOCAL', eventType: 'origin-response', requestId: 'local' }, request, response } }],
  };
}

/** CloudFront Functions header structure → Node headers (multi-value headers stay separate). */
function flatten(values: CfValues): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, entry] of Object.entries(values)) {
    out[name] = entry.multiValue ? entry.multiValue.map((v) => v.value) : entry.value;
  }
  return out;
}

function sendGenerated(res: http.ServerResponse, method: string, response: CfResponse): void {
  const body =
    response.body === undefined
      ? Buffer.alloc(0)
      : typeof response.body === 'string'
        ? Buffer.from(response.body, 'utf8')
        : Buffer.from(response.body.data, response.body.encoding === 'base64' ? 'base64' : 'utf8');
  send(res, method, response.statusCode, flatten(response.headers), body);
}

function sendText(res: http.ServerResponse, method: string, status: number, text: string, extra: Record<string, string> = {}): void {
  send(res, method, status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }, Buffer.from(text));
}

function send(res: http.ServerResponse, method: string, status: number, headers: Record<string, string | string[]>, body: Buffer): void {
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.end(method === 'HEAD' ? undefined : body);
}
