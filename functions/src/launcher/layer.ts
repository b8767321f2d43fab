/**
 * The entry of the launcher layer every Runway function runs in AWS (handler
 * `/opt/runway/launcher.handler`; CDK bundles this file to `runway/launcher.mjs` in the layer).
 * Before the launcher (`lambda.ts`) sees a Function URL event it undoes what the edge's signing
 * did to the request (edge/function-origin.ts): the SigV4 headers go, and the viewer's own
 * `Authorization`, carried in `x-runway-viewer-authorization`, is put back — so the user's code
 * sees the request the visitor sent.
 */
import type { Writable } from 'node:stream';
import { FUNCTION_ANSWER_HEADER, VIEWER_AUTHORIZATION_HEADER } from '../edge/function-origin.ts';
import { handler as launcher } from './lambda.ts';
import type { FunctionUrlEvent } from './protocol.ts';

/** Headers the edge added for Lambda's authorization, not the visitor's. */
const SIGNING_HEADERS = ['authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token', FUNCTION_ANSWER_HEADER];

/** The event as the visitor sent it: signing headers removed, the viewer's Authorization restored. */
export function viewerEvent(event: FunctionUrlEvent): FunctionUrlEvent {
  const headers = { ...event.headers };
  for (const name of SIGNING_HEADERS) delete headers[name];
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
