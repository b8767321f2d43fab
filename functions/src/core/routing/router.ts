import { pathProblem } from '#core/build/contract';
import type { BuildOutputConfig, HandleValue, HasItem, MatchableValue, SourceRoute } from './schema.ts';
import { applyHeaderTransforms, applyQueryTransforms, type RouteTransform } from './transforms.ts';

/**
 * The router: evaluates a deployment's Build Output API v3 `routes` for one request, with the
 * deployment's files in view. Pure (no I/O), the same code in the local edge and at the AWS edge.
 *
 * Phases (https://vercel.com/docs/build-output-api/configuration#routes); where Vercel does not
 * write the behaviour down, its dev router is the reference (vercel/vercel
 * `packages/cli/src/util/dev/router.ts` and `server.ts`), and each such decision has a test in
 * tests/unit/routing/router.test.ts named after it:
 * 1. routes before the first `handle`: `continue` routes add headers / rewrite the path and go on;
 *    the first other match ends the phase (a redirect, an external URL or a bare status answers);
 * 2. the filesystem: the path (percent-decoded, checked by segment with the one safe-path rule)
 *    names a file, an override's path, or a directory's `index.html` — or else a function
 *    (`functions/<path>.func`, a directory's `index` function);
 * 3. when it names none: the routes after `handle: filesystem`, then `miss`, then `rewrite`; a
 *    route with `check` serves its destination if that is a file and goes on otherwise;
 * 4. a file found runs the `hit` routes (headers only, never replacing one already set);
 * 5. nothing found runs the `error` routes (`{src: "/.*", dest: "/404.html", status: 404}`), else
 *    `404.html` when the deployment has it.
 * Header rules reached before the answer apply to it, 404s and errors included.
 */

/** One request, as the edge sees it. */
export interface RouteRequest {
  method: string;
  /** Raw path, percent-encoded as received, starting with "/". */
  path: string;
  /** Raw query string without "?" ("" when none). */
  query: string;
  /** Host name the request was sent to (a ":port" is ignored). */
  host: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
}

/**
 * The deployment's static files: paths under `static/`, no leading "/" (`docs/index.html`); and
 * its functions: `fn(path)` is the name of the function served at a function path (no leading
 * "/", e.g. `api/hello` for `functions/api/hello.func`), `undefined` when none is.
 */
export interface FileLookup {
  has(path: string): boolean;
  fn?(path: string): string | undefined;
}

/** What to answer. Header names are lower-case. */
export type RouteResult =
  | { kind: 'file'; path: string; status: number; headers: Record<string, string>; contentType?: string }
  | { kind: 'redirect'; status: number; location: string; headers: Record<string, string> }
  | { kind: 'external'; url: string; headers: Record<string, string> }
  /**
   * A function: `name` is the function, `path` the request's own path (a function behind a rewrite
   * sees the URL it was asked for: the dev server proxies to it with the original pathname, so an
   * Express app behind `{"source": "/(.*)", "destination": "/api"}` routes on it), `query` the query the routes built
   * (a rewrite's destination query merged under the request's), `status` set by an error route.
   */
  | {
      kind: 'function';
      name: string;
      path: string;
      query: string;
      /**
       * The function path the filesystem phase found, with a leading "/" (`/index` for "/",
       * `/blog/[slug]` behind a rewrite): what Vercel's proxy sends as `x-matched-path`, which
       * Next.js (minimal mode) renders by. Differs from `/${name}` when the `.func` is a symlink.
       */
      matchedPath: string;
      /** `request.headers` transforms of the matched routes, to apply to the function's request. */
      requestTransforms?: RouteTransform[];
      status?: number;
      headers: Record<string, string>;
    }
  | { kind: 'error'; status: number; file?: string; headers: Record<string, string> };

export interface RouteOptions {
  /**
   * Most route evaluations (one route tested against the request = one step) per request; past it
   * the answer is 508 (Vercel's `INFINITE_LOOP_DETECTED` status). Default {@link DEFAULT_MAX_STEPS}.
   */
  budget?: { maxSteps?: number };
}

/** Default per-request budget: each route can be tested at most a few times (phases re-scan nothing). */
export const DEFAULT_MAX_STEPS = 10_000;

interface PreparedRoute {
  route: SourceRoute;
  regex: RegExp;
  methods?: Set<string>;
  has?: PreparedCondition[];
  missing?: PreparedCondition[];
}

interface PreparedCondition {
  item: HasItem;
  /** The value as an anchored regex, for a string value (or `re`). */
  regex?: RegExp;
}

/** A deployment's routes, prepared once (regexes compiled) and reused for every request. */
export interface CompiledRoutes {
  phases: Map<HandleValue | null, PreparedRoute[]>;
  /** URL path (no leading "/") → the static file an override serves there. */
  servedAt: Map<string, { file: string; contentType?: string }>;
  /** Static files an override moved to another path: not served at their own path. */
  moved: Set<string>;
  /** Content type overrides, by static file path. */
  contentTypes: Map<string, string>;
  routeCount: number;
}

/**
 * Prepare a validated config for {@link route}: compile each regex once.
 * Route `src` regexes match case-insensitively unless the route says `caseSensitive: true` (the
 * BOA default; the compiler marks vercel.json's routes case-sensitive, as Vercel's dev server does).
 */
export function prepareRoutes(config: BuildOutputConfig): CompiledRoutes {
  const phases = new Map<HandleValue | null, PreparedRoute[]>();
  let phase: HandleValue | null = null;
  let routeCount = 0;
  for (const route of config.routes ?? []) {
    if ('handle' in route) {
      phase = route.handle;
      continue;
    }
    routeCount++;
    const prepared: PreparedRoute = { route, regex: new RegExp(route.src, route.caseSensitive ? '' : 'i') };
    if (route.methods) prepared.methods = new Set(route.methods.map((m) => m.toUpperCase()));
    if (route.has) prepared.has = route.has.map(prepareCondition);
    if (route.missing) prepared.missing = route.missing.map(prepareCondition);
    const list = phases.get(phase) ?? [];
    list.push(prepared);
    phases.set(phase, list);
  }
  const servedAt = new Map<string, { file: string; contentType?: string }>();
  const moved = new Set<string>();
  const contentTypes = new Map<string, string>();
  for (const [file, override] of Object.entries(config.overrides ?? {})) {
    if (override.contentType) contentTypes.set(file, override.contentType);
    if (override.path !== undefined && override.path !== file) {
      moved.add(file);
      servedAt.set(override.path.replace(/^\//, ''), { file, ...(override.contentType ? { contentType: override.contentType } : {}) });
    }
  }
  return { phases, servedAt, moved, contentTypes, routeCount };
}

function prepareCondition(item: HasItem): PreparedCondition {
  const value = item.value;
  // Like Next.js' matchHas (next/src/shared/lib/router/utils/prepare-destination.ts): a string
  // value is a regex the whole value must match.
  if (typeof value === 'string') return { item, regex: new RegExp(`^(?:${value})$`) };
  if (value?.re !== undefined) return { item, regex: new RegExp(value.re) };
  return { item };
}

class BudgetExceeded extends Error {}

/** Per-request state of one evaluation. */
interface State {
  req: RouteRequest;
  path: string;
  query: string;
  headers: Record<string, string>;
  status?: number;
  steps: number;
  maxSteps: number;
  cookies?: Map<string, string>;
  queryParams?: URLSearchParams;
  /** `request.headers` transforms of the matched routes, in order, for the function's request. */
  requestTransforms?: RouteTransform[];
}

function applyTransforms(state: State, transforms: readonly RouteTransform[]): void {
  state.query = applyQueryTransforms(state.query, transforms);
  applyHeaderTransforms(state.headers, transforms, 'response.headers');
  const forRequest = transforms.filter((t) => t.type === 'request.headers');
  if (forRequest.length) (state.requestTransforms ??= []).push(...forRequest);
}

/** What one phase ended with. */
type PhaseEnd =
  | { kind: 'answer'; result: RouteResult }
  | { kind: 'found'; found: Found; status?: number }
  | { kind: 'status'; status: number }
  | { kind: 'none' };

/**
 * Route one request.
 * @returns what to serve; never throws for any request (a path that is no safe file path is a
 *   400, a route table that exceeds the step budget a 508)
 */
export function route(config: CompiledRoutes, files: FileLookup, req: RouteRequest, options?: RouteOptions): RouteResult {
  const state: State = {
    req,
    path: req.path || '/',
    query: req.query,
    headers: {},
    steps: 0,
    maxSteps: options?.budget?.maxSteps ?? DEFAULT_MAX_STEPS,
  };
  try {
    return run(config, files, state);
  } catch (error) {
    if (error instanceof BudgetExceeded) return { kind: 'error', status: 508, headers: state.headers };
    if (error instanceof BadPath) return { kind: 'error', status: 400, headers: state.headers };
    throw error;
  }
}

function run(config: CompiledRoutes, files: FileLookup, state: State): RouteResult {
  const first = scan(config, files, state, null);
  if (first.kind === 'answer') return first.result;
  if (first.kind === 'status') return error(config, files, state, first.status);
  if (first.kind === 'found') return hit(config, state, first.found, first.status);

  const found = lookup(config, files, state.path);
  if (found !== undefined) return hit(config, state, found, state.status);

  for (const phase of ['filesystem', 'miss', 'rewrite'] as const) {
    const end = scan(config, files, state, phase);
    if (end.kind === 'answer') return end.result;
    if (end.kind === 'status') return error(config, files, state, end.status);
    if (end.kind === 'found') return hit(config, state, end.found, end.status);
  }
  return error(config, files, state, 404);
}

/**
 * Scan one phase's routes. A `continue` route applies and goes on; any other match ends the phase:
 * redirect / external / bare status answer, a destination that is a file is found, a `check`
 * destination that is no file goes on (the dev router's `check` miss, path = destination) unless
 * the route has a status, and a destination without `check` that is no file is a 404 — except
 * before the filesystem, where the rewritten path goes on to the filesystem.
 */
function scan(config: CompiledRoutes, files: FileLookup, state: State, phase: HandleValue | null): PhaseEnd {
  for (const prepared of config.phases.get(phase) ?? []) {
    const match = matchRoute(prepared, state);
    if (!match) continue;
    const { route: r } = prepared;
    applyHeaders(state, r.headers, match, false);
    if (r.transforms) applyTransforms(state, r.transforms);
    const dest = r.dest !== undefined ? substitute(r.dest, match) : undefined;
    if (r.continue) {
      if (r.status !== undefined) state.status = r.status;
      if (dest !== undefined) setDestination(state, dest);
      continue;
    }
    const status = r.status ?? state.status;
    const location = state.headers.location;
    if (status !== undefined && status >= 300 && status < 400 && (location !== undefined || dest !== undefined)) {
      const { location: _, ...headers } = state.headers;
      return { kind: 'answer', result: { kind: 'redirect', status, location: location ?? (dest as string), headers } };
    }
    if (dest !== undefined && isExternal(dest)) {
      return { kind: 'answer', result: { kind: 'external', url: withQuery(dest, state.query), headers: state.headers } };
    }
    if (dest === undefined) {
      if (r.status !== undefined) return { kind: 'status', status: r.status };
      // A match without dest or status (e.g. `{src: "^/\\.well-known(?:/.*)?$"}` that trailingSlash
      // adds) stops this phase: the path goes to the filesystem as it is.
      return { kind: 'none' };
    }
    setDestination(state, dest);
    const found = lookup(config, files, state.path);
    if (found !== undefined) return { kind: 'found', found, ...(status !== undefined ? { status } : {}) };
    if (r.check) {
      // The dev router's exit_with_status: a check route with a status whose destination is no
      // file answers that status (Next.js' miss route for missing /_next/static chunks).
      if (r.status !== undefined) return { kind: 'status', status: r.status };
      continue;
    }
    if (phase === null) return { kind: 'none' };
    return { kind: 'status', status: status ?? 404 };
  }
  return { kind: 'none' };
}

/** A file or a function found in the filesystem phase runs the `hit` routes (headers only). */
function hit(config: CompiledRoutes, state: State, found: Found, status: number | undefined): RouteResult {
  for (const prepared of config.phases.get('hit') ?? []) {
    const match = matchRoute(prepared, state);
    if (match) applyHeaders(state, prepared.route.headers, match, true);
  }
  if ('fn' in found) return functionResult(state, found, status);
  const { file } = found;
  const contentType = config.contentTypes.get(file);
  return { kind: 'file', path: file, status: status ?? 200, headers: state.headers, ...(contentType ? { contentType } : {}) };
}

/**
 * The error phase: the first route for this status (its `status` equal, or none) whose destination
 * is a file serves it with the status (Next.js writes one route per status: `/404` with 404, `/500`
 * with 500); else `404.html` for a 404.
 */
function error(config: CompiledRoutes, files: FileLookup, state: State, status: number): RouteResult {
  for (const prepared of config.phases.get('error') ?? []) {
    if (prepared.route.status !== undefined && prepared.route.status !== status) continue;
    const match = matchRoute(prepared, state);
    if (!match) continue;
    applyHeaders(state, prepared.route.headers, match, true);
    if (prepared.route.dest === undefined) continue;
    const dest = substitute(prepared.route.dest, match);
    const found = isExternal(dest) ? undefined : lookup(config, files, dest.split('?')[0] as string);
    if (found !== undefined && 'fn' in found) return functionResult(state, found, status);
    if (found !== undefined) return { kind: 'error', status, file: found.file, headers: state.headers };
  }
  if (status === 404 && files.has('404.html')) return { kind: 'error', status, file: '404.html', headers: state.headers };
  return { kind: 'error', status, headers: state.headers };
}

type Captures = { groups: string[]; named: Record<string, string> };

function matchRoute(prepared: PreparedRoute, state: State): Captures | undefined {
  if (++state.steps > state.maxSteps) throw new BudgetExceeded();
  if (prepared.methods && !prepared.methods.has(state.req.method.toUpperCase())) return undefined;
  const m = prepared.regex.exec(state.path);
  if (!m) return undefined;
  const captures: Captures = { groups: m.map((g) => g ?? ''), named: {} };
  for (const [name, value] of Object.entries(m.groups ?? {})) captures.named[name] = value ?? '';
  for (const c of prepared.has ?? []) {
    const found = condition(c, state);
    if (found === undefined) return undefined;
    Object.assign(captures.named, found);
  }
  for (const c of prepared.missing ?? []) if (condition(c, state) !== undefined) return undefined;
  return captures;
}

/** Whether one condition holds: its captured named groups when it does, `undefined` when not. */
function condition(c: PreparedCondition, state: State): Record<string, string> | undefined {
  const { item } = c;
  let actual: string | undefined;
  switch (item.type) {
    case 'host':
      actual = state.req.host.replace(/:\d+$/, '').toLowerCase();
      break;
    case 'header':
      actual = state.req.headers[item.key.toLowerCase()];
      break;
    case 'cookie':
      actual = cookies(state).get(item.key);
      break;
    case 'query':
      actual = (state.queryParams ??= new URLSearchParams(state.req.query)).get(item.key) ?? undefined;
      break;
  }
  if (actual === undefined) return undefined;
  if (item.value === undefined) return {};
  if (c.regex) {
    const m = c.regex.exec(actual);
    if (!m) return undefined;
    const named: Record<string, string> = {};
    for (const [name, value] of Object.entries(m.groups ?? {})) named[name] = value ?? '';
    return named;
  }
  return compare(item.value as Exclude<MatchableValue, string>, actual) ? {} : undefined;
}

function compare(v: Exclude<MatchableValue, string>, actual: string): boolean {
  const n = Number(actual);
  if (v.eq !== undefined && String(v.eq) !== actual) return false;
  if (v.neq !== undefined && v.neq === actual) return false;
  if (v.inc !== undefined && !v.inc.includes(actual)) return false;
  if (v.ninc !== undefined && v.ninc.includes(actual)) return false;
  if (v.pre !== undefined && !actual.startsWith(v.pre)) return false;
  if (v.suf !== undefined && !actual.endsWith(v.suf)) return false;
  if (v.gt !== undefined && !(n > v.gt)) return false;
  if (v.gte !== undefined && !(n >= v.gte)) return false;
  if (v.lt !== undefined && !(n < v.lt)) return false;
  if (v.lte !== undefined && !(n <= v.lte)) return false;
  return true;
}

function cookies(state: State): Map<string, string> {
  if (state.cookies) return state.cookies;
  const jar = new Map<string, string>();
  for (const part of (state.req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!jar.has(name)) jar.set(name, safeDecode(part.slice(eq + 1).trim()));
  }
  return (state.cookies = jar);
}

/**
 * `$1`, `$name` in a destination or header value → what the route captured (`""` when nothing),
 * as the dev router's `resolveRouteParameters` does: a name it knows is a named group, else a number.
 */
function substitute(template: string, c: Captures): string {
  if (!template.includes('$')) return template;
  return template.replace(/\$([1-9a-zA-Z]+)/g, (_, key: string) => {
    if (Object.hasOwn(c.named, key)) return c.named[key] as string;
    const n = Number.parseInt(key, 10);
    return Number.isNaN(n) ? '' : (c.groups[n] ?? '');
  });
}

/**
 * Route headers into the response. In `hit`, `miss` and `error` an earlier value wins (the dev
 * router: "don't override headers in the hit or miss phase"); elsewhere a later rule overrides.
 */
function applyHeaders(state: State, headers: Record<string, string> | undefined, c: Captures, keepEarlier: boolean): void {
  if (!headers) return;
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (keepEarlier && Object.hasOwn(state.headers, key)) continue;
    state.headers[key] = substitute(value, c);
  }
}

const isExternal = (dest: string): boolean => /^https?:\/\//i.test(dest);

/** A rewrite's destination becomes the path; its query is merged under the request's (the request's keys win, as in the dev router). */
function setDestination(state: State, dest: string): void {
  if (isExternal(dest)) return;
  const q = dest.indexOf('?');
  const path = q < 0 ? dest : dest.slice(0, q);
  state.path = path.startsWith('/') ? path : `/${path}`;
  if (q >= 0) state.query = mergeQuery(dest.slice(q + 1), state.query);
}

function mergeQuery(destQuery: string, reqQuery: string): string {
  if (!reqQuery) return destQuery;
  if (!destQuery) return reqQuery;
  const merged = new URLSearchParams(destQuery);
  const req = new URLSearchParams(reqQuery);
  for (const key of new Set(req.keys())) {
    merged.delete(key);
    for (const value of req.getAll(key)) merged.append(key, value);
  }
  return merged.toString();
}

function withQuery(url: string, query: string): string {
  if (!query) return url;
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  const merged = q < 0 ? query : mergeQuery(base.slice(q + 1), query);
  return `${q < 0 ? base : base.slice(0, q)}?${merged}${hash < 0 ? '' : url.slice(hash)}`;
}

class BadPath extends Error {}

const safeDecode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * The static file path a request path names, or why it names none. Percent-decoded first, then
 * checked with the one safe-relative-path rule the upload and the builder use
 * (`pathProblem`, by segment: `..` is refused, `_...slug_.css` is a file).
 * @returns the decoded relative path ("" for "/"), a trailing "/" kept
 * @throws BadPath for a malformed escape or a `.`/`..`/control-character segment (→ 400)
 */
export function requestFilePath(rawPath: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new BadPath('malformed percent-escape');
  }
  const relative = decoded.replace(/^\/+/, '');
  const trimmed = relative.endsWith('/') ? relative.slice(0, -1) : relative;
  if (trimmed !== '') {
    const problem = pathProblem(trimmed);
    if (problem) throw new BadPath(problem);
  }
  return relative;
}

/** What the filesystem phase found at a path: a static file, or a function by name. */
type Found = { file: string } | { fn: string; at: string };

function functionResult(state: State, found: { fn: string; at: string }, status: number | undefined): RouteResult {
  return {
    kind: 'function',
    name: found.fn,
    path: state.req.path || '/',
    query: state.query,
    matchedPath: `/${found.at}`,
    ...(state.requestTransforms ? { requestTransforms: state.requestTransforms } : {}),
    ...(status !== undefined ? { status } : {}),
    headers: state.headers,
  };
}

/**
 * What a path serves in the filesystem phase, or `undefined`. A static file first: the path
 * itself, an override served there, or (for a directory) its `index.html` — `index` when
 * `cleanUrls` moved it. Then a function at the path, or the directory's `index` function (`/` →
 * `functions/index.func` as Next.js writes it, `/api` → `api/index.func` as zero-config `api/index.ts`
 * is served: `vercel build` writes no route for it). A trailing "/" is tolerated (the dev server's `trimmedPath`): whether
 * the slash form is canonical is the routes' business (trailingSlash redirects before the
 * filesystem). A static file wins over a function of the same path: Vercel documents no order
 * for that clash (frameworks write one or the other for a path), so this is Runway's choice, and a
 * test says so (tests/support/routing-cases.ts `functionCases`).
 */
function lookup(config: CompiledRoutes, files: FileLookup, rawPath: string): Found | undefined {
  const relative = requestFilePath(rawPath);
  const base = relative.endsWith('/') ? relative.slice(0, -1) : relative;
  const candidates = base === '' ? ['index.html', 'index'] : [base, `${base}/index.html`, `${base}/index`];
  for (const candidate of candidates) {
    const served = config.servedAt.get(candidate);
    if (served) return { file: served.file };
    if (!config.moved.has(candidate) && files.has(candidate)) return { file: candidate };
  }
  for (const at of base === '' ? ['index'] : [base, `${base}/index`]) {
    const fn = files.fn?.(at);
    if (fn !== undefined) return { fn, at };
  }
  return undefined;
}
