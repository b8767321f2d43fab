/** The fake GitHub's public types: what tests and `npm start` see of it. */
import type { World } from './world.ts';

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
