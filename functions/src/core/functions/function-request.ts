import { applyHeaderTransforms, type RouteTransform } from '../routing/transforms.ts';

/**
 * What a function receives beyond the visitor's own request, shared by the local function host
 * (local/functions/host.ts) and the AWS edge (edge/function-origin.ts) so both hand a function the
 * same request. Modelled on what `vercel dev` sends a function after routing (vercel/vercel
 * packages/cli/src/util/dev/server.ts: the route's query merged over the visitor's, `x-matched-path`,
 * Vercel's proxy headers, then the routes' `request.headers` transforms).
 */

/** The parts of the router's `{kind:'function'}` answer that shape the function's request. */
export interface FunctionRequestAnswer {
  /** The function path the router found, leading "/" (`/index` for "/"): sent as `x-matched-path`. */
  matchedPath: string;
  /** The query the routes built, without "?". */
  query: string;
  requestTransforms?: RouteTransform[];
}

/** Where the request came from. */
export interface FunctionRequestOrigin {
  /** The visitor's host (the Host header they sent; in AWS the `x-runway-host` viewer-request set). */
  host: string;
  /** The scheme the visitor used: `http` under `npm start`, `https` through CloudFront. */
  proto: 'http' | 'https';
  /** The viewer's address as the edge saw it (a proxy's when the viewer used one). */
  clientIp: string;
  /** `x-vercel-id`: `<edge region>::<request id>` as on Vercel (`dev1::…` locally, as `vercel dev`). */
  vercelId: string;
}

/**
 * The query the function sees: the visitor's query with the route's values winning
 * (`Object.assign(origQuery, routeQuery)` in vercel dev); the visitor's parameters keep their place.
 * @param visitorQuery without "?"
 * @param routedQuery the answer's `query`, without "?"
 * @returns without "?" ("" when empty), form-encoded (URLSearchParams)
 */
export function functionQuery(visitorQuery: string, routedQuery: string): string {
  const query = new URLSearchParams(visitorQuery);
  const routed = new URLSearchParams(routedQuery);
  for (const key of new Set(routed.keys())) {
    const values = routed.getAll(key);
    if (values.join('\0') === query.getAll(key).join('\0')) continue;
    query.delete(key);
    for (const value of values) query.append(key, value);
  }
  return query.toString();
}

/**
 * The headers the function sees: the visitor's (lower-case names) minus every `x-runway-*` (the
 * edge's own), plus `x-matched-path`, `x-real-ip`, `x-vercel-deployment-url`,
 * `x-vercel-forwarded-for`, `x-vercel-id`, `x-forwarded-host`/`-proto`/`-for`, then the routes'
 * `request.headers` transforms (which may change any of these, as on Vercel).
 * @returns a new object; `headers` is not changed
 */
export function functionRequestHeaders<V extends string | string[] | undefined>(
  headers: Record<string, V>,
  answer: Pick<FunctionRequestAnswer, 'matchedPath' | 'requestTransforms'>,
  origin: FunctionRequestOrigin,
): Record<string, V | string> {
  const out: Record<string, V | string> = {
    ...headers,
    'x-matched-path': answer.matchedPath,
    'x-real-ip': origin.clientIp,
    'x-vercel-deployment-url': origin.host,
    'x-vercel-forwarded-for': origin.clientIp,
    'x-vercel-id': origin.vercelId,
    'x-forwarded-host': origin.host,
    'x-forwarded-proto': origin.proto,
    'x-forwarded-for': origin.clientIp,
  };
  for (const name of Object.keys(out)) if (name.startsWith('x-runway-')) delete out[name];
  if (answer.requestTransforms) applyHeaderTransforms(out as Record<string, string>, answer.requestTransforms, 'request.headers');
  return out;
}
