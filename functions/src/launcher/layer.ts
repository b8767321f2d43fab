/**
 * The entry of the launcher layer every Runway function runs in AWS (handler
 * `/opt/runway/launcher.handler`; CDK bundles this file to `runway/launcher.mjs` in the layer).
 * Before the launcher (`lambda.ts`) sees a Function URL event it undoes what the edge's signing
 * did to the request (edge/function-origin.ts): the SigV4 headers go, and the viewer's own
 * `Authorization`, carried in `x-runway-viewer-authorization`, is put back, and the headers the edge
 * could not set itself (`x-real-ip`, `x-forwarded-proto`, `x-forwarded-for`, carried in
 * `x-runway-forwarded`) replace what CloudFront and the Function URL put there — so the user's
 * code sees the request the local function host would give it. The carried values are trusted:
 * only the edge's role can call a Function URL (AWS_IAM).
 */
import type { Writable } from 'node:stream';
import { CARRIED_HEADERS, FORWARDED_HEADER, FUNCTION_ANSWER_HEADER, VIEWER_AUTHORIZATION_HEADER } from '../edge/function-headers.ts';
import { handler as launcher } from './lambda.ts';
import type { FunctionUrlEvent } from './protocol.ts';

/** Headers the edge added for Lambda's authorization, not the visitor's. */
const SIGNING_HEADERS = ['authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token', FUNCTION_ANSWER_HEADER];

/** The event as the visitor sent it: signing headers removed, the viewer's Authorization and the carried forwarding headers restored. */
export function viewerEvent(event: FunctionUrlEvent): FunctionUrlEvent {
  const headers = { ...event.headers };
  for (const name of SIGNING_HEADERS) delete headers[name];
  const forwarded = headers[FORWARDED_HEADER];
  delete headers[FORWARDED_HEADER];
  if (forwarded !== undefined) {
    let carried: Record<string, unknown> = {};
    try {
      carried = JSON.parse(decodeURIComponent(forwarded)) as Record<string, unknown>;
    } catch {
      // Not the edge's: nothing carried.
    }
    for (const name of CARRIED_HEADERS) {
      delete headers[name];
      if (typeof carried[name] === 'string') headers[name] = carried[name];
    }
  }
  const viewerAuthorization = headers[VIEWER_AUTHORIZATION_HEADER];
  delete headers[VIEWER_AUTHORIZATION_HEADER];
  if (viewerAuthorization !== undefined) headers.authorization = viewerAuthorization;
  return { ...event, headers };
}

/** Marks a handler as streaming in the Node.js runtime interface client (`awslambda.streamifyResponse` sets it). */
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
type Streaming = (event: FunctionUrlEvent, stream: Writable, context: unknown) => Promise<void>;
type Buffered = (event: FunctionUrlEvent, context?: unknown) => Promise<unknown>;
const awslambda = (globalThis as unknown as { awslambda?: { streamifyResponse(fn: Streaming): unknown } }).awslambda;

export const handler =
  awslambda && (launcher as unknown as Record<symbol, unknown>)[STREAMING]
    ? awslambda.streamifyResponse((event, stream, context) => (launcher as unknown as Streaming)(viewerEvent(event), stream, context))
    : (event: FunctionUrlEvent, context?: unknown) => (launcher as unknown as Buffered)(viewerEvent(event), context);
