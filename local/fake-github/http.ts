/**
 * The fake GitHub's HTTP kernel: route definitions, GitHub's error and pagination shapes, and
 * the dispatcher that authenticates, records and routes each request. Paths are matched by the
 * route matcher the local API gateway uses too.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { createRouteMatcher } from '../route-matcher.ts';
import { allows, authenticate, JWT_UNDECODABLE } from './auth.ts';
import type { FakeGitHubCall } from './types.ts';
import type { Access, Permission, RepoState, TokenState, UserTokenState, World } from './world.ts';
import { repoKey } from './world.ts';

const DOCS_URL = 'https://docs.github.com/rest';
/** Where the App's OAuth secrets appear in `POST /login/oauth/access_token`: `calls` records them as this. */
const REDACTED = '[REDACTED]';
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** A push through the control API carries a whole tree (binary files base64-encoded). */
const MAX_CONTROL_BODY_BYTES = 50 * 1024 * 1024;
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;

/** An answer in GitHub's error shape; thrown by handlers, rendered by the dispatcher. */
export class GitHubApiError extends Error {
  override name = 'GitHubApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const notFound = () => new GitHubApiError(404, 'Not Found');
export const noCommit = (ref: string) => new GitHubApiError(422, `No commit found for SHA: ${ref}`);

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

export interface RequestContext {
  url: URL;
  params: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
}
interface InstallationContext extends RequestContext {
  token: TokenState;
}
export interface RepoContext extends InstallationContext {
  repo: RepoState;
}
interface UserContext extends RequestContext {
  user: UserTokenState;
}

interface RouteBase {
  method: string;
  /** The path template: `{x}` is one path segment, `{x+}` one or more (branch names have slashes). */
  path: string;
  /** Also takes an `application/x-www-form-urlencoded` body (as an object), as OAuth endpoints do. */
  form?: boolean;
  /** Body fields and query parameters recorded as `[REDACTED]` in `calls`. */
  redact?: readonly string[];
}
export type Route = RouteBase &
  (
    | { auth: 'none'; record: boolean; handle: (ctx: RequestContext) => Reply | Promise<Reply> }
    | { auth: 'app'; handle: (ctx: RequestContext) => Reply | Promise<Reply> }
    | { auth: 'installation'; permission: readonly [Permission, Access]; handle: (ctx: InstallationContext) => Reply | Promise<Reply> }
    /** Under `/repos/{owner}/{repo}`: the dispatcher finds the repository within the token's reach. */
    | { auth: 'repo'; permission: readonly [Permission, Access]; handle: (ctx: RepoContext) => Reply | Promise<Reply> }
    /** A user access token (`ghu_`, from the OAuth web flow). */
    | { auth: 'user'; handle: (ctx: UserContext) => Reply | Promise<Reply> }
  );

type Handle<C> = (ctx: C) => Reply | Promise<Reply>;

/** A route anyone may call; `record: false` keeps it out of `calls` (codeload, control API). */
export const none = (method: string, path: string, handle: Handle<RequestContext>, record = true): Route => ({ method, path, auth: 'none', record, handle });
/** A route for the App itself (its JWT). */
export const app = (method: string, path: string, handle: Handle<RequestContext>): Route => ({ method, path, auth: 'app', handle });
/** A route for an installation token with `permission`. */
export const installation = (method: string, path: string, permission: readonly [Permission, Access], handle: Handle<InstallationContext>): Route => ({ method, path, auth: 'installation', permission, handle });
/** A route under `/repos/{owner}/{repo}` for an installation token that reaches that repository. */
export const repo = (method: string, path: string, permission: readonly [Permission, Access], handle: Handle<RepoContext>): Route => ({ method, path: `/repos/{owner}/{repo}${path}`, auth: 'repo', permission, handle });
/** A route for a user access token. */
export const user = (method: string, path: string, handle: Handle<UserContext>): Route => ({ method, path, auth: 'user', handle });


export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, ...(headers ? { headers } : {}) });
export const created = (body: unknown): Reply => ({ status: 201, body });

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A github.com web page: HTML, not the API's JSON. */
export function htmlPage(status: number, title: string, body: string): Reply {
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title>${body}\n`;
  return { status, raw: Buffer.from(html), headers: { 'content-type': 'text/html; charset=utf-8' } };
}

/**
 * Validates a request body as GitHub does (422 "Validation Failed"). Unknown fields are refused,
 * where GitHub ignores them: a misspelt field would otherwise pass here and silently do nothing there.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, resource: string): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new GitHubApiError(422, 'Validation Failed', {
    errors: result.error.issues.map((issue) => ({ resource, field: issue.path.join('.'), code: issue.code === 'unrecognized_keys' ? 'unexpected' : 'invalid', message: issue.message })),
  });
}

/** One page of `items` per `per_page`/`page`, with GitHub's `Link` header so Octokit's `paginate` walks them. */
export function page<T>(url: URL, items: T[]): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number.parseInt(url.searchParams.get('per_page') ?? '', 10) || DEFAULT_PER_PAGE));
  const current = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '', 10) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const at = (n: number) => {
    const target = new URL(url.href);
    target.searchParams.set('per_page', String(perPage));
    target.searchParams.set('page', String(n));
    return target.href;
  };
  const links = [
    ...(current > 1 ? [`<${at(current - 1)}>; rel="prev"`] : []),
    ...(current < last ? [`<${at(current + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`] : []),
    ...(current > 1 ? [`<${at(1)}>; rel="first"`] : []),
  ];
  return { items: items.slice((current - 1) * perPage, current * perPage), headers: links.length ? { link: links.join(', ') } : {} };
}

export function positiveInt(value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw notFound();
  return n;
}

/** The first route of the table that matches a request. */
export type RouteMatcher = ReturnType<typeof createRouteMatcher<Route>>;

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new GitHubApiError(413, `Payload too large: at most ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function send(res: ServerResponse, reply: Reply): void {
  const payload = reply.raw ?? (reply.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(reply.body)));
  const headers: Record<string, string> = { ...reply.headers, 'content-length': String(payload.length) };
  if (!reply.raw && reply.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  res.writeHead(reply.status, headers).end(payload);
}

export function errorReply(error: GitHubApiError): Reply {
  return { status: error.status, body: { message: error.message, ...error.extra, documentation_url: DOCS_URL, status: String(error.status) } };
}

/** The call with the secrets among `fields` replaced, in the body and in the query string. */
function redactCall(call: FakeGitHubCall, url: URL, fields: readonly string[]): FakeGitHubCall {
  let { body, path: recorded } = call;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    body = Object.fromEntries(Object.entries(body).map(([key, value]) => [key, fields.includes(key) ? REDACTED : value]));
  } else if (body !== undefined) {
    // Text that did not parse may still hold a secret.
    body = REDACTED;
  }
  if (fields.some((field) => url.searchParams.has(field))) {
    const query = new URLSearchParams(url.search);
    for (const field of fields) if (query.has(field)) query.set(field, REDACTED);
    recorded = `${url.pathname}?${query.toString()}`;
  }
  return { ...call, body, path: recorded };
}

/**
 * Answers one request: reads the body (form or JSON), authenticates, records the call (secrets
 * redacted), routes, and checks that the credential may use the route. Throws
 * {@link GitHubApiError} for GitHub's error answers.
 */
export async function dispatch(world: World, matchRoute: RouteMatcher, req: IncomingMessage): Promise<Reply> {
  // Concatenated, not resolved: a path like `//app` (a baseUrl with a trailing slash) must stay a path.
  const url = new URL(`${world.url}${req.url ?? '/'}`);
  const raw = await readBody(req, url.pathname.startsWith('/_fake/') ? MAX_CONTROL_BODY_BYTES : MAX_BODY_BYTES);
  const principal = authenticate(world, req.headers.authorization);
  const method = req.method ?? 'GET';
  const matched = matchRoute(method, url.pathname);
  const route = matched?.route;
  const params = matched?.params ?? {};
  let body: unknown;
  let badJson = false;
  if (raw.length > 0) {
    const text = raw.toString('utf8');
    if (route?.form && /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      body = Object.fromEntries(new URLSearchParams(text));
    } else {
      try {
        body = JSON.parse(text);
      } catch {
        // Answered below with GitHub's 400; the call log keeps the text that failed.
        badJson = true;
        body = text;
      }
    }
  }
  if (!(route?.auth === 'none' && !route.record)) {
    const call: FakeGitHubCall = { method, path: url.pathname + url.search, body, auth: principal.kind };
    world.calls.push(route?.redact ? redactCall(call, url, route.redact) : call);
  }

  if (badJson) throw new GitHubApiError(400, 'Problems parsing JSON');
  // GitHub answers an unknown path and a known path with the wrong method alike.
  if (!route) throw notFound();
  const ctx: RequestContext = { url, params, body, headers: req.headers };
  switch (route.auth) {
    case 'none':
      return route.handle(ctx);
    case 'app':
      if (principal.kind === 'app') return route.handle(ctx);
      throw new GitHubApiError(401, principal.kind === 'none' ? principal.problem : JWT_UNDECODABLE);
    case 'user':
      if (principal.kind === 'user') return route.handle({ ...ctx, user: principal.user });
      if (principal.kind === 'none') throw new GitHubApiError(401, principal.problem);
      throw new GitHubApiError(403, 'You must authenticate with an access token authorized to a GitHub App in order to list installations');
    case 'installation':
    case 'repo': {
      if (principal.kind === 'none') throw new GitHubApiError(401, principal.problem);
      // A user token reaches repositories on GitHub as far as both the user and the App may; the
      // fake does not model users' repository access, so it refuses them here.
      if (principal.kind === 'app' || principal.kind === 'user') throw new GitHubApiError(403, 'Resource not accessible by integration');
      const { token } = principal;
      if (route.auth === 'installation') {
        if (!allows(token.permissions, route.permission)) throw new GitHubApiError(403, 'Resource not accessible by integration');
        return route.handle({ ...ctx, token });
      }
      // A repository outside the token's installation (or its narrowed list) is invisible: 404, not 403.
      const key = repoKey(`${params.owner}/${params.repo}`);
      const repo = world.repos.get(key);
      const inst = world.installations.get(token.installationId);
      if (!repo || !inst?.repoKeys.has(key) || (token.repoKeys && !token.repoKeys.has(key))) throw notFound();
      if (!allows(token.permissions, route.permission)) throw new GitHubApiError(403, 'Resource not accessible by integration');
      return route.handle({ ...ctx, token, repo });
    }
  }
}
