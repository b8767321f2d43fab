/**
 * The Node.js launcher: loads a Build Output API function (`.func` directory + its configuration)
 * and answers Function URL events with it. The same code runs inside a Lambda (`lambda.ts`) and
 * inside a local worker process (`worker.ts`).
 *
 * Signatures, as Vercel's Node.js runtime detects them (vercel/vercel
 * packages/node/src/serverless-functions/serverless-handler.mts `compileUserCode`): the module's
 * `default` is unwrapped up to 5 times; if it exports any of GET/HEAD/OPTIONS/POST/PUT/DELETE/PATCH
 * or a `fetch`, it is a Web handler (`Request → Response`; a method it does not export → 405);
 * otherwise a function is a Node handler `(req, res)`, given Vercel's helpers when
 * `shouldAddHelpers` (not when it is an Express-like app with a `listen`). Node handlers run on an
 * `http.Server` bound to a Unix socket in the temp dir, as Vercel runs them on a loopback server.
 */
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { ApiError, addHelpers } from './helpers.ts';
import type { FunctionResponse, FunctionUrlEvent } from './protocol.ts';
import { requestOfEvent } from './protocol.ts';

/** What the launcher needs of a function's configuration (a subset of core's `FunctionConfig`). */
export interface LaunchConfig {
  handler: string;
  shouldAddHelpers: boolean;
  maxDurationSeconds: number;
}

export const HTTP_METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

/** Vercel's error codes (https://vercel.com/docs/errors), sent in `x-vercel-error` and the body. */
export type FunctionErrorCode = 'FUNCTION_INVOCATION_FAILED' | 'FUNCTION_INVOCATION_TIMEOUT' | 'FUNCTION_RESPONSE_PAYLOAD_TOO_LARGE' | 'NO_RESPONSE_FROM_FUNCTION';

const ERROR_STATUS: Record<FunctionErrorCode, number> = {
  FUNCTION_INVOCATION_FAILED: 500,
  FUNCTION_INVOCATION_TIMEOUT: 504,
  FUNCTION_RESPONSE_PAYLOAD_TOO_LARGE: 500,
  NO_RESPONSE_FROM_FUNCTION: 502,
};

/** The response a visitor gets when a function fails: Vercel's code, nothing of the error itself. */
export function errorResponse(code: FunctionErrorCode): FunctionResponse {
  const statusCode = ERROR_STATUS[code];
  const text = `${statusCode === 504 ? 'An error occurred with your deployment' : 'A server error has occurred'}\n\n${code}\n`;
  return {
    statusCode,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'private, no-store', 'x-vercel-error': code },
    cookies: [],
    body: Readable.from([Buffer.from(text)]),
  };
}

/** Logs a failure of user code with its stack: it goes to the function's log, never to the visitor. */
function logFailure(what: string, error: unknown) {
  console.error(`[runway] ${what}:`, error instanceof Error ? (error.stack ?? error.message) : error);
}

type WebHandler = (request: Request) => Response | Promise<Response>;
type NodeHandler = ((req: IncomingMessage, res: ServerResponse) => unknown) & { listen?: unknown };

export interface LoadedFunction {
  /** Answers one event. Never rejects: failures become Vercel's error responses, logged with their stack. */
  invoke(event: FunctionUrlEvent): Promise<FunctionResponse>;
  close(): Promise<void>;
}

/**
 * Loads a function's handler module from `dir`.
 * @throws when the module cannot be imported or exports nothing callable (a deploy error: the caller logs it and answers 500)
 */
export async function loadFunction(dir: string, config: LaunchConfig): Promise<LoadedFunction> {
  // biome-ignore lint: the user's module is any shape
  let listener: any = await import(pathToFileURL(path.join(dir, config.handler)).href);
  for (let i = 0; i < 5 && listener?.default; i++) listener = listener.default;

  const isWeb = HTTP_METHODS.some((m) => typeof listener?.[m] === 'function') || typeof listener?.fetch === 'function';
  let answer: (event: FunctionUrlEvent, signal: AbortSignal) => Promise<FunctionResponse>;
  let close = async () => {};
  if (isWeb) {
    const byMethod = new Map<string, WebHandler>(
      HTTP_METHODS.map((m) => [m, typeof listener.fetch === 'function' ? listener.fetch.bind(listener) : listener[m]]).filter((e): e is [string, WebHandler] => typeof e[1] === 'function'),
    );
    answer = (event, signal) => answerWeb(byMethod, event, signal);
  } else if (typeof listener === 'function') {
    const server = await startNodeServer(listener as NodeHandler, config.shouldAddHelpers && typeof listener.listen !== 'function');
    answer = (event, signal) => answerNode(server.socketPath, event, signal);
    close = server.close;
  } else {
    throw new Error(`${config.handler} exports neither a (req, res) function, HTTP method handlers nor a fetch handler`);
  }

  return {
    async invoke(event) {
      const started = Date.now();
      const deadline = config.maxDurationSeconds * 1000;
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<FunctionResponse>((resolve) => {
        timer = setTimeout(() => {
          abort.abort(new Error('FUNCTION_INVOCATION_TIMEOUT'));
          console.error(`[runway] Task timed out after ${config.maxDurationSeconds} seconds (maxDuration)`);
          resolve(errorResponse('FUNCTION_INVOCATION_TIMEOUT'));
        }, deadline);
      });
      const response = await Promise.race([
        answer(event, abort.signal).then(framed).catch((error) => {
          logFailure('Unhandled error in the function', error);
          return errorResponse('FUNCTION_INVOCATION_FAILED');
        }),
        timeout,
      ]);
      clearTimeout(timer);
      if (abort.signal.aborted) return response;
      // The body may stream until maxDuration; then it is cut, as on Vercel.
      const cut = setTimeout(() => {
        console.error(`[runway] Task timed out after ${config.maxDurationSeconds} seconds (maxDuration) while streaming`);
        abort.abort(new Error('FUNCTION_INVOCATION_TIMEOUT'));
        response.body.destroy(new Error('FUNCTION_INVOCATION_TIMEOUT'));
      }, deadline - (Date.now() - started));
      response.body.once('close', () => clearTimeout(cut));
      return response;
    },
    close,
  };
}

async function answerWeb(byMethod: Map<string, WebHandler>, event: FunctionUrlEvent, signal: AbortSignal): Promise<FunctionResponse> {
  const { url, method, headers, body } = requestOfEvent(event);
  const handler = byMethod.get(method);
  if (!handler) return { statusCode: 405, headers: {}, cookies: [], body: Readable.from([]) };
  const request = new Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' || body.length === 0 ? undefined : new Uint8Array(body), signal });
  const response = await handler(request);
  if (!(response instanceof Response)) throw new Error('The Web handler did not return a Response');
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value;
  });
  return {
    statusCode: response.status,
    headers: out,
    cookies: response.headers.getSetCookie(),
    body: response.body ? Readable.fromWeb(response.body as import('node:stream/web').ReadableStream) : Readable.from([]),
  };
}

async function startNodeServer(listener: NodeHandler, withHelpers: boolean): Promise<{ socketPath: string; close: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-fn-'));
  const socketPath = path.join(dir, 'handler.sock');
  const server = http.createServer(async (req, res) => {
    try {
      if (withHelpers) await addHelpers(req, res);
      await listener(req, res);
    } catch (error) {
      if (error instanceof ApiError && !res.headersSent) {
        res.writeHead(error.statusCode, { 'content-type': 'text/plain; charset=utf-8' }).end(error.message);
        return;
      }
      logFailure('Unhandled error in the function', error);
      if (!res.headersSent) {
        const failed = errorResponse('FUNCTION_INVOCATION_FAILED');
        res.writeHead(failed.statusCode, failed.headers);
        failed.body.pipe(res);
      } else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/** Headers about one connection (RFC 9110 §7.6.1), never passed on by a proxy; the edge frames the body itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * What a function answered, as the edge may send it: its hop-by-hop headers and `content-length`
 * dropped (the body is framed again by the edge or Lambda: a function sending both
 * `content-length` and `transfer-encoding` must not reach a visitor's proxy, RFC 9112 §6.3), and a
 * status outside 200–599 (1xx needs a protocol the edge does not speak; 600+ is not HTTP) turned
 * into a failed invocation with nothing of the function's headers.
 * @throws Error for such a status (the caller answers FUNCTION_INVOCATION_FAILED and logs it)
 */
export function framed(response: FunctionResponse): FunctionResponse {
  if (!Number.isInteger(response.statusCode) || response.statusCode < 200 || response.statusCode > 599) {
    response.body.destroy();
    throw new Error(`The function answered with status ${response.statusCode}; a response needs a status from 200 to 599`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && lower !== 'content-length') headers[lower] = value;
  }
  return { ...response, headers };
}

function answerNode(socketPath: string, event: FunctionUrlEvent, signal: AbortSignal): Promise<FunctionResponse> {
  const { url, method, headers, body } = requestOfEvent(event);
  const outgoing: Record<string, string> = { ...headers, host: url.host };
  delete outgoing['transfer-encoding'];
  if (body.length || !(method === 'GET' || method === 'HEAD')) outgoing['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: `${url.pathname}${url.search}`, headers: outgoing, signal }, (res) => {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined || name === 'set-cookie' || HOP_BY_HOP.has(name)) continue;
        out[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      resolve({ statusCode: res.statusCode ?? 500, headers: out, cookies: res.headers['set-cookie'] ?? [], body: res });
    });
    req.once('error', reject);
    req.end(body);
  });
}
