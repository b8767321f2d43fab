import { createHash } from 'node:crypto';
import { afterEach, beforeEach, vi } from 'vitest';
import { Build } from '../../functions/src/core/build/index.ts';
import type { DeploymentInfo } from '../../functions/src/core/deployment/index.ts';
import type { GitHubJob } from '../../functions/src/core/github/index.ts';
import { Project, type ProjectInfo } from '../../functions/src/core/project/index.ts';
import { compileBuildOutputConfig } from '../../functions/src/core/routing/config.ts';
import { useMemoryContext, type MemoryContext } from './memory-context.ts';

/**
 * The domain on in-memory repositories, with the helpers its unit tests share: a fresh context
 * and a fake clock per test, projects, file deployments, what a build leaves behind, and GitHub
 * pushes of a linked repository.
 */
export function useDomain(teamId = 'team_aaaaaaaaaaaaaaaa') {
  let ctx: MemoryContext;
  let clock = Date.parse('2026-03-01T12:00:00Z');
  beforeEach(() => {
    ctx = useMemoryContext();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(clock);
  });
  afterEach(() => {
    vi.useRealTimers();
    ctx.restore();
  });

  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  /** Moves the clock on, so records made one after another have increasing timestamps. */
  const tick = (ms = 1000) => vi.setSystemTime((clock += ms));

  async function newProject(overrides: Partial<Parameters<typeof Project.create>[1]> = {}, team = teamId): Promise<ProjectInfo> {
    return Project.create(team, { name: `p${Math.random().toString(36).slice(2, 10)}`, ...overrides });
  }

  async function filesDeployment(project: ProjectInfo, options: { target?: 'production' | 'preview'; branch?: string } = {}): Promise<DeploymentInfo> {
    tick();
    const files = [{ file: 'index.html', sha: sha('hi'), size: 2 }];
    await ctx.blobs.put(project.teamId, sha('hi'), Buffer.from('hi'));
    return Build.submit({ teamId: project.teamId, project, target: options.target ?? 'preview', source: { type: 'files', files }, branch: options.branch });
  }

  /** What a successful build leaves behind: its blobs and its manifest. */
  function buildOutput(deployment: DeploymentInfo, files: Record<string, string>, config?: unknown): void {
    const manifest: Record<string, { sha: string; size: number; contentType: string }> = {};
    for (const [path, text] of Object.entries(files)) {
      // One bucket in AWS: the artifact store and the blob store see the same blobs.
      ctx.artifacts.objects.set(`blobs/${deployment.teamId}/${sha(text)}`, { text });
      void ctx.blobs.put(deployment.teamId, sha(text), Buffer.from(text));
      manifest[path] = { sha: sha(text), size: text.length, contentType: 'text/html; charset=utf-8' };
    }
    // As the builder does: vercel.json / runway.json compiled into Build Output API config.
    const raw = (config ?? {}) as { runwayJson?: unknown; vercelJson?: unknown; buildOutput?: unknown };
    const compiled = raw.buildOutput === undefined ? { ...raw, buildOutput: compileBuildOutputConfig({ ...raw, files: Object.keys(files) }) } : raw;
    const body = { version: 1, deploymentId: deployment.id, framework: 'static', createdAt: new Date().toISOString(), files: manifest, config: compiled };
    ctx.artifacts.objects.set(`manifests/${deployment.id}.json`, { text: JSON.stringify(body) });
  }

  async function ready(deployment: DeploymentInfo, files: Record<string, string> = { 'index.html': `<h1>${deployment.id}</h1>` }, config?: unknown): Promise<DeploymentInfo> {
    buildOutput(deployment, files, config);
    return Build.finalize(deployment.id);
  }

  const repo = 'octo-org/site';
  const installationId = 42;

  /** A project of the team linked to `repo` through an installation of the App. */
  async function linkedProject(overrides: Partial<Parameters<typeof Project.create>[1]> = {}): Promise<ProjectInfo> {
    const now = new Date().toISOString();
    await ctx.installations.link({ installationId, accountLogin: 'octo-org', teamId, linkedAt: now, createdAt: now, updatedAt: now });
    await ctx.installations.putRepositories([{ installationId, repoId: 7, fullName: repo, private: false }]);
    return newProject({ gitRepository: { provider: 'github', repo, installationId, repoId: 7 }, ...overrides });
  }

  /** A push of `sha` to `branch` of `repo`, as the webhook makes it a job. */
  const push = (sha: string, branch = 'main', message = 'Update'): Extract<GitHubJob, { kind: 'push' }> => ({
    kind: 'push',
    deliveryId: `d-${sha.slice(0, 4)}-${branch}`,
    installationId,
    repository: { id: 7, fullName: repo },
    branch,
    after: sha,
    deleted: false,
    headCommit: { sha, message },
  });

  /** A pull request event of `branch` at `sha`. */
  const pullRequest = (action: 'opened' | 'closed' | 'synchronize', number: number, branch: string, sha: string): Extract<GitHubJob, { kind: 'pull_request' }> => ({
    kind: 'pull_request',
    deliveryId: `pr-${number}-${action}-${sha.slice(0, 4)}`,
    action,
    installationId,
    repository: { id: 7, fullName: repo },
    number,
    branch,
    headSha: sha,
    fromFork: false,
  });

  return {
    ctx: () => ctx,
    teamId,
    sha,
    tick,
    newProject,
    filesDeployment,
    buildOutput,
    ready,
    repo,
    installationId,
    linkedProject,
    push,
    pullRequest,
  };
}
