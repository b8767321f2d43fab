import { createHash, randomBytes } from 'node:crypto';
import { context } from '#core/context';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '#core/errors';
import { Project, type ProjectInfo } from '#core/project/index';
import type { GitRepositoryRef } from '#core/ports';
import type { InstallationRecord, RepositoryRecord } from './repository.ts';
import type { GitHubRepository, InstallationInfo, RepositoryInfo } from './schema.ts';

/**
 * Installations of the GitHub App and the teams they belong to.
 *
 * GitHub's installation webhook does not say which Runway team installed the App, so linking is
 * proven twice: `POST /v1/git/install` gives the team a one-time `state`, with the App's install
 * URL and its OAuth authorize URL; GitHub sends the person back to the setup URL with the state
 * and the installation id, then (after they authorize the App) with a `code`. `link` consumes the
 * state (one attempt per state, whatever the outcome), exchanges the code for the person's user
 * token and links the installation only if that person can access it on GitHub — so nobody can
 * link an installation by guessing its id — and only if no other team holds it.
 */

/** How long a person has to finish installing the App. */
const CLAIM_TTL_MS = 60 * 60_000;

const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

/** Starts an install: the App's install and authorize URLs, carrying a fresh `state` bound to the team. */
export async function createClaim(teamId: string): Promise<{ url: string; authorizeUrl: string; expiresAt: string }> {
  const app = await context().github.app();
  const state = randomBytes(24).toString('base64url');
  const now = Date.now();
  const expiresAt = new Date(now + CLAIM_TTL_MS).toISOString();
  await context().claims.create({ stateHash: hashState(state), teamId, createdAt: new Date(now).toISOString(), expiresAt, ttl: Math.ceil((now + CLAIM_TTL_MS) / 1000) });
  const web = `${context().settings.githubWebUrl.replace(/\/+$/, '')}/`;
  const url = new URL(`apps/${app.slug}/installations/new`, web);
  url.searchParams.set('state', state);
  // No redirect_uri: GitHub uses the App's callback URL, the console's setup page.
  const authorizeUrl = new URL('login/oauth/authorize', web);
  authorizeUrl.searchParams.set('client_id', app.clientId);
  authorizeUrl.searchParams.set('state', state);
  return { url: url.toString(), authorizeUrl: authorizeUrl.toString(), expiresAt };
}

/**
 * Links an installation to the team that holds `state`, for a person (`code`) who can access it.
 * @throws ValidationError `invalid_install_state` for an unknown, used, expired or other team's state
 * @throws ForbiddenError `installation_not_accessible` when the person cannot access the installation
 * @throws ConflictError `installation_taken` when another team holds it
 */
export async function link(teamId: string, installationId: number, state: string, code: string): Promise<InstallationInfo> {
  const { github, installations } = context();
  // One attempt per state: a failed guess costs the claim.
  const claim = await context().claims.take(hashState(state), teamId);
  if (!claim || claim.expiresAt < new Date().toISOString()) {
    throw new ValidationError('invalid_install_state', 'This install link is unknown, used or expired: start again from "Connect GitHub"');
  }
  if (!(await github.userInstallations(code)).includes(installationId)) {
    throw new ForbiddenError('installation_not_accessible', `Your GitHub account cannot access installation ${installationId} of this App`);
  }
  const remote = await github.installation(installationId);
  if (!remote) throw new NotFoundError('installation_not_found', `GitHub knows no installation ${installationId} of this App`);
  const existing = await installations.get(installationId);
  if (existing?.teamId && existing.teamId !== teamId) throw taken(installationId);
  const now = new Date().toISOString();
  const linked = await installations.link({
    installationId,
    accountLogin: remote.account.login,
    ...(remote.account.type ? { accountType: remote.account.type } : {}),
    ...(remote.repositorySelection ? { repositorySelection: remote.repositorySelection } : {}),
    ...(existing?.suspendedAt ? { suspendedAt: existing.suspendedAt } : {}),
    teamId,
    linkedAt: existing?.linkedAt ?? now,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  if (!linked) throw taken(installationId);
  await setSuspended(installationId, remote.suspended);
  await replaceRepositories(installationId, await github.repositories(installationId));
  return (await list(teamId)).find((i) => i.id === installationId)!;
}

/** Unlinks an installation from the team: its pushes deploy nothing any more. */
export async function unlink(teamId: string, installationId: number): Promise<void> {
  const installation = await context().installations.get(installationId);
  if (!installation || installation.teamId !== teamId) throw new NotFoundError('installation_not_found', `No installation ${installationId} in this team`);
  await context().installations.unlink(teamId, installationId, new Date().toISOString());
}

/** The team's installations. */
export async function list(teamId: string): Promise<InstallationInfo[]> {
  const { installations } = context();
  const found = await Promise.all((await installations.linkedTo(teamId)).map((id) => installations.get(id)));
  return found
    .filter((i): i is InstallationRecord => i !== undefined && i.teamId === teamId)
    .map((i) => ({
      id: i.installationId,
      accountLogin: i.accountLogin,
      ...(i.accountType ? { accountType: i.accountType } : {}),
      ...(i.repositorySelection ? { repositorySelection: i.repositorySelection } : {}),
      suspended: Boolean(i.suspendedAt),
      linkedAt: i.linkedAt ?? i.createdAt,
    }));
}

/** The team an installation deploys for, or undefined (unlinked, suspended, uninstalled). */
export async function teamOf(installationId: number): Promise<string | undefined> {
  const installation = await context().installations.get(installationId);
  return installation?.teamId && !installation.suspendedAt ? installation.teamId : undefined;
}

/** Repositories the team can import, each with the names of the projects already linked to it. */
export async function repositories(teamId: string): Promise<RepositoryInfo[]> {
  const [repos, projects] = await Promise.all([readableRepositories(teamId), allProjects(teamId)]);
  return repos
    .map((r) => ({
      id: r.repoId,
      fullName: r.fullName,
      private: r.private,
      installationId: r.installationId,
      ...(r.defaultBranch ? { defaultBranch: r.defaultBranch } : {}),
      projects: projects.filter((p) => p.gitRepository && matches(p.gitRepository, r)).map((p) => p.name),
    }))
    .sort((a, b) => a.fullName.localeCompare(b.fullName));
}

/** The repositories of the team's installations, as stored. */
async function readableRepositories(teamId: string): Promise<RepositoryRecord[]> {
  // A suspended installation's repositories can be neither read nor deployed until it is unsuspended.
  const installations = (await list(teamId)).filter((i) => !i.suspended);
  const repos = await Promise.all(installations.map((i) => context().installations.repositories(i.id)));
  return repos.flat();
}

/**
 * The team's repository with GitHub id `repoId`, or without one named `fullName` (case-insensitive, as GitHub's names are).
 * @throws ValidationError `git_repository_not_accessible`
 */
export async function resolve(teamId: string, fullName: string, repoId?: number): Promise<{ installationId: number; repoId: number; fullName: string }> {
  // By GitHub's id when known: a renamed repository keeps it, a new one under the old name does not.
  // (Only the installations' repositories are read: which projects use them does not matter here.)
  const found = (await readableRepositories(teamId)).find((r) => (repoId !== undefined ? r.repoId === repoId : r.fullName.toLowerCase() === fullName.toLowerCase()));
  if (!found) {
    throw new ValidationError('git_repository_not_accessible', `No installation of the GitHub App in this team can read ${fullName}: install the App on it first`, { repo: fullName });
  }
  return { installationId: found.installationId, repoId: found.repoId, fullName: found.fullName };
}

/**
 * Project settings with their repository resolved: a project links only a repository one of the
 * team's GitHub App installations can read, and the installation and GitHub's repository id are
 * filled in here, whatever the client sent.
 * @throws ValidationError `git_repository_not_accessible`
 */
export async function withRepository<T extends { gitRepository?: ProjectInfo['gitRepository'] | null | undefined }>(teamId: string, settings: T): Promise<T> {
  if (!settings.gitRepository) return settings;
  const found = await resolve(teamId, settings.gitRepository.repo);
  return { ...settings, gitRepository: { provider: 'github', repo: found.fullName, installationId: found.installationId, repoId: found.repoId } };
}

/** Every project of the team (a team has tens, rarely thousands: one paged index query). */
export async function allProjects(teamId: string): Promise<ProjectInfo[]> {
  const projects: ProjectInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await Project.list(teamId, { limit: 100, ...(cursor ? { cursor } : {}) });
    projects.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor);
  return projects;
}

/** Whether a project's repository is `repo` (by id when known: repositories can be renamed). */
export function matches(linked: { repo: string; repoId?: number | undefined }, repo: { repoId?: number; id?: number; fullName: string }): boolean {
  const id = repo.repoId ?? repo.id;
  if (linked.repoId !== undefined && id !== undefined) return linked.repoId === id;
  return linked.repo.toLowerCase() === repo.fullName.toLowerCase();
}

// ---- Webhook effects -------------------------------------------------------------------------

/** `installation.created` / `new_permissions_accepted`: what GitHub says about it, keeping the link. */
export async function recordInstallation(input: {
  installationId: number;
  account?: { login: string; type?: string | undefined } | undefined;
  repositorySelection?: 'all' | 'selected' | undefined;
  repositories?: GitHubRepository[] | undefined;
}): Promise<void> {
  const existing = await context().installations.get(input.installationId);
  const now = new Date().toISOString();
  await context().installations.put({
    installationId: input.installationId,
    accountLogin: input.account?.login ?? existing?.accountLogin ?? 'unknown',
    ...(input.account?.type ? { accountType: input.account.type } : {}),
    ...(input.repositorySelection ? { repositorySelection: input.repositorySelection } : {}),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  if (input.repositories) await replaceRepositories(input.installationId, input.repositories.map(toRef));
}

/** `installation.deleted`: the App is gone from the account; nothing of it may deploy again. */
export async function removeInstallation(installationId: number): Promise<void> {
  await replaceRepositories(installationId, []);
  await context().installations.delete(installationId);
}

export async function setSuspended(installationId: number, suspended: boolean): Promise<void> {
  if (!(await context().installations.get(installationId))) return;
  const now = new Date().toISOString();
  await context().installations.setSuspended(installationId, suspended ? now : undefined, now);
}

/** `installation_repositories`: repositories added to or removed from the installation. */
export async function changeRepositories(installationId: number, added: GitHubRepository[], removed: GitHubRepository[]): Promise<void> {
  const { installations } = context();
  if (added.length) await installations.putRepositories(added.map((r) => toRecord(installationId, toRef(r))));
  if (removed.length) await installations.deleteRepositories(installationId, removed.map((r) => r.id));
}

/** Reads the installation's repositories from GitHub (when a webhook's list was too large to queue). */
export async function resyncRepositories(installationId: number): Promise<void> {
  await replaceRepositories(installationId, await context().github.repositories(installationId));
}

async function replaceRepositories(installationId: number, repos: GitRepositoryRef[]): Promise<void> {
  const { installations } = context();
  const keep = new Set(repos.map((r) => r.id));
  const gone = (await installations.repositories(installationId)).filter((r) => !keep.has(r.repoId));
  if (gone.length) await installations.deleteRepositories(installationId, gone.map((r) => r.repoId));
  if (repos.length) await installations.putRepositories(repos.map((r) => toRecord(installationId, r)));
}

function toRecord(installationId: number, r: GitRepositoryRef): RepositoryRecord {
  return { installationId, repoId: r.id, fullName: r.fullName, private: r.private ?? false, ...(r.defaultBranch ? { defaultBranch: r.defaultBranch } : {}) };
}

function toRef(r: GitHubRepository): GitRepositoryRef {
  return { id: r.id, fullName: r.fullName, ...(r.private !== undefined ? { private: r.private } : {}), ...(r.defaultBranch ? { defaultBranch: r.defaultBranch } : {}) };
}

function taken(installationId: number): ConflictError {
  return new ConflictError('installation_taken', `Installation ${installationId} is linked to another team`);
}

/** Which installation and repository a git deployment was made from. */
export async function gitLinkOf(deploymentId: string): Promise<{ installationId: number; repo: string; sha: string } | undefined> {
  const link = await context().gitDeployments.get(deploymentId);
  return link ? { installationId: link.installationId, repo: link.repo, sha: link.sha } : undefined;
}
