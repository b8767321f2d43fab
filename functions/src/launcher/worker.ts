/**
 * A local function worker: one process per warm function instance, started by local/functions.
 * argv: <function dir> <socket path> <config JSON>. It loads the function, listens on the Unix socket,
 * and answers `POST /invoke` (body: a Function URL event) with the streamed-response wire format
 * (prelude + body, protocol.ts). It is ready when its socket accepts connections.
 */
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { format } from 'node:util';
import { errorResponse, type LaunchConfig, type LoadedFunction, loadFunction } from './launcher.ts';
import { encodePrelude, type FunctionResponse, type FunctionUrlEvent, INTEGRATION_RESPONSE_TYPE } from './protocol.ts';

const [dir, socketPath, configJson] = process.argv.slice(2) as [string, string, string];

// Each console call is one log event with its level (the runner reads `\0<level>\0<message as a
// JSON string>`), as Lambda's Node.js runtime keeps a multi-line message (a stack) one event.
const LEVELS = { log: 'info', info: 'info', debug: 'info', warn: 'warn', error: 'error' } as const;
for (const [method, level] of Object.entries(LEVELS)) {
  const out = level === 'info' ? process.stdout : process.stderr;
  (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) => {
    out.write(`\0${level}\0${JSON.stringify(format(...args))}\n`);
  };
}
const config = JSON.parse(configJson) as LaunchConfig;

let loaded: LoadedFunction | undefined;
try {
  loaded = await loadFunction(dir, config);
} catch (error) {
  // An import that fails is a broken deployment: every request answers 500, the cause is in the log.
  console.error('[runway] The function could not be loaded:', error instanceof Error ? error.stack : error);
}

const server = http.createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const response: FunctionResponse = loaded ? await loaded.invoke(JSON.parse(Buffer.concat(chunks).toString()) as FunctionUrlEvent) : errorResponse('FUNCTION_INVOCATION_FAILED');
  res.writeHead(200, { 'content-type': INTEGRATION_RESPONSE_TYPE });
  res.write(encodePrelude({ statusCode: response.statusCode, headers: response.headers, cookies: response.cookies }));
  await pipeline(response.body, res).catch(() => res.destroy());
});
// The runner knows it is ready when the socket accepts a connection.
server.listen(socketPath);
