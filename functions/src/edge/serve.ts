import { blobKey } from '../core/artifact-keys.ts';
import {
  cacheControlFor,
  deploymentIndexKey,
  REVALIDATE_CACHE_CONTROL,
  REVALIDATE_UNCACHED,
  type DeploymentIndex,
  type IndexFunction,
} from '../core/routing/deployment-index.ts';
import { prepareRoutes, route, type CompiledRoutes, type RouteOptions, type RouteRequest, type RouteResult } from '../core/routing/router.ts';

/**
 * What the edge sends for one request of one deployment: the router's decision over the
 * deployment's index, turned into either "these bytes of the artifact bucket, with this status and
 * these headers" or a response generated here (redirects, the platform 404, errors). Shared by the
 * local edge (local/edge.ts) and the Lambda@Edge origin-request handler (origin-request-aws.ts),
 * so both answer alike. No I/O here: the index comes in already read.
 */

export type EdgeAnswer =
  | {
      kind: 'object';
      /** Artifact-bucket key of the bytes: `blobs/<teamId>/<sha>`. */
      key: string;
      /** The file's path in the deployment (for logs and tests). */
      file: string;
      status: number;
      /** Lower-case names; content-type and cache-control always set. */
      headers: Record<string, string>;
    }
  | { kind: 'generated'; status: number; headers: Record<string, string>; body: string }
  /**
   * Run a function of the deployment (local edge: the local function host; AWS: its Function URL
   * as the origin): the router's function result (name, the path asked for, the query the routes
   * built, `matchedPath`, request transforms, an error route's status, route headers with
   * lower-case names) and the function's index entry.
   */
  | (Extract<RouteResult, { kind: 'function' }> & { fn: IndexFunction });

export const PLATFORM_NOT_FOUND_HTML =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>404: Not found</title>' +
  '<body style="font:16px system-ui;text-align:center;padding:4em"><h1>404</h1>' +
  '<p>This page could not be found.</p></body></html>';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 508: 'Loop Detected',
};

/** A deployment as the edge keeps it in memory: its index and its routes prepared once. */
export interface LoadedDeployment {
  index: DeploymentIndex;
  routes: CompiledRoutes;
  /** Function path (no leading "/") → function name; built by {@link loadDeployment}, empty when it has none. */
  functionAt?: ReadonlyMap<string, string>;
}

/** A deployment's index made ready to answer: routes prepared, function paths mapped. */
export function loadDeployment(index: DeploymentIndex): LoadedDeployment {
  const functionAt = new Map<string, string>();
  for (const [name, fn] of Object.entries(index.functions ?? {})) for (const path of fn.paths) functionAt.set(path, name);
  return { index, routes: prepareRoutes(index.config), functionAt };
}

/**
 * The answer to `request` for the deployment `index` describes.
 * Header precedence: the router's headers (route `headers`, the user's rules) win over the
 * defaults here (`content-type` from the file, `cache-control` from {@link cacheControlFor}).
 */
export function answer(deployment: LoadedDeployment, request: RouteRequest, options?: RouteOptions): EdgeAnswer {
  const { index } = deployment;
  const functionAt = deployment.functionAt;
  const lookup = { has: (path: string) => Object.hasOwn(index.files, path), fn: (path: string) => functionAt?.get(path) };
  const result: RouteResult = route(deployment.routes, lookup, request, options);
  const cdn = index.varies ? REVALIDATE_UNCACHED : REVALIDATE_CACHE_CONTROL;
  switch (result.kind) {
    case 'file': {
      const file = index.files[result.path];
      if (!file) return generated(404, withDefaults(result.headers, 'text/html; charset=utf-8', cdn), PLATFORM_NOT_FOUND_HTML);
      const contentType = result.contentType ?? file[2];
      return {
        kind: 'object',
        key: blobKey(index.teamId, file[0]),
        file: result.path,
        status: result.status,
        headers: withDefaults(result.headers, contentType, cacheControlFor(index, result.path, contentType)),
      };
    }
    case 'redirect':
      return generated(result.status, { ...withDefaults(result.headers, 'text/plain; charset=utf-8', cdn), location: result.location }, '');
    case 'error': {
      const page = result.file === undefined ? undefined : index.files[result.file];
      if (page && result.file !== undefined) {
        // Errors are not kept at the CDN (viewer-response, which drops s-maxage, skips them).
        return { kind: 'object', key: blobKey(index.teamId, page[0]), file: result.file, status: result.status, headers: withDefaults(result.headers, page[2], REVALIDATE_UNCACHED) };
      }
      const body = result.status === 404 ? PLATFORM_NOT_FOUND_HTML : `<!doctype html><title>${result.status}</title><h1>${result.status} ${STATUS_TEXT[result.status] ?? ''}</h1>`;
      return generated(result.status, withDefaults(result.headers, 'text/html; charset=utf-8', result.status >= 500 ? 'no-store' : REVALIDATE_UNCACHED), body);
    }
    case 'function': {
      const fn = index.functions?.[result.name];
      if (!fn) return generated(404, withDefaults(result.headers, 'text/html; charset=utf-8', cdn), PLATFORM_NOT_FOUND_HTML);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.headers)) headers[name.toLowerCase()] = value;
      return {
        kind: 'function',
        name: result.name,
        fn,
        path: result.path,
        query: result.query,
        matchedPath: result.matchedPath,
        ...(result.requestTransforms ? { requestTransforms: result.requestTransforms } : {}),
        ...(result.status !== undefined ? { status: result.status } : {}),
        headers,
      };
    }
    case 'external':
      // Proxying to external origins comes later.
      return generated(502, withDefaults(result.headers, 'text/plain; charset=utf-8', 'no-store'), 'This deployment routes here to an external URL, which Runway does not serve yet.');
  }
}

function generated(status: number, headers: Record<string, string>, body: string): EdgeAnswer {
  return { kind: 'generated', status, headers, body };
}

/** Route headers with the defaults underneath; names lower-cased (routes may write `Cache-Control`). */
function withDefaults(routeHeaders: Record<string, string>, contentType: string, cacheControl: string): Record<string, string> {
  const out: Record<string, string> = { 'content-type': contentType, 'cache-control': cacheControl, 'x-content-type-options': 'nosniff' };
  for (const [name, value] of Object.entries(routeHeaders)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * Deployment indexes kept in memory, least recently used evicted: an index never changes, so a
 * read is good for the life of the process. Concurrent first reads of one deployment share one
 * fetch; a failed read is not kept (the next request tries again).
 */
export class IndexCache {
  private readonly cache = new Map<string, LoadedDeployment>();
  private readonly inflight = new Map<string, Promise<LoadedDeployment | null>>();

  /**
   * @param read the text of an artifact-bucket object, `undefined` when it does not exist
   * @param maxEntries deployments kept @default 200
   */
  constructor(
    private readonly read: (key: string) => Promise<string | undefined>,
    private readonly maxEntries = 200,
  ) {}

  /** The deployment's index and prepared routes, or `null` when it has none (unknown or not READY). */
  get(deploymentId: string): Promise<LoadedDeployment | null> {
    if (this.cache.has(deploymentId)) {
      const hit = this.cache.get(deploymentId)!;
      this.cache.delete(deploymentId);
      this.cache.set(deploymentId, hit);
      return Promise.resolve(hit);
    }
    let pending = this.inflight.get(deploymentId);
    if (!pending) {
      pending = this.load(deploymentId).finally(() => this.inflight.delete(deploymentId));
      this.inflight.set(deploymentId, pending);
    }
    return pending;
  }

  private async load(deploymentId: string): Promise<LoadedDeployment | null> {
    const text = await this.read(deploymentIndexKey(deploymentId));
    // A missing index is not kept: a deployment's index appears once, before its host is published.
    if (text === undefined) return null;
    const index = parseIndex(text, deploymentId);
    const loaded = loadDeployment(index);
    this.cache.set(deploymentId, loaded);
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    return loaded;
  }
}

/** The index finalize wrote; a shape it never writes is an error, not a guess. */
export function parseIndex(text: string, deploymentId: string): DeploymentIndex {
  const index = JSON.parse(text) as DeploymentIndex;
  if (index?.version !== 1 || index.deploymentId !== deploymentId || typeof index.files !== 'object' || typeof index.config !== 'object') {
    throw new Error(`routes/${deploymentId}.json is not a deployment index`);
  }
  // Own properties only: a file named "__proto__" or "constructor" must not come from the prototype.
  Object.setPrototypeOf(index.files, null);
  return index;
}
