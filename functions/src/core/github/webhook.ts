import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { ValidationError } from '#core/errors';
import { InstallationPayload, InstallationRepositoriesPayload, PullRequestPayload, PushPayload, type GitHubJob } from './schema.ts';

/**
 * GitHub App deliveries → the compact jobs the worker carries out: which events and actions
 * Runway acts on, and how they are ordered (one FIFO group per repository and branch).
 */

/**
 * The job of a delivery, ready for one queue message, or undefined when Runway does nothing with it.
 * @throws ValidationError `invalid_payload` when an event Runway handles does not have its shape
 */
export function jobOf(name: string, deliveryId: string, payload: unknown): GitHubJob | undefined {
  const job = toJob(name, deliveryId, payload);
  return job && fitted(job);
}

/**
 * The job of a delivery, or undefined when Runway does nothing with it.
 * @throws ValidationError `invalid_payload` when an event Runway handles does not have its shape
 */
export function toJob(name: string, deliveryId: string, payload: unknown): GitHubJob | undefined {
  switch (name) {
    case 'push': {
      const p = parse(PushPayload, payload);
      if (!p.ref.startsWith('refs/heads/') || !p.installation) return undefined;
      return {
        kind: 'push',
        deliveryId,
        installationId: p.installation.id,
        repository: repo(p.repository),
        branch: p.ref.slice('refs/heads/'.length),
        after: p.after,
        deleted: p.deleted,
        headCommit: p.head_commit ? { sha: p.head_commit.id, message: p.head_commit.message.slice(0, 4096) } : null,
      };
    }
    case 'pull_request': {
      const p = parse(PullRequestPayload, payload);
      const action = p.action;
      if (!p.installation || (action !== 'opened' && action !== 'reopened' && action !== 'synchronize' && action !== 'closed')) return undefined;
      const head = p.pull_request.head;
      return {
        kind: 'pull_request',
        deliveryId,
        action,
        installationId: p.installation.id,
        repository: repo(p.repository),
        number: p.number,
        ...(p.pull_request.title !== undefined ? { title: p.pull_request.title.slice(0, 1024) } : {}),
        branch: head.ref,
        headSha: head.sha,
        fromFork: head.repo === null || head.repo.id !== p.repository.id,
      };
    }
    case 'installation': {
      const p = parse(InstallationPayload, payload);
      const actions = ['created', 'deleted', 'suspend', 'unsuspend', 'new_permissions_accepted'] as const;
      const action = actions.find((a) => a === p.action);
      if (!action) return undefined;
      return {
        kind: 'installation',
        deliveryId,
        action,
        installationId: p.installation.id,
        ...(p.installation.account ? { account: { login: p.installation.account.login, ...(p.installation.account.type ? { type: p.installation.account.type } : {}) } } : {}),
        ...(p.installation.repository_selection ? { repositorySelection: p.installation.repository_selection } : {}),
        ...(p.repositories ? { repositories: p.repositories.map(repo) } : {}),
      };
    }
    case 'installation_repositories': {
      const p = parse(InstallationRepositoriesPayload, payload);
      if (p.action !== 'added' && p.action !== 'removed') return undefined;
      return { kind: 'installation_repositories', deliveryId, action: p.action, installationId: p.installation.id, added: p.repositories_added.map(repo), removed: p.repositories_removed.map(repo) };
    }
    default:
      return undefined;
  }
}

/**
 * One FIFO group per repository and branch: a branch's pushes and pull requests run in order.
 * Hashed: SQS group ids allow ASCII punctuation and alphanumerics only, branch names do not.
 */
export function groupOf(job: GitHubJob): string {
  if (job.kind === 'push' || job.kind === 'pull_request') return createHash('sha256').update(`${job.repository.id}:${job.branch}`).digest('hex');
  return `installation-${job.installationId}`;
}

/** SQS takes messages up to 1 MiB; an installation of thousands of repositories is resynced from GitHub instead. */
const MAX_MESSAGE_BYTES = 900 * 1024;

function fitted(job: GitHubJob): GitHubJob {
  if (Buffer.byteLength(JSON.stringify(job)) <= MAX_MESSAGE_BYTES) return job;
  if (job.kind === 'installation') return { ...job, repositories: undefined, resync: true };
  if (job.kind === 'installation_repositories') return { ...job, added: [], removed: [], resync: true };
  return job;
}

function repo(r: { id: number; full_name: string; private?: boolean | undefined; default_branch?: string | undefined }) {
  return { id: r.id, fullName: r.full_name, ...(r.private !== undefined ? { private: r.private } : {}), ...(r.default_branch ? { defaultBranch: r.default_branch } : {}) };
}

function parse<T>(schema: z.ZodType<T>, payload: unknown): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  throw new ValidationError('invalid_payload', 'The payload does not have the shape of this event', {
    issues: result.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

