import { Alias } from '#core/alias/index';
import * as Build from '#core/build/lifecycle';
import { record as buildRecord } from '#core/build/tokens';
import { context } from '#core/context';
import { Deployment, type DeploymentInfo, type DeploymentSource } from '#core/deployment/index';
import { ConflictError, NotFoundError, ValidationError } from '#core/errors';
import type { ProjectInfo } from '#core/project/index';
import * as Installation from './installation.ts';
import { report } from './report.ts';
import type { GitHubJob, GitHubRepository } from './schema.ts';

/** What the worker did with one delivery, for its log line and the tests. */
export interface Outcome {
  outcome: 'deployed' | 'linked' | 'skipped' | 'ignored' | 'removed' | 'recorded';
  reason?: string;
  deployments?: string[];
}

/** Commit-message markers that skip a deployment (GitHub Actions' set plus `[skip deploy]`). */
const SKIP = /\[(skip ci|ci skip|no ci|skip deploy|deploy skip)\]/i;

/**
 * Carries out one webhook delivery. Deliveries of one branch run in order (one FIFO message
 * group per repository and branch), so deployments of a branch are created in push order and the
 * newest one is the one that ends up behind the branch alias.
 */
export async function handle(job: GitHubJob): Promise<Outcome> {
  switch (job.kind) {
    case 'installation':
      if (job.action === 'deleted') await Installation.removeInstallation(job.installationId);
      else if (job.action === 'suspend' || job.action === 'unsuspend') await Installation.setSuspended(job.installationId, job.action === 'suspend');
      else await Installation.recordInstallation(job);
      if (job.resync) await Installation.resyncRepositories(job.installationId);
      return { outcome: 'recorded', reason: `installation.${job.action}` };
    case 'installation_repositories':
      if (job.resync) await Installation.resyncRepositories(job.installationId);
      else await Installation.changeRepositories(job.installationId, job.added, job.removed);
      return { outcome: 'recorded', reason: `installation_repositories.${job.action}` };
    case 'push':
      return onPush(job);
    case 'pull_request':
      return onPullRequest(job);
  }
}

async function onPush(job: Extract<GitHubJob, { kind: 'push' }>): Promise<Outcome> {
  const linked = await linkedProjects(job.installationId, job.repository);
  if ('outcome' in linked) return linked;
  const { teamId, projects } = linked;
  if (job.deleted) {
    for (const project of projects) await removeBranch(project, job.branch);
    return { outcome: 'removed', reason: `branch ${job.branch} deleted` };
  }
  if (!job.headCommit) return { outcome: 'ignored', reason: 'push without a head commit' };
  if (SKIP.test(job.headCommit.message)) return { outcome: 'skipped', reason: 'skip marker in the head commit message' };
  return deployToAll(projects, { teamId, installationId: job.installationId, repository: job.repository, branch: job.branch, sha: job.after, message: job.headCommit.message });
}

async function onPullRequest(job: Extract<GitHubJob, { kind: 'pull_request' }>): Promise<Outcome> {
  if (job.fromFork) return { outcome: 'ignored', reason: 'pull request from a fork: its code is not built with this project\'s secrets' };
  const linked = await linkedProjects(job.installationId, job.repository);
  if ('outcome' in linked) return linked;
  const { teamId, projects } = linked;
  if (job.action === 'closed') {
    // The branch's host belongs to the branch, not to the pull request that links to it: it
    // stays while the branch exists, and goes when GitHub reports the branch deleted (a push
    // with `deleted`), as Vercel's branch URLs do.
    return { outcome: 'ignored', reason: `pull request #${job.number} closed: the branch ${job.branch} keeps its preview` };
  }
  return deployToAll(projects, {
    teamId,
    installationId: job.installationId,
    repository: job.repository,
    branch: job.branch,
    sha: job.headSha,
    message: job.title ?? `Pull request #${job.number}`,
    prNumber: job.number,
  });
}

/**
 * Deploys one commit to every project linked to its repository (a monorepo may have several),
 * if it is still the head of its branch: deliveries can arrive late, out of order or redelivered
 * by hand, and an older commit must never replace a newer one.
 */
async function deployToAll(projects: ProjectInfo[], commit: Omit<CommitInput, 'project'>): Promise<Outcome> {
  const head = await context().github.commit({ installationId: commit.installationId, repo: commit.repository.fullName }, commit.branch);
  if (!head) return { outcome: 'ignored', reason: `branch ${commit.branch} no longer exists` };
  if (head.sha !== commit.sha) return { outcome: 'skipped', reason: `superseded: ${commit.branch} is at ${head.sha.slice(0, 7)} now` };
  const deployments: string[] = [];
  for (const project of projects) deployments.push((await deployCommit({ ...commit, project })).id);
  return { outcome: 'deployed', deployments };
}

interface CommitInput {
  teamId: string;
  project: ProjectInfo;
  installationId: number;
  repository: GitHubRepository;
  branch: string;
  sha: string;
  message: string;
  prNumber?: number;
}

/**
 * Deploys one commit of a branch, once: a push and a pull-request event of the same commit share
 * one deployment (the pull request is linked to it). Older commits of the branch still queued or
 * building are canceled first: only the newest commit of a branch is worth building.
 */
export async function deployCommit(input: CommitInput): Promise<DeploymentInfo> {
  const { project, branch, sha } = input;
  const recent = await Deployment.list({ teamId: input.teamId, projectId: project.id }, { branch }, { limit: 50 });
  const same = recent.items.find((d) => d.commitSha === sha && d.state !== 'ERROR' && d.state !== 'CANCELED');
  // Reuse it while it builds, or when it is what the branch serves; an older READY one of the
  // same commit (a force-push back to it) is deployed anew, so the branch moves to it.
  if (same && (!Deployment.isFinal(same.state) || same.id === recent.items[0]?.id)) {
    if (same.state === 'QUEUED' && !(await buildRecord(same.id))) {
      // An earlier attempt stopped between recording and starting it: finish the job.
      await link(same, input);
      await launch(same);
      return same;
    }
    if (input.prNumber !== undefined) {
      await context().gitDeployments.linkPullRequest(same.id, input.prNumber);
      await reportSafely(same);
    }
    // The branch serves this commit: its hosts point at it again if they were removed since.
    return same.state === 'READY' ? Alias.follow(project, same) : same;
  }
  for (const older of recent.items.filter((d) => !Deployment.isFinal(d.state) && d.commitSha !== sha)) {
    await cancelSuperseded(older, sha);
  }
  const source: DeploymentSource = { type: 'git', provider: 'github', repo: input.repository.fullName, ref: branch, sha };
  const deployment = await Deployment.create({
    teamId: input.teamId,
    project,
    target: branch === project.productionBranch ? 'production' : 'preview',
    source,
    branch,
    commitSha: sha,
    commitMessage: input.message.slice(0, 1024),
    meta: {
      githubRepo: input.repository.fullName,
      githubCommitRef: branch,
      githubCommitSha: sha,
      ...(input.prNumber !== undefined ? { githubPrNumber: String(input.prNumber) } : {}),
    },
  });
  await link(deployment, input);
  await launch(deployment);
  return deployment;
}

/** Records where to report a deployment (and read its source) before anything can report. */
async function link(deployment: DeploymentInfo, input: Pick<CommitInput, 'installationId' | 'repository' | 'sha' | 'prNumber'>): Promise<void> {
  await context().gitDeployments.put({
    deploymentId: deployment.id,
    installationId: input.installationId,
    repo: input.repository.fullName,
    sha: input.sha,
    ...(input.prNumber !== undefined ? { prNumber: input.prNumber } : {}),
  });
}

/**
 * Reports "pending" and then starts the build, in that order: a fast build's final report must
 * never be overwritten by a late pending one. A build that cannot be scheduled is reported too.
 */
async function launch(deployment: DeploymentInfo): Promise<void> {
  await reportSafely(deployment);
  try {
    await Build.schedule(deployment);
  } catch (error) {
    await reportSafely(deployment);
    throw error;
  }
}

/**
 * Deploys the head commit of a branch of the project's repository, as a push to it would
 * (`POST /v1/deployments` with `gitSource`).
 * @throws ValidationError `no_git_repository`, `git_repository_not_accessible`
 * @throws NotFoundError `branch_not_found`
 */
export async function deployBranch(teamId: string, project: ProjectInfo, branch: string): Promise<DeploymentInfo> {
  const linked = project.gitRepository;
  if (!linked) throw new ValidationError('no_git_repository', 'This project has no GitHub repository: link one in its settings, or deploy files');
  // Through whichever of the team's installations reads the repository now (the App may have been reinstalled).
  const repository = await Installation.resolve(teamId, linked.repo, linked.repoId);
  const commit = await context().github.commit({ installationId: repository.installationId, repo: repository.fullName }, branch);
  if (!commit) throw new NotFoundError('branch_not_found', `${repository.fullName} has no branch "${branch}"`);
  return deployCommit({
    teamId,
    project,
    installationId: repository.installationId,
    repository: { id: repository.repoId, fullName: repository.fullName },
    branch,
    sha: commit.sha,
    message: commit.message,
  });
}

/** Redeploys a git deployment: same commit, same installation, reported to GitHub like a push. */
export async function redeploy(original: DeploymentInfo, project: ProjectInfo, target: DeploymentInfo['target'] | undefined): Promise<DeploymentInfo> {
  const previous = await Installation.gitLinkOf(original.id);
  // Through the installation that reads the repository now: after an unlink nothing deploys.
  const repository = await Installation.resolve(original.teamId, previous?.repo ?? (original.source as { repo: string }).repo);
  const sha = previous?.sha ?? (original.source as { sha: string }).sha;
  const deployment = await Build.redeploy(original, project, {
    target,
    beforeStart: async (created) => {
      await link(created, { installationId: repository.installationId, repository: { id: repository.repoId, fullName: repository.fullName }, sha });
      await reportSafely(created);
    },
  });
  return deployment;
}

/** A deleted branch: its in-flight builds stop and its alias goes (never the production branch's). */
async function removeBranch(project: ProjectInfo, branch: string): Promise<void> {
  const { items } = await Deployment.list({ teamId: project.teamId, projectId: project.id }, { branch }, { limit: 50 });
  for (const d of items.filter((d) => !Deployment.isFinal(d.state))) await cancelSuperseded(d, undefined);
  if (branch === project.productionBranch) return;
  await Alias.release(project, Alias.branchHostOf(project, branch));
}

async function cancelSuperseded(deployment: DeploymentInfo, bySha: string | undefined): Promise<void> {
  try {
    await Build.cancel(deployment.id, { teamId: deployment.teamId });
    context().logger.info('Superseded deployment canceled', { deploymentId: deployment.id, ...(bySha ? { bySha } : {}) });
  } catch (error) {
    // It finished meanwhile: the alias rule (never back to an older deployment) keeps it harmless.
    if (!(error instanceof ConflictError)) throw error;
  }
}

async function linkedProjects(installationId: number, repository: GitHubRepository): Promise<{ teamId: string; projects: ProjectInfo[] } | Outcome> {
  const teamId = await Installation.teamOf(installationId);
  if (!teamId) return { outcome: 'ignored', reason: 'installation not linked to a team, suspended or removed' };
  const projects = (await Installation.allProjects(teamId)).filter((p) => p.gitRepository && Installation.matches(p.gitRepository, repository));
  if (projects.length === 0) return { outcome: 'ignored', reason: `no project is linked to ${repository.fullName}` };
  return { teamId, projects };
}

/**
 * Pending reports are best-effort: the deployment exists and builds either way, and the final
 * report (from the build-state handler, retried by EventBridge) creates what is missing.
 */
async function reportSafely(deployment: DeploymentInfo): Promise<void> {
  try {
    await report(await Deployment.get(deployment.id));
  } catch (error) {
    context().logger.warn('Reporting to GitHub failed; the final report will retry', { deploymentId: deployment.id, error: (error as Error).message });
  }
}
