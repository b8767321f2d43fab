/**
 * The fake GitHub's world: repositories, commits, installations, tokens and what the App wrote
 * (statuses, deployments, comments), in memory, and the JSON shapes GitHub gives them.
 */
import { createHash, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { create as createTar } from 'tar';
import type { FakeGitHubCall, FakeInstallation, FakeInstallationInput, FakeRepositoryInput } from './types.ts';
import type { Hookshot } from './webhooks.ts';

/** What the App was granted; every installation has exactly these. */
export const APP_PERMISSIONS = { contents: 'read', statuses: 'write', deployments: 'write', pull_requests: 'write', metadata: 'read' } as const;
export type Permission = keyof typeof APP_PERMISSIONS;
export type Access = 'read' | 'write';
export type Permissions = Partial<Record<Permission, Access>>;
/** An OAuth code is good for one exchange within 10 minutes. */
const OAUTH_CODE_TTL_MS = 10 * 60 * 1000;
/** A GitHub App's expiring user access tokens live 8 hours, their refresh tokens 6 months. */
const USER_TOKEN_TTL_S = 8 * 60 * 60;
const REFRESH_TOKEN_TTL_S = 15_811_200;
/** The user the authorize and install pages act as when the URL names none. */
export const DEFAULT_USER = 'octocat';
const ZERO_SHA = '0'.repeat(40);
/** Who the web install page installs the App on: a stand-in for the user's GitHub organization. */
export const WEB_INSTALL_ACCOUNT = { login: 'octo-org', type: 'Organization' } as const;
/** Who pushes through the control API: the push webhooks' `sender`, the commits' author. */
const LOCAL_USER = { login: 'runway-dev', name: 'Runway Local', email: 'local@runway.invalid' } as const;

// ---------------------------------------------------------------------------------------------
// State

export interface CommitState {
  sha: string;
  parents: string[];
  message: string;
  date: string;
  files: ReadonlyMap<string, Buffer>;
}

export interface StatusState {
  id: number;
  state: string;
  description: string | null;
  targetUrl: string | null;
  context: string;
  createdAt: string;
}

export interface DeploymentStatusState {
  id: number;
  state: string;
  description: string;
  environment: string;
  logUrl: string;
  environmentUrl: string;
  createdAt: string;
}

export interface DeploymentState {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  transient: boolean;
  production: boolean;
  createdAt: string;
  updatedAt: string;
  /** Oldest first. */
  statuses: DeploymentStatusState[];
}

export interface CommentState {
  id: number;
  issueNumber: number;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface RepoState {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  createdAt: string;
  updatedAt: string;
  branches: Map<string, string>;
  commits: Map<string, CommitState>;
  /** sha → statuses, oldest first. */
  statuses: Map<string, StatusState[]>;
  deployments: DeploymentState[];
  comments: CommentState[];
  /** Commits never change, so each tarball is built once. */
  tarballs: Map<string, Promise<Buffer>>;
}

export interface InstallationState {
  id: number;
  account: { login: string; id: number; type: 'User' | 'Organization' };
  /** Lower-cased full names: GitHub matches owner/repo case-insensitively. */
  repoKeys: Set<string>;
  /** Lower-cased logins of the users who can access it. */
  users: Set<string>;
  createdAt: string;
  updatedAt: string;
}

export interface TokenState {
  installationId: number;
  expiresAt: number;
  permissions: Permissions;
  /** Set when the token was narrowed to some of the installation's repositories. */
  repoKeys?: Set<string>;
}

interface OAuthCodeState {
  login: string;
  expiresAt: number;
  /** The authorize request's `redirect_uri`: an exchange that names another is refused. */
  redirectUri?: string;
}

export interface UserTokenState {
  login: string;
  expiresAt: number;
}

interface CodeloadGrant {
  repoKey: string;
  sha: string;
  expiresAt: number;
}


export const repoKey = (fullName: string) => fullName.toLowerCase();
/** GitHub logins: letters, digits and single hyphens, at most 39 characters. */
export const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
function checkLogin(login: string): string {
  if (!LOGIN.test(login)) throw new Error(`Not a GitHub login: ${login}`);
  return login;
}
export const secretEquals = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
export const nowIso = () => new Date().toISOString();
export const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest('hex');
/** A stable number for a name, so accounts without an explicit id keep the same one across runs. */
export const stableId = (name: string) => Number.parseInt(sha1(name).slice(0, 7), 16);
const nodeId = (type: string, id: number) => Buffer.from(`0:${type}${id}`).toString('base64');
const unixTime = (iso: string) => Math.floor(Date.parse(iso) / 1000);

export class World {
  url = '';
  readonly calls: FakeGitHubCall[] = [];
  readonly repos = new Map<string, RepoState>();
  readonly installations = new Map<number, InstallationState>();
  readonly tokens = new Map<string, TokenState>();
  readonly oauthCodes = new Map<string, OAuthCodeState>();
  readonly userTokens = new Map<string, UserTokenState>();
  readonly refreshTokens = new Map<string, UserTokenState>();
  readonly codeload = new Map<string, CodeloadGrant>();
  readonly createdAt = nowIso();
  readonly clientId = `Iv1.${randomBytes(8).toString('hex')}`;
  readonly clientSecret = randomBytes(20).toString('hex');
  #lastInstallationId = 0;
  #lastId = 0;
  #lastRepoId = 100_000;

  constructor(
    readonly appId: number,
    readonly appSlug: string,
    readonly publicKey: KeyObject,
    readonly setupUrl: string | undefined,
    /** Set when the fake delivers webhooks. */
    readonly hookshot: Hookshot | undefined,
  ) {}

  get webUrl(): string {
    return `${this.url}/_web`;
  }

  /** Ids of statuses, deployments and comments: unique across all of them, like GitHub's. */
  nextId(): number {
    return ++this.#lastId;
  }

  addInstallation(input: FakeInstallationInput): FakeInstallation {
    if (this.installations.has(input.id)) throw new Error(`Installation ${input.id} already exists`);
    const createdAt = input.createdAt ?? nowIso();
    const { login } = input.account;
    const users = (input.users ?? [DEFAULT_USER]).map((user) => checkLogin(user).toLowerCase());
    const installation: InstallationState = {
      id: input.id,
      account: { login, id: input.account.id ?? stableId(login), type: input.account.type ?? 'User' },
      repoKeys: new Set(),
      users: new Set(users),
      createdAt,
      updatedAt: createdAt,
    };
    this.installations.set(input.id, installation);
    this.#lastInstallationId = Math.max(this.#lastInstallationId, input.id);
    for (const repo of input.repositories ?? []) this.addRepository(input.id, repo);
    return this.installationJson(installation);
  }

  /** `login` approves the App on the authorize page: a one-time code for `POST /login/oauth/access_token`. */
  authorize(login: string, redirectUri?: string): string {
    const code = randomBytes(10).toString('hex');
    this.oauthCodes.set(code, { login: checkLogin(login), expiresAt: Date.now() + OAUTH_CODE_TTL_MS, ...(redirectUri === undefined ? {} : { redirectUri }) });
    return code;
  }

  /** A user access token and its refresh token for `login`, as the code exchange and a refresh answer them. */
  mintUserToken(login: string) {
    const accessToken = `ghu_${randomBytes(18).toString('hex')}`;
    const refreshToken = `ghr_${randomBytes(38).toString('hex')}`;
    const now = Date.now();
    this.userTokens.set(accessToken, { login, expiresAt: now + USER_TOKEN_TTL_S * 1000 });
    this.refreshTokens.set(refreshToken, { login, expiresAt: now + REFRESH_TOKEN_TTL_S * 1000 });
    // GitHub's field order; `scope` is always empty for a GitHub App (its permissions are the App's).
    return { access_token: accessToken, expires_in: USER_TOKEN_TTL_S, refresh_token: refreshToken, refresh_token_expires_in: REFRESH_TOKEN_TTL_S, scope: '', token_type: 'bearer' };
  }

  /** The next id GitHub would give a new installation. */
  nextInstallationId(): number {
    return this.#lastInstallationId + 1;
  }

  removeInstallation(id: number): void {
    this.installations.delete(id);
    for (const [token, state] of this.tokens) if (state.installationId === id) this.tokens.delete(token);
  }

  addRepository(installationId: number, input: FakeRepositoryInput): void {
    const installation = this.installations.get(installationId);
    if (!installation) throw new Error(`No installation ${installationId}`);
    const key = repoKey(input.fullName);
    const owner = this.installationOf(key);
    if (owner && owner.id !== installationId) throw new Error(`${input.fullName} is already in installation ${owner.id}`);
    const clash = [...this.repos.values()].find((r) => r.id === input.id && repoKey(r.fullName) !== key);
    if (clash) throw new Error(`Repository id ${input.id} is already ${clash.fullName}`);
    const repo = this.repoOrCreate(input.fullName, input.defaultBranch ?? 'main');
    repo.id = input.id;
    repo.private = input.private ?? repo.private;
    repo.defaultBranch = input.defaultBranch ?? repo.defaultBranch;
    installation.repoKeys.add(key);
  }

  installationOf(key: string): InstallationState | undefined {
    return [...this.installations.values()].find((i) => i.repoKeys.has(key));
  }

  repoOrCreate(fullName: string, defaultBranch: string): RepoState {
    const parts = fullName.split('/');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new Error(`Not an owner/name: ${fullName}`);
    const existing = this.repos.get(repoKey(fullName));
    if (existing) return existing;
    const usedIds = new Set([...this.repos.values()].map((r) => r.id));
    do this.#lastRepoId++;
    while (usedIds.has(this.#lastRepoId));
    const createdAt = nowIso();
    const repo: RepoState = {
      id: this.#lastRepoId,
      owner: parts[0],
      name: parts[1],
      fullName,
      private: false,
      defaultBranch,
      createdAt,
      updatedAt: createdAt,
      branches: new Map(),
      commits: new Map(),
      statuses: new Map(),
      deployments: [],
      comments: [],
      tarballs: new Map(),
    };
    this.repos.set(repoKey(fullName), repo);
    return repo;
  }

  commit(fullName: string, branch: string, files: Record<string, string | Buffer>, message = `Update ${branch}`): { sha: string } {
    const repo = this.repoOrCreate(fullName, branch);
    const tree = new Map<string, Buffer>();
    for (const [file, content] of Object.entries(files)) tree.set(treePath(file), Buffer.isBuffer(content) ? content : Buffer.from(content));
    const parent = repo.branches.get(branch) ?? repo.branches.get(repo.defaultBranch);
    const hash = createHash('sha1').update(`parent ${parent ?? ''}\nmessage ${message}\n`);
    for (const file of [...tree.keys()].sort()) hash.update(`${file}\0${sha1(tree.get(file) as Buffer)}\n`);
    const sha = hash.digest('hex');
    repo.commits.set(sha, { sha, parents: parent ? [parent] : [], message, date: nowIso(), files: tree });
    repo.branches.set(branch, sha);
    repo.updatedAt = nowIso();
    return { sha };
  }

  /** The commit a ref names: a branch (also as `heads/x` or `refs/heads/x`), a full sha or an unambiguous sha prefix. */
  resolve(repo: RepoState, ref: string): CommitState | undefined {
    const branch = ref.replace(/^(refs\/)?heads\//, '');
    const head = repo.branches.get(branch);
    if (head) return repo.commits.get(head);
    if (!/^[0-9a-f]{7,40}$/i.test(ref)) return undefined;
    const matches = [...repo.commits.keys()].filter((sha) => sha.startsWith(ref.toLowerCase()));
    return matches.length === 1 ? repo.commits.get(matches[0] as string) : undefined;
  }

  tarball(repo: RepoState, commit: CommitState): Promise<Buffer> {
    let tarball = repo.tarballs.get(commit.sha);
    if (!tarball) {
      tarball = buildTarball(tarballPrefix(repo, commit.sha), commit.files);
      repo.tarballs.set(commit.sha, tarball);
      // A failed build (disk full…) must not be served from the cache forever.
      tarball.catch(() => repo.tarballs.delete(commit.sha));
    }
    return tarball;
  }

  // --- JSON shapes, trimmed to the fields clients read, named as GitHub names them ----------

  appJson() {
    return {
      id: this.appId,
      slug: this.appSlug,
      node_id: nodeId('Integration', this.appId),
      client_id: this.clientId,
      owner: this.userJson(WEB_INSTALL_ACCOUNT.login, stableId(WEB_INSTALL_ACCOUNT.login), WEB_INSTALL_ACCOUNT.type),
      name: `Runway (${this.appSlug})`,
      description: 'Fake GitHub App for local runs and tests',
      external_url: this.url,
      html_url: `${this.webUrl}/apps/${this.appSlug}`,
      created_at: this.createdAt,
      updated_at: this.createdAt,
      permissions: APP_PERMISSIONS,
      events: [],
      installations_count: this.installations.size,
    };
  }

  userJson(login: string, id: number, type: 'User' | 'Organization' | 'Bot') {
    return { login, id, node_id: nodeId(type, id), type, site_admin: false, url: `${this.url}/users/${login}`, html_url: `${this.webUrl}/${login}` };
  }

  /** The App acting through an installation token: comments, statuses and deployments are by this user. */
  botJson() {
    const login = `${this.appSlug}[bot]`;
    return this.userJson(login, stableId(login), 'Bot');
  }

  installationJson(installation: InstallationState) {
    const { account } = installation;
    return {
      id: installation.id,
      account: this.userJson(account.login, account.id, account.type),
      repository_selection: 'selected' as const,
      access_tokens_url: `${this.url}/app/installations/${installation.id}/access_tokens`,
      repositories_url: `${this.url}/installation/repositories`,
      html_url: `${this.webUrl}/organizations/${account.login}/settings/installations/${installation.id}`,
      app_id: this.appId,
      app_slug: this.appSlug,
      target_id: account.id,
      target_type: account.type,
      permissions: APP_PERMISSIONS,
      events: [] as string[],
      created_at: installation.createdAt,
      updated_at: installation.updatedAt,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [] as string[],
      suspended_by: null,
      suspended_at: null,
    };
  }

  repoJson(repo: RepoState) {
    // The owner is the installation's account when it is that account's repository.
    const account = [...this.installations.values()].map((i) => i.account).find((a) => a.login.toLowerCase() === repo.owner.toLowerCase());
    const apiUrl = `${this.url}/repos/${repo.fullName}`;
    return {
      id: repo.id,
      node_id: nodeId('Repository', repo.id),
      name: repo.name,
      full_name: repo.fullName,
      private: repo.private,
      visibility: repo.private ? 'private' : 'public',
      owner: this.userJson(repo.owner, account?.id ?? stableId(repo.owner), account?.type ?? 'User'),
      html_url: `${this.webUrl}/${repo.fullName}`,
      description: null,
      fork: false,
      url: apiUrl,
      clone_url: `${this.webUrl}/${repo.fullName}.git`,
      statuses_url: `${apiUrl}/statuses/{sha}`,
      deployments_url: `${apiUrl}/deployments`,
      default_branch: repo.defaultBranch,
      archived: false,
      disabled: false,
      created_at: repo.createdAt,
      updated_at: repo.updatedAt,
      pushed_at: repo.updatedAt,
    };
  }

  commitJson(repo: RepoState, commit: CommitState) {
    const apiUrl = `${this.url}/repos/${repo.fullName}/commits/${commit.sha}`;
    const person = { name: LOCAL_USER.name, email: LOCAL_USER.email, date: commit.date };
    return {
      sha: commit.sha,
      node_id: nodeId('Commit', stableId(commit.sha)),
      url: apiUrl,
      html_url: `${this.webUrl}/${repo.fullName}/commit/${commit.sha}`,
      commit: { message: commit.message, author: person, committer: person, tree: { sha: sha1(`tree ${commit.sha}`) }, comment_count: 0 },
      author: null,
      committer: null,
      parents: commit.parents.map((sha) => ({ sha, url: `${this.url}/repos/${repo.fullName}/commits/${sha}`, html_url: `${this.webUrl}/${repo.fullName}/commit/${sha}` })),
    };
  }

  statusJson(repo: RepoState, status: StatusState) {
    return {
      url: `${this.url}/repos/${repo.fullName}/statuses/${status.id}`,
      avatar_url: null,
      id: status.id,
      node_id: nodeId('StatusContext', status.id),
      state: status.state,
      description: status.description,
      target_url: status.targetUrl,
      context: status.context,
      created_at: status.createdAt,
      updated_at: status.createdAt,
      creator: this.botJson(),
    };
  }

  deploymentJson(repo: RepoState, deployment: DeploymentState) {
    const apiUrl = `${this.url}/repos/${repo.fullName}/deployments/${deployment.id}`;
    return {
      url: apiUrl,
      id: deployment.id,
      node_id: nodeId('Deployment', deployment.id),
      sha: deployment.sha,
      ref: deployment.ref,
      task: deployment.task,
      payload: deployment.payload,
      original_environment: deployment.originalEnvironment,
      environment: deployment.environment,
      description: deployment.description,
      creator: this.botJson(),
      created_at: deployment.createdAt,
      updated_at: deployment.updatedAt,
      statuses_url: `${apiUrl}/statuses`,
      repository_url: `${this.url}/repos/${repo.fullName}`,
      transient_environment: deployment.transient,
      production_environment: deployment.production,
      performed_via_github_app: this.appJson(),
    };
  }

  deploymentStatusJson(repo: RepoState, deployment: DeploymentState, status: DeploymentStatusState) {
    const deploymentUrl = `${this.url}/repos/${repo.fullName}/deployments/${deployment.id}`;
    return {
      url: `${deploymentUrl}/statuses/${status.id}`,
      id: status.id,
      node_id: nodeId('DeploymentStatus', status.id),
      state: status.state,
      creator: this.botJson(),
      description: status.description,
      environment: status.environment,
      // GitHub keeps `target_url` as the old name of `log_url`.
      target_url: status.logUrl,
      log_url: status.logUrl,
      environment_url: status.environmentUrl,
      created_at: status.createdAt,
      updated_at: status.createdAt,
      deployment_url: deploymentUrl,
      repository_url: `${this.url}/repos/${repo.fullName}`,
      performed_via_github_app: this.appJson(),
    };
  }

  /** The person who installed or pushed: a webhook's `sender`. */
  senderJson(login: string = LOCAL_USER.login) {
    return this.userJson(login, stableId(login), 'User');
  }

  /** The `installation` webhook's payload for `created` by `installer`. */
  installationCreatedPayload(installation: InstallationState, installer: string) {
    const repositories = [...installation.repoKeys].map((key) => this.repos.get(key) as RepoState).sort((a, b) => a.id - b.id);
    return {
      action: 'created' as const,
      installation: this.installationJson(installation),
      repositories: repositories.map((r) => ({ id: r.id, node_id: nodeId('Repository', r.id), name: r.name, full_name: r.fullName, private: r.private })),
      sender: this.senderJson(installer),
    };
  }

  /**
   * The `push` webhook's payload for moving `branch` from `before` to `after`: undefined `before`
   * creates the branch, undefined `after` deletes it. Each push of the fake is one commit.
   */
  pushPayload(repo: RepoState, branch: string, before: string | undefined, after: CommitState | undefined) {
    const installation = this.installationOf(repoKey(repo.fullName));
    const head = after ? this.pushCommitJson(repo, after) : null;
    const [from, to] = [before ?? ZERO_SHA, after?.sha ?? ZERO_SHA];
    const json = this.repoJson(repo);
    return {
      ref: `refs/heads/${branch}`,
      before: from,
      after: to,
      // Push payloads carry GitHub's older repository shape: Unix times, an owner with name and email.
      repository: { ...json, owner: { ...json.owner, name: json.owner.login, email: null }, created_at: unixTime(repo.createdAt), pushed_at: unixTime(repo.updatedAt), master_branch: repo.defaultBranch },
      pusher: { name: LOCAL_USER.login, email: LOCAL_USER.email },
      sender: this.senderJson(),
      ...(installation ? { installation: { id: installation.id, node_id: nodeId('Installation', installation.id) } } : {}),
      created: before === undefined,
      deleted: after === undefined,
      forced: false,
      base_ref: null,
      compare: before && after ? `${this.webUrl}/${repo.fullName}/compare/${from.slice(0, 12)}...${to.slice(0, 12)}` : `${this.webUrl}/${repo.fullName}/commit/${to.slice(0, 12)}`,
      commits: head ? [head] : [],
      head_commit: head,
    };
  }

  pushCommitJson(repo: RepoState, commit: CommitState) {
    const parent = commit.parents[0] ? repo.commits.get(commit.parents[0])?.files : undefined;
    const changes = { added: [] as string[], removed: [] as string[], modified: [] as string[] };
    for (const [file, content] of commit.files) {
      const old = parent?.get(file);
      if (!old) changes.added.push(file);
      else if (!old.equals(content)) changes.modified.push(file);
    }
    for (const file of parent?.keys() ?? []) if (!commit.files.has(file)) changes.removed.push(file);
    const person = { name: LOCAL_USER.name, email: LOCAL_USER.email, username: LOCAL_USER.login };
    return {
      id: commit.sha,
      tree_id: sha1(`tree ${commit.sha}`),
      distinct: true,
      message: commit.message,
      timestamp: commit.date,
      url: `${this.webUrl}/${repo.fullName}/commit/${commit.sha}`,
      author: person,
      committer: person,
      ...changes,
    };
  }

  commentJson(repo: RepoState, comment: CommentState) {
    return {
      id: comment.id,
      node_id: nodeId('IssueComment', comment.id),
      url: `${this.url}/repos/${repo.fullName}/issues/comments/${comment.id}`,
      html_url: `${this.webUrl}/${repo.fullName}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
      issue_url: `${this.url}/repos/${repo.fullName}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: this.botJson(),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: 'NONE',
      performed_via_github_app: this.appJson(),
    };
  }
}

/** A commit's path, checked: the tarball must not be able to write outside its directory. */
export function treePath(file: string): string {
  const normalized = path.posix.normalize(file.replaceAll('\\', '/')).replace(/^\.\//, '');
  if (normalized.startsWith('/') || normalized === '.' || normalized.split('/').includes('..')) throw new Error(`Not a relative file path: ${file}`);
  return normalized;
}

/** GitHub's top-level directory in a tarball: `{owner}-{repo}-{sha7}`. */
export function tarballPrefix(repo: RepoState, sha: string): string {
  return `${repo.owner}-${repo.name}-${sha.slice(0, 7)}`;
}

async function buildTarball(prefix: string, files: ReadonlyMap<string, Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fake-github-tarball-'));
  try {
    await mkdir(path.join(dir, prefix));
    for (const [file, content] of files) {
      const target = path.join(dir, prefix, file);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of createTar({ gzip: true, cwd: dir, portable: true }, [prefix])) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Files under `dir` as path → contents; dependency and VCS directories are never part of a GitHub tree. */
export async function readTree(dir: string, prefix = ''): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      Object.assign(files, await readTree(dir, relative));
    } else if (entry.isFile()) {
      files[relative] = await readFile(path.join(dir, relative));
    }
  }
  return files;
}
