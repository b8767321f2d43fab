import * as z from 'zod';

/**
 * GitHub webhook payloads, as far as Runway reads them, and the compact jobs the webhook enqueues.
 *
 * Payloads are GitHub's, with hundreds of fields that change over time, so these schemas keep the
 * fields they name and let the rest pass (`looseObject`); what the worker receives is our own
 * strict job, small enough for one queue message whatever the size of the push.
 */

const RepoFullName = z.string().regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, 'must be "owner/name"');
const CommitSha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a full commit sha');
const Id = z.number().int().positive();

const Repository = z.looseObject({ id: Id, full_name: RepoFullName, private: z.boolean().optional(), default_branch: z.string().optional() });
const InstallationRef = z.looseObject({ id: Id });
const Account = z.looseObject({ login: z.string().min(1).max(100), type: z.string().max(40).optional() });
const ListedRepository = z.looseObject({ id: Id, full_name: RepoFullName, private: z.boolean().optional() });

export const PushPayload = z.looseObject({
  ref: z.string().min(1).max(512),
  before: CommitSha,
  after: CommitSha,
  deleted: z.boolean().default(false),
  head_commit: z.looseObject({ id: CommitSha, message: z.string() }).nullable().optional(),
  repository: Repository,
  installation: InstallationRef.optional(),
});

export const PullRequestPayload = z.looseObject({
  action: z.string().min(1).max(64),
  number: Id,
  pull_request: z.looseObject({
    title: z.string().max(1024).optional(),
    head: z.looseObject({ ref: z.string().min(1).max(255), sha: CommitSha, repo: z.looseObject({ id: Id, full_name: RepoFullName }).nullable() }),
  }),
  repository: Repository,
  installation: InstallationRef.optional(),
});

export const InstallationPayload = z.looseObject({
  action: z.string().min(1).max(64),
  installation: z.looseObject({ id: Id, account: Account.nullable().optional(), repository_selection: z.enum(['all', 'selected']).optional() }),
  repositories: z.array(ListedRepository).optional(),
});

export const InstallationRepositoriesPayload = z.looseObject({
  action: z.string().min(1).max(64),
  installation: z.looseObject({ id: Id }),
  repositories_added: z.array(ListedRepository).default([]),
  repositories_removed: z.array(ListedRepository).default([]),
});

export const GitHubRepository = z.strictObject({ id: Id, fullName: RepoFullName, private: z.boolean().optional(), defaultBranch: z.string().optional() });
export type GitHubRepository = z.infer<typeof GitHubRepository>;

/** What the worker does with one delivery. */
export const GitHubJob = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('push'),
    deliveryId: z.string(),
    installationId: Id,
    repository: GitHubRepository,
    branch: z.string().min(1).max(255),
    after: CommitSha,
    deleted: z.boolean(),
    headCommit: z.strictObject({ sha: CommitSha, message: z.string().max(4096) }).nullable(),
  }),
  z.strictObject({
    kind: z.literal('pull_request'),
    deliveryId: z.string(),
    action: z.enum(['opened', 'reopened', 'synchronize', 'closed']),
    installationId: Id,
    repository: GitHubRepository,
    number: Id,
    title: z.string().max(1024).optional(),
    branch: z.string().min(1).max(255),
    headSha: CommitSha,
    /** The head is in another repository (a fork): its code is not built. */
    fromFork: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('installation'),
    deliveryId: z.string(),
    action: z.enum(['created', 'deleted', 'suspend', 'unsuspend', 'new_permissions_accepted']),
    installationId: Id,
    account: z.strictObject({ login: z.string(), type: z.string().optional() }).optional(),
    repositorySelection: z.enum(['all', 'selected']).optional(),
    repositories: z.array(GitHubRepository).optional(),
    /** The list was too large for a message: the worker reads it from GitHub. */
    resync: z.literal(true).optional(),
  }),
  z.strictObject({
    kind: z.literal('installation_repositories'),
    deliveryId: z.string(),
    action: z.enum(['added', 'removed']),
    installationId: Id,
    added: z.array(GitHubRepository),
    removed: z.array(GitHubRepository),
    resync: z.literal(true).optional(),
  }),
]);
export type GitHubJob = z.infer<typeof GitHubJob>;

/** A linked installation as the API shows it. */
export const InstallationInfo = z.strictObject({
  id: Id,
  accountLogin: z.string(),
  accountType: z.string().optional(),
  repositorySelection: z.enum(['all', 'selected']).optional(),
  suspended: z.boolean(),
  linkedAt: z.string(),
});
export type InstallationInfo = z.infer<typeof InstallationInfo>;

/** A repository a team can import, with the projects already built from it. */
export const RepositoryInfo = z.strictObject({
  id: Id,
  fullName: z.string(),
  private: z.boolean(),
  installationId: Id,
  defaultBranch: z.string().optional(),
  projects: z.array(z.string()).describe('Names of the team\'s projects linked to this repository'),
});
export type RepositoryInfo = z.infer<typeof RepositoryInfo>;

export const LinkInstallationBody = z.strictObject({
  installationId: Id,
  /** The `state` GitHub passed back to the setup URL, from `POST /v1/git/install`. */
  state: z.string().min(20).max(200),
  /** The OAuth `code` GitHub passed back after the person authorized the App (`authorizeUrl`). */
  code: z.string().min(1).max(200),
});

/** `POST /v1/git/install`: where to send the person to install the App for this team, then to authorize it. */
export const InstallLink = z.strictObject({ url: z.string(), authorizeUrl: z.string(), expiresAt: z.string() });

export { CommitSha, RepoFullName };
