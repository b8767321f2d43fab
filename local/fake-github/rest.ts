/**
 * GitHub's REST API as the App uses it: App endpoints (its JWT), the installation's repositories,
 * commits, statuses, deployments and comments (an installation token), and codeload's tarball
 * downloads behind the tarball redirect.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { allows } from './auth.ts';
import { app, created, GitHubApiError, installation, noCommit, none, notFound, ok, page, parseBody, positiveInt, repo, type Reply, type RepoContext, type Route } from './http.ts';
import {
  APP_PERMISSIONS,
  type Access,
  type CommentState,
  type CommitState,
  type DeploymentState,
  type DeploymentStatusState,
  type InstallationState,
  nowIso,
  type Permission,
  type Permissions,
  repoKey,
  type RepoState,
  type StatusState,
  tarballPrefix,
  type TokenState,
  type World,
} from './world.ts';

const INSTALLATION_TOKEN_TTL_MS = 60 * 60 * 1000;
/** codeload URLs are short-lived on GitHub too; long enough for a build to start its download. */
const CODELOAD_TTL_MS = 5 * 60 * 1000;

const StatusBody = z.strictObject({
  state: z.enum(['error', 'failure', 'pending', 'success']),
  target_url: z.string().nullish(),
  description: z.string().max(140).nullish(),
  context: z.string().min(1).optional(),
});

const DeploymentBody = z.strictObject({
  ref: z.string().min(1),
  task: z.string().optional(),
  auto_merge: z.boolean().optional(),
  required_contexts: z.array(z.string()).optional(),
  payload: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  environment: z.string().min(1).optional(),
  description: z.string().nullish(),
  transient_environment: z.boolean().optional(),
  production_environment: z.boolean().optional(),
});

const DeploymentStatusBody = z.strictObject({
  state: z.enum(['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success']),
  target_url: z.string().optional(),
  log_url: z.string().optional(),
  description: z.string().max(140).optional(),
  environment: z.string().min(1).optional(),
  environment_url: z.string().optional(),
  auto_inactive: z.boolean().optional(),
});

const CommentBody = z.strictObject({ body: z.string() });

const AccessTokenBody = z.strictObject({
  repositories: z.array(z.string()).optional(),
  repository_ids: z.array(z.number().int()).optional(),
  permissions: z.record(z.string(), z.enum(['read', 'write'])).optional(),
});

/** The REST routes, in the order they are tried. */
export function restRoutes(world: World): Route[] {
  const installationOr404 = (id: string | undefined) => {
    const found = world.installations.get(positiveInt(id));
    if (!found) throw notFound();
    return found;
  };
  const commitOr422 = (r: RepoState, ref: string) => {
    const found = world.resolve(r, ref);
    if (!found) throw noCommit(ref);
    return found;
  };
  const deploymentOr404 = (r: RepoState, id: string | undefined) => {
    const n = positiveInt(id);
    const found = r.deployments.find((d) => d.id === n);
    if (!found) throw notFound();
    return found;
  };
  const tarball = ({ repo: r, params }: RepoContext): Reply => {
    const found = world.resolve(r, params.ref ?? r.defaultBranch);
    if (!found) throw notFound();
    const token = randomBytes(20).toString('hex');
    world.codeload.set(token, { repoKey: repoKey(r.fullName), sha: found.sha, expiresAt: Date.now() + CODELOAD_TTL_MS });
    return { status: 302, headers: { location: `${world.url}/_codeload/${r.owner}/${r.name}/legacy.tar.gz/${found.sha}?token=${token}` } };
  };

  return [
    // --- App (JWT) ---------------------------------------------------------------------------
    app('GET', '/app', () => ok(world.appJson())),
    app('GET', '/app/installations', ({ url }) => {
      const { items, headers } = page(url, [...world.installations.values()].sort((a, b) => a.id - b.id));
      return ok(
        items.map((i) => world.installationJson(i)),
        headers,
      );
    }),
    app('GET', '/app/installations/{id}', ({ params }) => ok(world.installationJson(installationOr404(params.id)))),
    app('POST', '/app/installations/{id}/access_tokens', ({ params, body }) => {
      const inst = installationOr404(params.id);
      const input = parseBody(AccessTokenBody, body, 'Installation');
      let repoKeys: Set<string> | undefined;
      if (input.repositories || input.repository_ids) {
        const repos = [...inst.repoKeys].map((key) => world.repos.get(key) as RepoState);
        const wanted = [
          ...(input.repositories ?? []).map((name) => repos.find((r) => r.name.toLowerCase() === name.toLowerCase())),
          ...(input.repository_ids ?? []).map((id) => repos.find((r) => r.id === id)),
        ];
        if (wanted.some((r) => !r)) throw new GitHubApiError(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
        repoKeys = new Set(wanted.map((r) => repoKey((r as RepoState).fullName)));
      }
      let permissions: Permissions = { ...APP_PERMISSIONS };
      if (input.permissions) {
        const requested = Object.entries(input.permissions) as Array<[Permission, Access]>;
        if (requested.some((grant) => !allows(APP_PERMISSIONS, grant))) throw new GitHubApiError(422, 'The permissions requested are not granted to this installation.');
        // A narrowed token still reads metadata: GitHub grants it with any repository permission.
        permissions = { metadata: 'read', ...Object.fromEntries(requested) };
      }
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      const state: TokenState = { installationId: inst.id, expiresAt: Date.now() + INSTALLATION_TOKEN_TTL_MS, permissions, ...(repoKeys ? { repoKeys } : {}) };
      world.tokens.set(token, state);
      return created({
        token,
        expires_at: new Date(state.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions,
        repository_selection: 'selected',
        ...(repoKeys ? { repositories: [...repoKeys].map((key) => world.repoJson(world.repos.get(key) as RepoState)) } : {}),
      });
    }),
    app('GET', '/repos/{owner}/{repo}/installation', ({ params }) => {
      const inst = world.installationOf(repoKey(`${params.owner}/${params.repo}`));
      if (!inst) throw notFound();
      return ok(world.installationJson(inst));
    }),

    // --- Installation token ------------------------------------------------------------------
    installation('GET', '/installation/repositories', ['metadata', 'read'], ({ token, url }) => {
      const inst = world.installations.get(token.installationId) as InstallationState;
      const reachable = [...inst.repoKeys].filter((key) => !token.repoKeys || token.repoKeys.has(key));
      const repos = reachable.map((key) => world.repos.get(key) as RepoState).sort((a, b) => a.id - b.id);
      const { items, headers } = page(url, repos);
      // `total_count` first and the list under one other key: plugin-paginate-rest unwraps exactly this shape.
      return ok({ total_count: repos.length, repository_selection: 'selected', repositories: items.map((r) => world.repoJson(r)) }, headers);
    }),
    repo('GET', '', ['metadata', 'read'], ({ repo: r }) => ok(world.repoJson(r))),
    // Before `commits/{ref+}`, which would otherwise take `main/statuses` as a branch name.
    repo('GET', '/commits/{ref+}/statuses', ['statuses', 'read'], ({ repo: r, params, url }) => {
      const found = commitOr422(r, params.ref as string);
      const statuses = [...(r.statuses.get(found.sha) ?? [])].reverse();
      const { items, headers } = page(url, statuses);
      return ok(
        items.map((s) => world.statusJson(r, s)),
        headers,
      );
    }),
    repo('GET', '/commits/{ref+}', ['contents', 'read'], ({ repo: r, params }) => ok(world.commitJson(r, commitOr422(r, params.ref as string)))),
    repo('GET', '/tarball', ['contents', 'read'], tarball),
    repo('GET', '/tarball/{ref+}', ['contents', 'read'], tarball),
    repo('POST', '/statuses/{sha}', ['statuses', 'write'], ({ repo: r, params, body }) => {
      const input = parseBody(StatusBody, body, 'Status');
      const sha = params.sha as string;
      // Statuses attach to a commit, not a branch: GitHub wants the full sha here.
      const found = /^[0-9a-f]{40}$/i.test(sha) ? r.commits.get(sha.toLowerCase()) : undefined;
      if (!found) throw noCommit(sha);
      const status: StatusState = { id: world.nextId(), state: input.state, description: input.description ?? null, targetUrl: input.target_url ?? null, context: input.context ?? 'default', createdAt: nowIso() };
      r.statuses.set(found.sha, [...(r.statuses.get(found.sha) ?? []), status]);
      return created(world.statusJson(r, status));
    }),
    repo('GET', '/deployments', ['deployments', 'read'], ({ repo: r, url }) => {
      const filters = (['sha', 'ref', 'task', 'environment'] as const).flatMap((field) => {
        const value = url.searchParams.get(field);
        return value === null ? [] : [[field, value] as const];
      });
      const matching = r.deployments.filter((d) => filters.every(([field, value]) => d[field] === value)).reverse();
      const { items, headers } = page(url, matching);
      return ok(
        items.map((d) => world.deploymentJson(r, d)),
        headers,
      );
    }),
    repo('POST', '/deployments', ['deployments', 'write'], ({ repo: r, body }) => {
      const input = parseBody(DeploymentBody, body, 'Deployment');
      const found = world.resolve(r, input.ref);
      if (!found) throw new GitHubApiError(422, `No ref found for: ${input.ref}`);
      // Like GitHub, by default every context with a status on the commit must be green. Runway
      // passes `required_contexts: []`; an adapter that forgets gets GitHub's 409 here too.
      // (`auto_merge` is not emulated: the fake never merges branches.)
      const latest = new Map((r.statuses.get(found.sha) ?? []).map((s) => [s.context, s.state]));
      const required = input.required_contexts ?? [...latest.keys()];
      const failing = required.filter((context) => latest.get(context) !== 'success');
      if (failing.length > 0) {
        throw new GitHubApiError(409, `Conflict: Commit status checks failed for ${input.ref}.`, { errors: [{ contexts: failing.map((context) => ({ context, state: latest.get(context) ?? 'missing' })), resource: 'Deployment', field: 'required_contexts', code: 'invalid' }] });
      }
      const environment = input.environment ?? 'production';
      const at = nowIso();
      const deployment: DeploymentState = {
        id: world.nextId(),
        sha: found.sha,
        ref: input.ref,
        task: input.task ?? 'deploy',
        payload: input.payload ?? {},
        environment,
        originalEnvironment: environment,
        description: input.description ?? null,
        transient: input.transient_environment ?? false,
        production: input.production_environment ?? environment === 'production',
        createdAt: at,
        updatedAt: at,
        statuses: [],
      };
      r.deployments.push(deployment);
      return created(world.deploymentJson(r, deployment));
    }),
    repo('GET', '/deployments/{id}', ['deployments', 'read'], ({ repo: r, params }) => ok(world.deploymentJson(r, deploymentOr404(r, params.id)))),
    repo('GET', '/deployments/{id}/statuses', ['deployments', 'read'], ({ repo: r, params, url }) => {
      const deployment = deploymentOr404(r, params.id);
      const { items, headers } = page(url, [...deployment.statuses].reverse());
      return ok(
        items.map((s) => world.deploymentStatusJson(r, deployment, s)),
        headers,
      );
    }),
    repo('POST', '/deployments/{id}/statuses', ['deployments', 'write'], ({ repo: r, params, body }) => {
      const deployment = deploymentOr404(r, params.id);
      const input = parseBody(DeploymentStatusBody, body, 'DeploymentStatus');
      const at = nowIso();
      if (input.environment) deployment.environment = input.environment;
      const status: DeploymentStatusState = {
        id: world.nextId(),
        state: input.state,
        description: input.description ?? '',
        environment: deployment.environment,
        logUrl: input.log_url ?? input.target_url ?? '',
        environmentUrl: input.environment_url ?? '',
        createdAt: at,
      };
      deployment.statuses.push(status);
      deployment.updatedAt = at;
      // GitHub's `auto_inactive` (default true): a success retires the earlier non-transient,
      // non-production deployments of the same environment.
      if (input.state === 'success' && input.auto_inactive !== false) {
        for (const other of r.deployments) {
          if (other.id >= deployment.id || other.environment !== deployment.environment || other.transient || other.production) continue;
          if (other.statuses.at(-1)?.state === 'inactive') continue;
          other.statuses.push({ id: world.nextId(), state: 'inactive', description: '', environment: other.environment, logUrl: '', environmentUrl: '', createdAt: at });
        }
      }
      return created(world.deploymentStatusJson(r, deployment, status));
    }),
    // Issues and pull requests are not modelled: every issue number exists and is open.
    repo('GET', '/issues/{number}/comments', ['pull_requests', 'read'], ({ repo: r, params, url }) => {
      const n = positiveInt(params.number);
      const { items, headers } = page(
        url,
        r.comments.filter((c) => c.issueNumber === n),
      );
      return ok(
        items.map((c) => world.commentJson(r, c)),
        headers,
      );
    }),
    repo('POST', '/issues/{number}/comments', ['pull_requests', 'write'], ({ repo: r, params, body }) => {
      const issueNumber = positiveInt(params.number);
      const input = parseBody(CommentBody, body, 'IssueComment');
      const at = nowIso();
      const comment: CommentState = { id: world.nextId(), issueNumber, body: input.body, createdAt: at, updatedAt: at };
      r.comments.push(comment);
      return created(world.commentJson(r, comment));
    }),
    repo('PATCH', '/issues/comments/{id}', ['pull_requests', 'write'], ({ repo: r, params, body }) => {
      const id = positiveInt(params.id);
      const comment = r.comments.find((c) => c.id === id);
      if (!comment) throw notFound();
      comment.body = parseBody(CommentBody, body, 'IssueComment').body;
      comment.updatedAt = nowIso();
      return ok(world.commentJson(r, comment));
    }),

    // --- codeload (the tarball redirect's target) --------------------------------------------
    none(
      'GET',
      '/_codeload/{owner}/{repo}/legacy.tar.gz/{sha}',
      async ({ headers, params, url }) => {
        // The signed URL is the only credential here. Refusing an Authorization header proves in
        // tests that a client never forwards its installation token to the download host.
        if (headers.authorization !== undefined) throw new GitHubApiError(400, 'codeload does not take an Authorization header: the URL is the credential');
        const token = url.searchParams.get('token') ?? '';
        const grant = world.codeload.get(token);
        const key = repoKey(`${params.owner}/${params.repo}`);
        if (!grant || grant.expiresAt <= Date.now() || grant.repoKey !== key || grant.sha !== params.sha) throw notFound();
        // One use only: a URL that leaked into a log is worthless once the build has downloaded it.
        world.codeload.delete(token);
        const r = world.repos.get(key) as RepoState;
        const raw = await world.tarball(r, r.commits.get(grant.sha) as CommitState);
        return { status: 200, raw, headers: { 'content-type': 'application/x-gzip', 'content-disposition': `attachment; filename=${tarballPrefix(r, grant.sha)}.tar.gz` } };
      },
      false,
    ),

  ];
}
