/**
 * A fake of the slice of GitHub that Runway's GitHub App uses — the REST API, codeload's tarball
 * downloads and the App's install page — for tests and `npm start` on a machine that cannot reach
 * GitHub. It speaks the protocol the real `@octokit/app` client speaks (RS256 App JWTs, installation
 * tokens, `Link` pagination, the tarball redirect), so the production adapter is pointed at it
 * unchanged. Given a webhook URL, it also delivers the App's webhooks as GitHub does (signed,
 * one at a time): `installation` when its install page installs the App, `push` when its control
 * API (`/_fake/…`, not GitHub's) is asked to push. It also runs the App's OAuth web flow (the
 * authorize page, the code exchange, user access tokens and `GET /user/installations`), with which
 * a client proves that a user can access an installation. State is in memory and dies with the server.
 */
import { createHash, generateKeyPair, randomBytes, randomUUID, timingSafeEqual, verify as verifySignature, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Webhooks } from '@octokit/webhooks';
import { create as createTar } from 'tar';
import * as z from 'zod';

/** One request the fake received. */
export interface FakeGitHubCall {
  method: string;
  /** Path and query string, e.g. `/installation/repositories?per_page=2&page=2`. */
  path: string;
  /**
   * The parsed JSON body (a form body of `POST /login/oauth/access_token` as an object); the raw
   * text when it was not JSON; undefined when empty. Secrets (the OAuth client secret, codes and
   * refresh tokens) are recorded as `[REDACTED]`, in the body and in the query string.
   */
  body: unknown;
  /** Which credential the request carried and the fake accepted: an App JWT, an installation token (`ghs_`), a user access token (`ghu_`). */
  auth: 'app' | 'installation' | 'user' | 'none';
}

/** A repository as the test declares it. */
export interface FakeRepositoryInput {
  id: number;
  /** `owner/name`. */
  fullName: string;
  /** @default false */
  private?: boolean;
  /** @default the branch of its first commit, or `main` */
  defaultBranch?: string;
}

export interface FakeInstallationInput {
  id: number;
  account: { login: string; id?: number; type?: 'User' | 'Organization' };
  repositories?: FakeRepositoryInput[];
  /** ISO date. @default now */
  createdAt?: string;
  /** Logins of the users who can access the installation (`GET /user/installations` lists it for them). @default ['octocat'] */
  users?: string[];
}

/** The installation as `GET /app/installations/{id}` returns it. */
export type FakeInstallation = ReturnType<World['installationJson']>;

/** Where the App's webhooks go: its "Webhook URL" and "Webhook secret" on GitHub. */
export interface FakeWebhookTarget {
  url: string;
  secret: string;
}

/** One webhook the fake sent. */
export interface FakeWebhookDelivery {
  event: string;
  /** The `X-GitHub-Delivery` header. */
  deliveryId: string;
  /** The receiver's HTTP status; `pending` until it answers; `failed` when it could not be reached or did not answer in time. */
  status: number | 'pending' | 'failed';
}

export interface FakeGitHub {
  /** Base URL of the REST API (`http://127.0.0.1:PORT`, no trailing slash): the Octokit `baseUrl`. */
  url: string;
  /** Base of the "github.com" web pages (`<url>/_web`). */
  webUrl: string;
  appId: number;
  appSlug: string;
  /** The App's private key (PKCS#8 PEM, RSA 2048), generated at start. */
  privateKey: string;
  /** The App's OAuth client id (`Iv1.` and 16 hex digits), random per start. */
  clientId: string;
  /** The App's OAuth client secret (40 hex digits), random per start. */
  clientSecret: string;
  /**
   * What the authorize page does when `login` (default `octocat`) approves: mints a one-time OAuth
   * code, valid 10 minutes, for `POST /login/oauth/access_token`. For tests without a browser.
   */
  authorize(login?: string): string;
  /** Every request received, in order, except codeload downloads and `/_fake/` control requests. */
  calls: FakeGitHubCall[];
  /** Webhooks sent to `options.webhook`, oldest first; empty without one. */
  deliveries: FakeWebhookDelivery[];
  /** Resolves when every webhook sent so far has been answered or has failed. */
  webhooksDelivered(): Promise<void>;
  /** Registers an installation of the App. Throws on a duplicate id or a repository already installed elsewhere. */
  addInstallation(input: FakeInstallationInput): FakeInstallation;
  /** Uninstalls: its tokens stop working at once; its repositories stay (a new installation may take them). */
  removeInstallation(id: number): void;
  /** Adds a repository (created, or updated with this id and metadata) to an installation. */
  addRepository(installationId: number, repo: FakeRepositoryInput): void;
  /**
   * Makes a commit on `branch` of `fullName` (created if new) whose tree is exactly `files`
   * (path → contents). Its parent is the branch head, or the default branch head for a new branch.
   * The sha is a deterministic sha1 over parent, message and files.
   */
  commit(fullName: string, branch: string, files: Record<string, string | Buffer>, message?: string): { sha: string };
  /** Commits every file under `dir` (recursively; skips `node_modules` and `.git`, follows no symlinks). */
  commitDirectory(fullName: string, branch: string, dir: string, message?: string): Promise<{ sha: string }>;
  /** Calls with this method whose path starts with `path` (or matches it). */
  callsTo(method: string, path: string | RegExp): FakeGitHubCall[];
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 424242 */
  appId?: number;
  /** @default 'runway-local' */
  appSlug?: string;
  /**
   * Where the install page sends the browser back (the App's "Setup URL"); without it the page says
   * the id. The OAuth authorize page also sends the browser here (with `code` and `state`) when it
   * has no `redirect_uri`: the App's "Callback URL" on GitHub.
   */
  setupUrl?: string;
  /**
   * Where to deliver the App's webhooks (`installation` from the install page, `push` from the
   * control API), signed with `secret`. Without it the fake delivers none: tests then post their
   * own payloads.
   */
  webhook?: FakeWebhookTarget;
}

const DOCS_URL = 'https://docs.github.com/rest';
/** What the App was granted; every installation has exactly these. */
const APP_PERMISSIONS = { contents: 'read', statuses: 'write', deployments: 'write', pull_requests: 'write', metadata: 'read' } as const;
type Permission = keyof typeof APP_PERMISSIONS;
type Access = 'read' | 'write';
type Permissions = Partial<Record<Permission, Access>>;

const INSTALLATION_TOKEN_TTL_MS = 60 * 60 * 1000;
/** An OAuth code is good for one exchange within 10 minutes. */
const OAUTH_CODE_TTL_MS = 10 * 60 * 1000;
/** A GitHub App's expiring user access tokens live 8 hours, their refresh tokens 6 months. */
const USER_TOKEN_TTL_S = 8 * 60 * 60;
const REFRESH_TOKEN_TTL_S = 15_811_200;
/** The user the authorize and install pages act as when the URL names none. */
const DEFAULT_USER = 'octocat';
const OAUTH_ERRORS_URL = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';
/** Where the App's OAuth secrets appear in `POST /login/oauth/access_token`: `calls` records them as this. */
const REDACTED = '[REDACTED]';
/** codeload URLs are short-lived on GitHub too; long enough for a build to start its download. */
const CODELOAD_TTL_MS = 5 * 60 * 1000;
/** GitHub refuses App JWTs that live longer than 10 minutes, and tolerates a minute of clock drift on `iat`. */
const JWT_MAX_LIFETIME_S = 10 * 60;
const CLOCK_SKEW_S = 60;
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** A push through the control API carries a whole tree (binary files base64-encoded). */
const MAX_CONTROL_BODY_BYTES = 50 * 1024 * 1024;
/** GitHub gives up on a webhook receiver after 10 seconds. */
const WEBHOOK_TIMEOUT_MS = 10_000;
const ZERO_SHA = '0'.repeat(40);
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;
/** Who the web install page installs the App on: a stand-in for the user's GitHub organization. */
const WEB_INSTALL_ACCOUNT = { login: 'octo-org', type: 'Organization' } as const;
/** Who pushes through the control API: the push webhooks' `sender`, the commits' author. */
const LOCAL_USER = { login: 'runway-dev', name: 'Runway Local', email: 'local@runway.invalid' } as const;

// ---------------------------------------------------------------------------------------------
// State

interface CommitState {
  sha: string;
  parents: string[];
  message: string;
  date: string;
  files: ReadonlyMap<string, Buffer>;
}

interface StatusState {
  id: number;
  state: string;
  description: string | null;
  targetUrl: string | null;
  context: string;
  createdAt: string;
}

interface DeploymentStatusState {
  id: number;
  state: string;
  description: string;
  environment: string;
  logUrl: string;
  environmentUrl: string;
  createdAt: string;
}

interface DeploymentState {
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

interface CommentState {
  id: number;
  issueNumber: number;
  body: string;
  createdAt: string;
  updatedAt: string;
}

interface RepoState {
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

interface InstallationState {
  id: number;
  account: { login: string; id: number; type: 'User' | 'Organization' };
  /** Lower-cased full names: GitHub matches owner/repo case-insensitively. */
  repoKeys: Set<string>;
  /** Lower-cased logins of the users who can access it. */
  users: Set<string>;
  createdAt: string;
  updatedAt: string;
}

interface TokenState {
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

interface UserTokenState {
  login: string;
  expiresAt: number;
}

interface CodeloadGrant {
  repoKey: string;
  sha: string;
  expiresAt: number;
}

type Principal = { kind: 'app' } | { kind: 'installation'; token: TokenState } | { kind: 'user'; user: UserTokenState } | { kind: 'none'; problem: string };

/** An answer in GitHub's error shape; thrown by handlers, rendered by the dispatcher. */
class GitHubApiError extends Error {
  override name = 'GitHubApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const notFound = () => new GitHubApiError(404, 'Not Found');
const noCommit = (ref: string) => new GitHubApiError(422, `No commit found for SHA: ${ref}`);

const repoKey = (fullName: string) => fullName.toLowerCase();
/** GitHub logins: letters, digits and single hyphens, at most 39 characters. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
function checkLogin(login: string): string {
  if (!LOGIN.test(login)) throw new Error(`Not a GitHub login: ${login}`);
  return login;
}
const secretEquals = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const nowIso = () => new Date().toISOString();
const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest('hex');
/** A stable number for a name, so accounts without an explicit id keep the same one across runs. */
const stableId = (name: string) => Number.parseInt(sha1(name).slice(0, 7), 16);
const nodeId = (type: string, id: number) => Buffer.from(`0:${type}${id}`).toString('base64');
const unixTime = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * Sends the App's webhooks like GitHub's Hookshot: signed over the exact body, one at a time in
 * the order they happened, never retried. A failure is recorded and logged, not thrown: GitHub
 * does not tell the pusher that a receiver is down either.
 */
class Hookshot {
  readonly deliveries: FakeWebhookDelivery[] = [];
  readonly #webhooks: Webhooks;
  #last: Promise<void> = Promise.resolve();

  constructor(
    readonly target: FakeWebhookTarget,
    readonly appId: number,
  ) {
    this.#webhooks = new Webhooks({ secret: target.secret });
  }

  /** Queues a delivery; returns its `X-GitHub-Delivery` id. */
  send(event: string, payload: object): string {
    const delivery: FakeWebhookDelivery = { event, deliveryId: randomUUID(), status: 'pending' };
    this.deliveries.push(delivery);
    const body = JSON.stringify(payload);
    this.#last = this.#last.then(() => this.#post(delivery, body));
    return delivery.deliveryId;
  }

  settled(): Promise<void> {
    return this.#last;
  }

  async #post(delivery: FakeWebhookDelivery, body: string): Promise<void> {
    const what = `webhook ${delivery.event} ${delivery.deliveryId} to ${this.target.url}`;
    try {
      const response = await fetch(this.target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/fake',
          'x-github-event': delivery.event,
          'x-github-delivery': delivery.deliveryId,
          'x-github-hook-installation-target-type': 'integration',
          'x-github-hook-installation-target-id': String(this.appId),
          'x-hub-signature-256': await this.#webhooks.sign(body),
        },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      delivery.status = response.status;
      const text = await response.text();
      if (!response.ok) console.error(`[fake-github] ${what}: ${response.status} ${text.slice(0, 500)}`);
    } catch (error) {
      delivery.status = 'failed';
      console.error(`[fake-github] ${what} failed:`, error);
    }
  }
}

class World {
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
function treePath(file: string): string {
  const normalized = path.posix.normalize(file.replaceAll('\\', '/')).replace(/^\.\//, '');
  if (normalized.startsWith('/') || normalized === '.' || normalized.split('/').includes('..')) throw new Error(`Not a relative file path: ${file}`);
  return normalized;
}

/** GitHub's top-level directory in a tarball: `{owner}-{repo}-{sha7}`. */
function tarballPrefix(repo: RepoState, sha: string): string {
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
async function readTree(dir: string, prefix = ''): Promise<Record<string, Buffer>> {
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

// ---------------------------------------------------------------------------------------------
// Authentication

/** GitHub's own 401 messages for JWT problems: `@octokit/auth-app` recognises the clock ones and retries once with the server's `Date`. */
const JWT_UNDECODABLE = 'A JSON web token could not be decoded';
const JWT_EXPIRED = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const JWT_TOO_LONG = "'Expiration time' claim ('exp') is too far in the future";
const JWT_BAD_IAT = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";

const JwtHeader = z.object({ alg: z.literal('RS256') });
const JwtClaims = z.object({ iss: z.union([z.number(), z.string()]), iat: z.unknown(), exp: z.unknown() });

/** Checks an App JWT; returns the problem GitHub would report, or undefined when it is good. */
function jwtProblem(jwt: string, publicKey: KeyObject, appId: number): string | undefined {
  const [header, claims, signature, ...rest] = jwt.split('.');
  if (!header || !claims || !signature || rest.length > 0) return JWT_UNDECODABLE;
  const decoded = decodeJson(header, JwtHeader);
  const payload = decodeJson(claims, JwtClaims);
  if (!decoded || !payload) return JWT_UNDECODABLE;
  // RS256 is RSASSA-PKCS1-v1_5 over SHA-256 of `header.claims` — node:crypto's default for an RSA key.
  if (!verifySignature('sha256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url'))) return JWT_UNDECODABLE;
  if (String(payload.iss) !== String(appId)) return JWT_UNDECODABLE;
  const now = Math.floor(Date.now() / 1000);
  const { iat, exp } = payload;
  if (!Number.isInteger(iat) || (iat as number) > now + CLOCK_SKEW_S) return JWT_BAD_IAT;
  if (typeof exp !== 'number' || exp <= now) return JWT_EXPIRED;
  if (exp > now + JWT_MAX_LIFETIME_S) return JWT_TOO_LONG;
  return undefined;
}

function decodeJson<T extends z.ZodType>(part: string, schema: T): z.infer<T> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Not JSON: the caller answers "could not be decoded", which is all GitHub says either way.
    return undefined;
  }
}

function authenticate(world: World, authorization: string | undefined): Principal {
  if (!authorization) return { kind: 'none', problem: 'Requires authentication' };
  const [scheme = '', credential = '', ...rest] = authorization.trim().split(/\s+/);
  if (!['bearer', 'token'].includes(scheme.toLowerCase()) || !credential || rest.length > 0) return { kind: 'none', problem: 'Bad credentials' };
  // Installation tokens (`ghs_…`) have no dots; a JWT has exactly two.
  if (credential.includes('.')) {
    const problem = jwtProblem(credential, world.publicKey, world.appId);
    return problem ? { kind: 'none', problem } : { kind: 'app' };
  }
  const user = world.userTokens.get(credential);
  if (user) return user.expiresAt > Date.now() ? { kind: 'user', user } : { kind: 'none', problem: 'Bad credentials' };
  const token = world.tokens.get(credential);
  if (!token || token.expiresAt <= Date.now() || !world.installations.has(token.installationId)) return { kind: 'none', problem: 'Bad credentials' };
  return { kind: 'installation', token };
}

function allows(permissions: Permissions, [permission, access]: readonly [Permission, Access]): boolean {
  const granted = permissions[permission];
  return granted === 'write' || (granted === 'read' && access === 'read');
}

// ---------------------------------------------------------------------------------------------
// Routes

interface Reply {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON. */
  raw?: Buffer;
  headers?: Record<string, string>;
}

interface RequestContext {
  url: URL;
  params: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
}
interface InstallationContext extends RequestContext {
  token: TokenState;
}
interface RepoContext extends InstallationContext {
  repo: RepoState;
}
interface UserContext extends RequestContext {
  user: UserTokenState;
}

interface RouteBase {
  method: string;
  pattern: RegExp;
  keys: string[];
  /** Also takes an `application/x-www-form-urlencoded` body (as an object), as OAuth endpoints do. */
  form?: boolean;
  /** Body fields and query parameters recorded as `[REDACTED]` in `calls`. */
  redact?: readonly string[];
}
type Route = RouteBase &
  (
    | { auth: 'none'; record: boolean; handle: (ctx: RequestContext) => Reply | Promise<Reply> }
    | { auth: 'app'; handle: (ctx: RequestContext) => Reply | Promise<Reply> }
    | { auth: 'installation'; permission: readonly [Permission, Access]; handle: (ctx: InstallationContext) => Reply | Promise<Reply> }
    /** Under `/repos/{owner}/{repo}`: the dispatcher finds the repository within the token's reach. */
    | { auth: 'repo'; permission: readonly [Permission, Access]; handle: (ctx: RepoContext) => Reply | Promise<Reply> }
    /** A user access token (`ghu_`, from the OAuth web flow). */
    | { auth: 'user'; handle: (ctx: UserContext) => Reply | Promise<Reply> }
  );

/** `/repos/{owner}/{repo}/commits/{ref+}`: `{x}` is one path segment, `{x+}` one or more (branch names have slashes). */
function compile(template: string): Pick<RouteBase, 'pattern' | 'keys'> {
  const keys: string[] = [];
  const source = template.replace(/[.*?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\+?)\}/g, (_, key: string, many: string) => {
    keys.push(key);
    return many ? '(.+)' : '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), keys };
}

const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, ...(headers ? { headers } : {}) });
const created = (body: unknown): Reply => ({ status: 201, body });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A github.com web page: HTML, not the API's JSON. */
function htmlPage(status: number, title: string, body: string): Reply {
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title>${body}\n`;
  return { status, raw: Buffer.from(html), headers: { 'content-type': 'text/html; charset=utf-8' } };
}

const oauthError = (error: string, description: string, uri: string) => ({ error, error_description: description, error_uri: uri });

/** OAuth answers: JSON when the client accepts it (Octokit does), else GitHub's default, a form-encoded body. */
function oauthReply(accept: string | undefined, fields: Record<string, string | number>): Reply {
  if (/\bjson\b/i.test(accept ?? '')) return ok(fields);
  const form = new URLSearchParams(Object.entries(fields).map(([key, value]) => [key, String(value)]));
  return { status: 200, raw: Buffer.from(form.toString()), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } };
}

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

/** The owner and name GitHub allows (`/_fake/repos/{owner}/{repo}/…`): what Runway's webhook accepts too. */
const ControlRepo = z.object({
  owner: z.string().regex(/^[A-Za-z0-9-]{1,39}$/),
  repo: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/)
    .refine((name) => name !== '.' && name !== '..'),
});

/** A branch name `git check-ref-format --branch` accepts: a push payload's ref must be one GitHub could send. */
const BranchName = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (name) =>
      !name.startsWith('-') &&
      name !== '@' &&
      !name.endsWith('.') &&
      !name.endsWith('.lock') &&
      !['..', '@{'].some((bad) => name.includes(bad)) &&
      // Control characters, space and the characters git reserves for revision syntax.
      !/[\x00-\x20\x7f~^:?*[\\]/.test(name) &&
      name.split('/').every((part) => part !== '' && !part.startsWith('.')),
    'is not a valid git branch name',
  );

const PushControlBody = z.strictObject({
  branch: BranchName,
  /** The whole tree of the new commit: path → UTF-8 text, or bytes as base64. */
  files: z
    .record(z.string().min(1).max(4096), z.union([z.string(), z.strictObject({ base64: z.base64() })]))
    .refine((files) => Object.keys(files).length > 0, 'a commit needs at least one file'),
  message: z.string().min(1).max(65_536).optional(),
});

/**
 * Validates a request body as GitHub does (422 "Validation Failed"). Unknown fields are refused,
 * where GitHub ignores them: a misspelt field would otherwise pass here and silently do nothing there.
 */
function parseBody<T extends z.ZodType>(schema: T, body: unknown, resource: string): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  throw new GitHubApiError(422, 'Validation Failed', {
    errors: result.error.issues.map((issue) => ({ resource, field: issue.path.join('.'), code: issue.code === 'unrecognized_keys' ? 'unexpected' : 'invalid', message: issue.message })),
  });
}

/** One page of `items` per `per_page`/`page`, with GitHub's `Link` header so Octokit's `paginate` walks them. */
function page<T>(url: URL, items: T[]): { items: T[]; headers: Record<string, string> } {
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

function positiveInt(value: string | undefined): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw notFound();
  return n;
}

function routes(world: World): Route[] {
  const none = (method: string, template: string, handle: (ctx: RequestContext) => Reply | Promise<Reply>, record = true): Route => ({ method, ...compile(template), auth: 'none', record, handle });
  const app = (method: string, template: string, handle: (ctx: RequestContext) => Reply | Promise<Reply>): Route => ({ method, ...compile(template), auth: 'app', handle });
  const installation = (method: string, template: string, permission: readonly [Permission, Access], handle: (ctx: InstallationContext) => Reply | Promise<Reply>): Route => ({ method, ...compile(template), auth: 'installation', permission, handle });
  const repo = (method: string, template: string, permission: readonly [Permission, Access], handle: (ctx: RepoContext) => Reply | Promise<Reply>): Route => ({ method, ...compile(`/repos/{owner}/{repo}${template}`), auth: 'repo', permission, handle });
  const user = (method: string, template: string, handle: (ctx: UserContext) => Reply | Promise<Reply>): Route => ({ method, ...compile(template), auth: 'user', handle });

  const controlRepo = (params: Record<string, string>) => {
    const parsed = ControlRepo.safeParse(params);
    if (!parsed.success) throw new GitHubApiError(422, `Not a GitHub repository name: ${params.owner}/${params.repo}`);
    return `${parsed.data.owner}/${parsed.data.repo}`;
  };
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

  const authorizePage = ({ url }: RequestContext): Reply => {
    const query = url.searchParams;
    if (query.get('client_id') !== world.clientId) return htmlPage(404, 'Page not found', '<p>Not Found</p>');
    const login = query.get('login') ?? DEFAULT_USER;
    if (!LOGIN.test(login)) return htmlPage(422, 'Unprocessable', `<p>Not a GitHub login: ${escapeHtml(login)}</p>`);
    const redirectUri = query.get('redirect_uri') ?? undefined;
    const target = redirectUri ?? world.setupUrl;
    let location: URL | undefined;
    if (target !== undefined) {
      location = URL.canParse(target) ? new URL(target) : undefined;
      if (!location || !['http:', 'https:'].includes(location.protocol)) return htmlPage(400, 'Redirect URI mismatch', `<p>The redirect_uri is not valid: ${escapeHtml(target)}</p>`);
    }
    const code = world.authorize(login, redirectUri);
    if (!location) return htmlPage(200, 'Authorized', `<p>${login} authorized ${world.appSlug}: code <strong id="code">${code}</strong>.</p>`);
    location.searchParams.set('code', code);
    const state = query.get('state');
    if (state !== null) location.searchParams.set('state', state);
    return { status: 302, headers: { location: location.href } };
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

    // --- User access token (OAuth web flow) --------------------------------------------------
    user('GET', '/user', ({ user: u }) => ok({ ...world.userJson(u.login, stableId(u.login), 'User'), name: null, email: null })),
    user('GET', '/user/installations', ({ user: u, url }) => {
      const mine = [...world.installations.values()].filter((i) => i.users.has(u.login.toLowerCase())).sort((a, b) => a.id - b.id);
      const { items, headers } = page(url, mine);
      // `total_count` and one list key, like `/installation/repositories`: plugin-paginate-rest unwraps it.
      return ok({ total_count: mine.length, installations: items.map((i) => world.installationJson(i)) }, headers);
    }),

    // --- OAuth (at github.com's root, where @octokit/oauth-methods posts: the REST base URL minus `/api/v3`)
    {
      ...none('POST', '/login/oauth/access_token', ({ url, body, headers }) => {
        // GitHub takes the parameters from the query string too; a body field wins.
        const input: Record<string, unknown> = { ...Object.fromEntries(url.searchParams), ...(typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) };
        const field = (name: string) => (typeof input[name] === 'string' ? input[name] : undefined);
        // OAuth answers its errors with 200 and an `error` field; @octokit/oauth-methods turns them into a RequestError.
        const answer = (fields: Record<string, string | number>) => oauthReply(headers.accept, fields);
        const secret = field('client_secret');
        if (field('client_id') !== world.clientId || secret === undefined || !secretEquals(secret, world.clientSecret)) {
          return answer(oauthError('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.', `${OAUTH_ERRORS_URL}#incorrect-client-credentials`));
        }
        const grantType = field('grant_type') ?? 'authorization_code';
        if (grantType === 'refresh_token') {
          const refreshToken = field('refresh_token') ?? '';
          const grant = world.refreshTokens.get(refreshToken);
          // A refresh token is spent by its refresh: the answer carries the next one.
          world.refreshTokens.delete(refreshToken);
          if (!grant || grant.expiresAt <= Date.now()) return answer(oauthError('bad_refresh_token', 'The refresh token passed is incorrect or expired.', 'https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens'));
          return answer(world.mintUserToken(grant.login));
        }
        if (grantType !== 'authorization_code') return answer(oauthError('unsupported_grant_type', `The grant type ${grantType} is not supported.`, OAUTH_ERRORS_URL));
        const code = field('code') ?? '';
        const grant = world.oauthCodes.get(code);
        // One exchange per code, whatever its outcome.
        world.oauthCodes.delete(code);
        if (!grant || grant.expiresAt <= Date.now()) return answer(oauthError('bad_verification_code', 'The code passed is incorrect or expired.', `${OAUTH_ERRORS_URL}#bad-verification-code`));
        const redirectUri = field('redirect_uri');
        if (redirectUri !== undefined && grant.redirectUri !== undefined && redirectUri !== grant.redirectUri) {
          return answer(oauthError('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.', `${OAUTH_ERRORS_URL}#redirect-uri-mismatch`));
        }
        return answer(world.mintUserToken(grant.login));
      }),
      form: true,
      redact: ['client_secret', 'code', 'refresh_token'],
    },

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

    // --- github.com web pages ----------------------------------------------------------------
    none('GET', '/_web/apps/{slug}/installations/new', ({ params, url }): Reply => {
      if (params.slug !== world.appSlug) throw notFound();
      // The signed-in user who installs (`?login=`, not GitHub's): only they can access the installation.
      const login = url.searchParams.get('login') ?? DEFAULT_USER;
      if (!LOGIN.test(login)) return htmlPage(422, 'Unprocessable', `<p>Not a GitHub login: ${escapeHtml(login)}</p>`);
      // The user picks "All repositories" on the install page: every repository that exists and
      // has no installation yet.
      const repositories = [...world.repos.entries()]
        .filter(([key, r]) => r.commits.size > 0 && !world.installationOf(key))
        .map(([, r]) => ({ id: r.id, fullName: r.fullName, private: r.private, defaultBranch: r.defaultBranch }));
      const id = world.nextInstallationId();
      world.addInstallation({ id, account: { ...WEB_INSTALL_ACCOUNT }, repositories, users: [login] });
      world.hookshot?.send('installation', world.installationCreatedPayload(world.installations.get(id) as InstallationState, login));
      if (!world.setupUrl) return htmlPage(200, 'Installed', `<p>${login} installed ${world.appSlug} on ${WEB_INSTALL_ACCOUNT.login}: installation <strong id="installation-id">${id}</strong>.</p>`);
      const target = new URL(world.setupUrl);
      target.searchParams.set('installation_id', String(id));
      target.searchParams.set('setup_action', 'install');
      const state = url.searchParams.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, headers: { location: target.href } };
    }),
    // The App's "Authorize" page of the OAuth web flow: the user (`?login=`, not GitHub's) approves
    // at once and the browser goes to `redirect_uri`, else to the App's callback URL (`setupUrl`).
    // Also at the root, where @octokit/oauth-methods' `getWebFlowAuthorizationUrl` puts it (the REST
    // base URL minus `/api/v3`, as on GitHub Enterprise Server).
    ...['/_web/login/oauth/authorize', '/login/oauth/authorize'].map((template) => none('GET', template, authorizePage)),

    // --- control API: the fake's own, what `git push` would do (not recorded in `calls`) -----
    none(
      'POST',
      '/_fake/repos/{owner}/{repo}/push',
      ({ params, body }) => {
        const fullName = controlRepo(params);
        const input = parseBody(PushControlBody, body, 'Push');
        const files = Object.fromEntries(
          Object.entries(input.files).map(([file, content]) => {
            try {
              return [treePath(file), typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content.base64, 'base64')];
            } catch (cause) {
              throw new GitHubApiError(422, 'Validation Failed', { errors: [{ resource: 'Push', field: `files.${file}`, code: 'invalid', message: (cause as Error).message }] });
            }
          }),
        );
        const before = world.repos.get(repoKey(fullName))?.branches.get(input.branch);
        const { sha } = world.commit(fullName, input.branch, files, input.message);
        const r = world.repos.get(repoKey(fullName)) as RepoState;
        const deliveryId = world.hookshot?.send('push', world.pushPayload(r, input.branch, before, r.commits.get(sha))) ?? null;
        return created({ sha, created: before === undefined, installationId: world.installationOf(repoKey(fullName))?.id ?? null, deliveryId });
      },
      false,
    ),
    none(
      'DELETE',
      '/_fake/repos/{owner}/{repo}/branches/{branch+}',
      ({ params }) => {
        const r = world.repos.get(repoKey(controlRepo(params)));
        if (!r) throw notFound();
        const branch = params.branch as string;
        const before = r.branches.get(branch);
        if (!before) throw new GitHubApiError(422, 'Reference does not exist');
        // As on GitHub: the default branch is what clones check out, it cannot go away.
        if (branch === r.defaultBranch) throw new GitHubApiError(422, `Cannot delete the default branch ${branch}`);
        r.branches.delete(branch);
        r.updatedAt = nowIso();
        const deliveryId = world.hookshot?.send('push', world.pushPayload(r, branch, before, undefined)) ?? null;
        return ok({ before, installationId: world.installationOf(repoKey(r.fullName))?.id ?? null, deliveryId });
      },
      false,
    ),
  ];
}

// ---------------------------------------------------------------------------------------------
// Server

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

function send(res: ServerResponse, reply: Reply): void {
  const payload = reply.raw ?? (reply.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(reply.body)));
  const headers: Record<string, string> = { ...reply.headers, 'content-length': String(payload.length) };
  if (!reply.raw && reply.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
  res.writeHead(reply.status, headers).end(payload);
}

function errorReply(error: GitHubApiError): Reply {
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

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    // URIError: the caller treats the route as not matching.
    return undefined;
  }
}

async function dispatch(world: World, table: Route[], req: IncomingMessage): Promise<Reply> {
  // Concatenated, not resolved: a path like `//app` (a baseUrl with a trailing slash) must stay a path.
  const url = new URL(`${world.url}${req.url ?? '/'}`);
  const raw = await readBody(req, url.pathname.startsWith('/_fake/') ? MAX_CONTROL_BODY_BYTES : MAX_BODY_BYTES);
  const principal = authenticate(world, req.headers.authorization);
  const method = req.method ?? 'GET';
  let params: Record<string, string> = {};
  const route = table.find((candidate) => {
    if (candidate.method !== method) return false;
    const match = candidate.pattern.exec(url.pathname);
    if (!match) return false;
    const values = candidate.keys.map((_, i) => safeDecode(match[i + 1] as string));
    // A malformed escape (`%zz`) names nothing GitHub has.
    if (values.includes(undefined)) return false;
    params = Object.fromEntries(candidate.keys.map((key, i) => [key, values[i] as string]));
    return true;
  });
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

/**
 * Starts the fake on `host:port` (127.0.0.1, any free port by default) with a fresh App key pair.
 * Point Octokit at it with `Octokit.defaults({ baseUrl: fake.url })`.
 */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const { host = '127.0.0.1', port = 0, appId = 424242, appSlug = 'runway-local', setupUrl, webhook } = options;
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const hookshot = webhook ? new Hookshot(webhook, appId) : undefined;
  const world = new World(appId, appSlug, publicKey, setupUrl, hookshot);
  const table = routes(world);

  const server = http.createServer((req, res) => {
    dispatch(world, table, req).then(
      (reply) => send(res, reply),
      (error: unknown) => {
        if (error instanceof GitHubApiError) return send(res, errorReply(error));
        // A bug in the fake: say so on stderr, tell the client only that the server failed.
        console.error('[fake-github]', req.method, req.url, error);
        send(res, { status: 500, body: { message: 'Server Error' } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  world.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url: world.url,
    webUrl: world.webUrl,
    appId,
    appSlug,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    clientId: world.clientId,
    clientSecret: world.clientSecret,
    authorize: (login = DEFAULT_USER) => world.authorize(login),
    calls: world.calls,
    deliveries: hookshot?.deliveries ?? [],
    webhooksDelivered: async () => hookshot?.settled(),
    addInstallation: (input) => world.addInstallation(input),
    removeInstallation: (id) => world.removeInstallation(id),
    addRepository: (installationId, repo) => world.addRepository(installationId, repo),
    commit: (fullName, branch, files, message) => world.commit(fullName, branch, files, message),
    commitDirectory: async (fullName, branch, dir, message) => world.commit(fullName, branch, await readTree(dir), message),
    callsTo: (method, pathOrPattern) =>
      world.calls.filter((call) => call.method === method.toUpperCase() && (typeof pathOrPattern === 'string' ? call.path.startsWith(pathOrPattern) : pathOrPattern.test(call.path))),
    close: async () => {
      // Deliveries under way finish (or time out) first: none may land after close() returned.
      await hookshot?.settled();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Octokit's fetch keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
}
