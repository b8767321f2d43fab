import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { exchangeWebFlowCode } from '@octokit/oauth-methods';
import { RequestError } from '@octokit/request-error';
import { GitHubRejectedError } from '#core/errors';
import type { GitHubPort, GitRepositoryRef, RepoRef } from '#core/ports';
import { config } from '#lib/config';
import { gitHubAppSecret } from '#lib/github-app';

const RunwayOctokit = Octokit.plugin(paginateRest);
type RunwayOctokit = InstanceType<typeof RunwayOctokit>;

/**
 * The GitHub port over `@octokit/core` with `@octokit/auth-app`: App-authenticated calls (JWT)
 * for installations, and installation tokens (minted and cached by `@octokit/auth-app`, valid for
 * an hour) for everything in a repository — what `@octokit/app` does, without its OAuth and
 * webhooks parts (which every function using this port would bundle). The base URL is
 * configurable (GitHub Enterprise, or the local fake in tests).
 */
export class OctokitGitHub implements GitHubPort {
  #app: RunwayOctokit | undefined;
  #identity: string | undefined;
  #appId: number | undefined;

  async app(): Promise<{ slug: string; clientId: string }> {
    const secret = await gitHubAppSecret();
    return { slug: secret.appSlug, clientId: secret.clientId };
  }

  async installation(installationId: number) {
    const app = await this.#appClient();
    try {
      const { data } = await app.request('GET /app/installations/{installation_id}', { installation_id: installationId });
      const account = data.account && 'login' in data.account ? { login: data.account.login, type: data.account.type } : { login: String(data.account?.name ?? 'unknown') };
      return {
        id: data.id,
        account,
        createdAt: new Date(data.created_at).toISOString(),
        suspended: Boolean(data.suspended_at),
        repositorySelection: data.repository_selection,
      };
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  async repositories(installationId: number): Promise<GitRepositoryRef[]> {
    return rejecting(async () => {
      const octokit = await this.#installation(installationId);
      const repos = await octokit.paginate('GET /installation/repositories', { per_page: 100 });
      return repos.map((r) => ({ id: Number(r.id), fullName: r.full_name, private: r.private, defaultBranch: r.default_branch }));
    });
  }

  async userInstallations(code: string): Promise<number[]> {
    return rejecting(async () => {
      const secret = await gitHubAppSecret();
      const request = RunwayOctokit.defaults({ baseUrl: baseUrl(), userAgent: 'runway' });
      const { authentication } = await exchangeWebFlowCode({ clientType: 'github-app', clientId: secret.clientId, clientSecret: secret.clientSecret, code, request: new request().request });
      const user = new request({ auth: authentication.token });
      const installations = await user.paginate('GET /user/installations', { per_page: 100 });
      return installations.map((i) => Number(i.id));
    });
  }

  async commit(ref: RepoRef, gitRef: string) {
    const octokit = await this.#installation(ref.installationId);
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}', { ...split(ref.repo), ref: gitRef });
      return { sha: data.sha, message: data.commit.message };
    } catch (error) {
      if (error instanceof RequestError && (error.status === 404 || error.status === 422)) return undefined;
      return rejecting(() => Promise.reject(error));
    }
  }

  async tarballUrl(ref: RepoRef, sha: string): Promise<string> {
    return rejecting(async () => {
      const octokit = await this.#installation(ref.installationId);
      // GitHub answers with a redirect to codeload carrying its own short-lived token: hand that URL
      // to the build, never the installation token.
      const response = await octokit.request('GET /repos/{owner}/{repo}/tarball/{ref}', { ...split(ref.repo), ref: sha, request: { redirect: 'manual' } });
      const location = (response.headers as Record<string, string | undefined>).location;
      if (!location) throw new Error(`GitHub answered the tarball request of ${ref.repo} with ${response.status} and no location`);
      return location;
    });
  }

  async setCommitStatus(ref: RepoRef, sha: string, status: Parameters<GitHubPort['setCommitStatus']>[2]): Promise<void> {
    return rejecting(async () => {
      const octokit = await this.#installation(ref.installationId);
      await octokit.request('POST /repos/{owner}/{repo}/statuses/{sha}', {
        ...split(ref.repo),
        sha,
        state: status.state,
        context: status.context,
        description: status.description.slice(0, 140),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    });
  }

  async createDeployment(ref: RepoRef, input: Parameters<GitHubPort['createDeployment']>[1]): Promise<number> {
    return rejecting(async () => {
      const octokit = await this.#installation(ref.installationId);
      const { data } = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
        ...split(ref.repo),
        ref: input.sha,
        environment: input.environment,
        description: input.description.slice(0, 140),
        payload: input.payload,
        auto_merge: false,
        // Runway's own status is the check; GitHub must not wait for other contexts.
        required_contexts: [],
        production_environment: input.production,
        transient_environment: input.transient,
      });
      if (!('id' in data)) throw new Error(`GitHub did not create a deployment for ${ref.repo}@${input.sha}: ${data.message ?? 'no id'}`);
      return Number(data.id);
    });
  }

  async setDeploymentStatus(ref: RepoRef, deploymentId: number, status: Parameters<GitHubPort['setDeploymentStatus']>[2]): Promise<void> {
    return rejecting(async () => {
      const octokit = await this.#installation(ref.installationId);
      await octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        ...split(ref.repo),
        deployment_id: deploymentId,
        state: status.state,
        description: status.description.slice(0, 140),
        // Previews of several branches share the Preview environment: one must not retire the others.
        auto_inactive: false,
        ...(status.environmentUrl ? { environment_url: status.environmentUrl } : {}),
        ...(status.logUrl ? { log_url: status.logUrl } : {}),
      });
    });
  }

  async upsertComment(ref: RepoRef, issueNumber: number, marker: string, body: string): Promise<void> {
    return rejecting(async () => {
      const octokit = await this.#installation(ref.installationId);
      const params = { ...split(ref.repo), issue_number: issueNumber };
      const comments = await octokit.paginate('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...params, per_page: 100 });
      // Only a comment this App wrote: never edit a person's comment that quotes the marker.
      const existing = comments.find((c) => c.body?.includes(marker) && c.performed_via_github_app?.id === this.#appId);
      if (existing) await octokit.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { ...split(ref.repo), comment_id: existing.id, body });
      else await octokit.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { ...params, body });
    });
  }

  /** An installation's client; its tokens share the App client's cache (as `@octokit/app`'s `getInstallationOctokit`). */
  async #installation(installationId: number): Promise<RunwayOctokit> {
    const app = await this.#appClient();
    return (await app.auth({
      type: 'installation',
      installationId,
      factory: (auth: { octokitOptions: Record<string, unknown> } & Record<string, unknown>) =>
        new RunwayOctokit({ ...auth.octokitOptions, authStrategy: createAppAuth, auth: { ...auth, installationId } }),
    })) as RunwayOctokit;
  }

  /**
   * The App client for the current secret: the secret is re-read through Powertools' 5-minute
   * cache, and a rotated key or App id builds a new client (installation tokens are per client).
   */
  async #appClient(): Promise<RunwayOctokit> {
    const secret = await gitHubAppSecret();
    const identity = `${secret.appId}:${secret.privateKey}`;
    if (!this.#app || this.#identity !== identity) {
      this.#identity = identity;
      this.#appId = secret.appId;
      this.#app = new RunwayOctokit({
        baseUrl: baseUrl(),
        userAgent: 'runway',
        authStrategy: createAppAuth,
        auth: { appId: secret.appId, privateKey: secret.privateKey },
      });
    }
    return this.#app;
  }
}

/** The REST API's base URL, without the trailing slash octokit would double. */
const baseUrl = (): string => config().RUNWAY_GITHUB_API_URL.replace(/\/+$/, '');

/** GitHub's answers that no retry changes, as a domain error (422 `github_rejected`). */
const PERMANENT = new Set([400, 401, 403, 404, 409, 422]);

async function rejecting<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RequestError && PERMANENT.has(error.status)) {
      throw new GitHubRejectedError('github_rejected', `GitHub refused the request (${error.status}): ${error.message.slice(0, 200)}`, { status: error.status }, { cause: error });
    }
    throw error;
  }
}

function split(fullName: string): { owner: string; repo: string } {
  const [owner = '', repo = ''] = fullName.split('/');
  return { owner, repo };
}
