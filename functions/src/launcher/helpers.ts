/**
 * Vercel's Node.js request/response helpers (`shouldAddHelpers: true`): `req.query`, `req.cookies`,
 * `req.body`, `res.status()`, `res.json()`, `res.send()`, `res.redirect([status,] url)`.
 *
 * A port of vercel/vercel `packages/node/src/serverless-functions/helpers.ts` with the same
 * semantics: lazy `query`/`cookies`/`body`; the body parsed by content type (JSON → object, `{}` when
 * empty, 400 "Invalid JSON" when malformed; urlencoded → `querystring.parse`; text/plain → string;
 * octet-stream → Buffer; anything else → `undefined`) and read only when a `content-type` header is
 * present, then replayed so the handler can still stream `req`; `send` writes strings as `text/html`
 * with charset utf-8, objects as JSON, Buffers as octet-stream, sets `content-length` and a weak
 * `etag`, and drops the body for 204/304 and HEAD; `redirect(url)` is a 307.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQS } from 'node:querystring';
import { PassThrough } from 'node:stream';
import { format as formatContentType, parse as parseContentType } from 'content-type';
import { parseCookie } from 'cookie';
import etag from 'etag';

export type VercelRequest = IncomingMessage & {
  query: Record<string, string | string[]>;
  cookies: Record<string, string>;
  body: unknown;
};
export type VercelResponse = ServerResponse & {
  send: (body: unknown) => VercelResponse;
  json: (body: unknown) => VercelResponse;
  status: (statusCode: number) => VercelResponse;
  redirect: (statusOrUrl: string | number, url?: string) => VercelResponse;
};

/** An error the helpers raise that Vercel answers with its status and message (a malformed JSON body → 400). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

function bodyParser(body: Buffer, contentType: string | undefined) {
  return (): unknown => {
    const type = contentType ? parseContentType(contentType).type : 'text/plain';
    if (type === 'application/json') {
      try {
        const text = body.toString();
        return text ? JSON.parse(text) : {};
      } catch {
        throw new ApiError(400, 'Invalid JSON');
      }
    }
    if (type === 'application/octet-stream') return body;
    if (type === 'application/x-www-form-urlencoded') return parseQS(body.toString());
    if (type === 'text/plain') return body.toString();
    return undefined;
  };
}

function queryParser(req: IncomingMessage) {
  return () => {
    const query: Record<string, string | string[]> = {};
    new URL(req.url ?? '/', 'http://localhost').searchParams.forEach((value, key) => {
      const existing = query[key];
      query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    });
    return query;
  };
}

function cookieParser(req: IncomingMessage) {
  return (): Record<string, string> => {
    const header = req.headers.cookie;
    if (!header) return {};
    const parsed = parseCookie(Array.isArray(header) ? header.join(';') : header);
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => entry[1] !== undefined));
  };
}

function setLazyProp<T>(req: IncomingMessage, prop: string, getter: () => T) {
  const opts = { configurable: true, enumerable: true };
  Object.defineProperty(req, prop, {
    ...opts,
    get: () => {
      const value = getter();
      Object.defineProperty(req, prop, { ...opts, writable: true, value });
      return value;
    },
    set: (value) => Object.defineProperty(req, prop, { ...opts, writable: true, value }),
  });
}

function redirect(res: VercelResponse, statusOrUrl: string | number, url?: string): VercelResponse {
  if (typeof statusOrUrl === 'string') {
    url = statusOrUrl;
    statusOrUrl = 307;
  }
  if (typeof statusOrUrl !== 'number' || typeof url !== 'string') {
    throw new Error(
      "Invalid redirect arguments. Please use a single argument URL, e.g. res.redirect('/destination') or use a status code and URL, e.g. res.redirect(307, '/destination').",
    );
  }
  res.writeHead(statusOrUrl, { Location: url }).end();
  return res;
}

function json(req: VercelRequest, res: VercelResponse, value: unknown): VercelResponse {
  if (!res.getHeader('content-type')) res.setHeader('content-type', 'application/json; charset=utf-8');
  return send(req, res, JSON.stringify(value));
}

function send(req: VercelRequest, res: VercelResponse, body: unknown): VercelResponse {
  let chunk: unknown = body;
  let encoding: 'utf8' | undefined;
  switch (typeof chunk) {
    case 'string':
      if (!res.getHeader('content-type')) res.setHeader('content-type', 'text/html');
      break;
    case 'boolean':
    case 'number':
    case 'object':
      if (chunk === null) chunk = '';
      else if (Buffer.isBuffer(chunk)) {
        if (!res.getHeader('content-type')) res.setHeader('content-type', 'application/octet-stream');
      } else return json(req, res, chunk);
      break;
  }
  if (typeof chunk === 'string') {
    encoding = 'utf8';
    const type = res.getHeader('content-type');
    if (typeof type === 'string') {
      const parsed = parseContentType(type);
      res.setHeader('content-type', formatContentType({ type: parsed.type, parameters: { ...parsed.parameters, charset: 'utf-8' } }));
    }
  }
  let length: number | undefined;
  if (chunk !== undefined) {
    if (Buffer.isBuffer(chunk)) length = chunk.length;
    else if (typeof chunk === 'string') {
      chunk = Buffer.from(chunk, encoding);
      encoding = undefined;
      length = (chunk as Buffer).length;
    } else throw new Error('`body` is not a valid string, object, boolean, number, Stream, or Buffer');
    res.setHeader('content-length', length);
  }
  if (!res.getHeader('etag') && length !== undefined) res.setHeader('etag', etag(chunk as Buffer, { weak: true }));
  if (res.statusCode === 204 || res.statusCode === 304) {
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Length');
    res.removeHeader('Transfer-Encoding');
    chunk = '';
  }
  if (req.method === 'HEAD') res.end();
  else res.end(chunk as Buffer | string);
  return res;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  // Replay the body so a handler that streams `req` itself still sees it (as Vercel's restoreBody).
  const replay = new PassThrough();
  const on = replay.on.bind(replay);
  const originalOn = req.on.bind(req);
  req.read = replay.read.bind(replay);
  req.on = req.addListener = ((name: string, cb: (...args: unknown[]) => void) =>
    name === 'data' || name === 'end' ? on(name, cb) : originalOn(name, cb)) as typeof req.on;
  replay.end(body);
  return body;
}

/** Adds Vercel's helpers to a request/response pair; reads the body first when there is a `content-type`. */
export async function addHelpers(rawReq: IncomingMessage, rawRes: ServerResponse): Promise<void> {
  const req = rawReq as VercelRequest;
  const res = rawRes as VercelResponse;
  setLazyProp(req, 'cookies', cookieParser(req));
  setLazyProp(req, 'query', queryParser(req));
  const contentType = req.headers['content-type'];
  const body = contentType === undefined ? Buffer.alloc(0) : await readBody(req);
  setLazyProp(req, 'body', bodyParser(body, contentType));
  res.status = (statusCode) => {
    res.statusCode = statusCode;
    return res;
  };
  res.redirect = (statusOrUrl, url) => redirect(res, statusOrUrl, url);
  res.send = (value) => send(req, res, value);
  res.json = (value) => json(req, res, value);
}
