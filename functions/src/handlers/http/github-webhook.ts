import { createHash } from 'node:crypto';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { Webhooks } from '@octokit/webhooks';
import { createError } from '@middy/util';
import * as z from 'zod';
import { SqsGitHubQueue } from '#adapters/github-queue/sqs';
import { ConflictError, UnauthorizedError, ValidationError } from '#core/errors';
import { GitHubJob, InstallationPayload, InstallationRepositoriesPayload, PullRequestPayload, PushPayload } from '#core/github/schema';
import { gitHubWebhookSecret } from '#lib/github-app';
import { httpHandler, route } from '#lib/http';
import { idempotent } from '#lib/idempotency';
import { logger } from '#lib/powertools';
import { ports, provideDefaultPorts } from '#lib/ports';

/**
 * `POST /webhooks/github`: GitHub App deliveries. Verifies `X-Hub-Signature-256` over the raw
 * bytes (with `@octokit/webhooks`), turns the payload into a small job, and enqueues it once per
 * `X-GitHub-Delivery` (Powertools Idempotency); the worker does the rest, so GitHub gets its
 * answer in milliseconds. Unknown events and actions are acknowledged and dropped.
 */

/** GitHub caps payloads at 25 MB; the ones Runway reads are far smaller. */
const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;

const Headers = z.object({
  'x-github-event': z.string().regex(/^[a-z_]{1,64}$/),
  'x-github-delivery': z.string().regex(/^[A-Za-z0-9-]{1,100}$/),
});

let verifier: { secret: string; webhooks: Webhooks } | undefined;

async function verify(body: string, signature: string): Promise<boolean> {
  const webhookSecret = await gitHubWebhookSecret();
  if (verifier?.secret !== webhookSecret) verifier = { secret: webhookSecret, webhooks: new Webhooks({ secret: webhookSecret }) };
  return verifier.webhooks.verify(body, signature);
}

/** Enqueues a job once per delivery id, for a day (GitHub redelivers by hand, within days at most). */
const enqueueOnce = idempotent(
  async (job: GitHubJob & Record<string, unknown>) => {
    await ports().githubQueue.send({ body: JSON.stringify(job), groupId: groupOf(job), dedupId: job.deliveryId });
    return { queued: true };
  },
  { keyPrefix: 'github-webhook', keyPath: 'deliveryId', expiresAfterSeconds: 24 * 3600 },
);

export const routes = {
  'POST /webhooks/github': route({
    auth: 'public',
    rawBody: true,
    maxBodyBytes: MAX_WEBHOOK_BYTES,
    summary: 'GitHub App webhook (signed with the App\'s webhook secret)',
    handler: async ({ event, rawBody, context }) => {
      const signature = event.headers['x-hub-signature-256'];
      if (!signature || !/^sha256=[0-9a-f]{64}$/.test(signature)) {
        throw new UnauthorizedError('invalid_signature', 'X-Hub-Signature-256 is missing or malformed');
      }
      // GitHub never sends an empty delivery (and the verifier refuses one by throwing).
      if (rawBody.length === 0) throw new ValidationError('invalid_payload', 'The payload is empty');
      const body = rawBody.toString('utf8');
      if (!(await verify(body, signature))) throw new UnauthorizedError('invalid_signature', 'The signature does not match the payload');
      const headers = Headers.safeParse(event.headers);
      if (!headers.success) throw new ValidationError('invalid_headers', 'X-GitHub-Event and X-GitHub-Delivery are required');
      if (!/^application\/json\b/i.test(event.headers['content-type'] ?? '')) {
        throw createError(415, 'Set the webhook\'s content type to application/json in the GitHub App settings');
      }
      const { 'x-github-event': name, 'x-github-delivery': deliveryId } = headers.data;
      logger.appendKeys({ githubEvent: name, deliveryId });
      const parsed = toJob(name, deliveryId, parseJson(body));
      const job = parsed && fitted(parsed);
      if (!job) return { status: 202, body: { status: 'ignored', event: name } };
      try {
        await enqueueOnce(job as GitHubJob & Record<string, unknown>, context);
      } catch (error) {
        if (error instanceof IdempotencyAlreadyInProgressError) {
          throw new ConflictError('delivery_in_progress', 'This delivery is being handled right now');
        }
        throw error;
      }
      return { status: 202, body: { status: 'queued', deliveryId } };
    },
  }),
};

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

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (cause) {
    throw new ValidationError('invalid_json', 'The payload is not valid JSON', {}, { cause });
  }
}

// In AWS the worker sits behind an SQS FIFO queue (npm start and tests inject the in-process one).
provideDefaultPorts({ githubQueue: new SqsGitHubQueue() });

export const handler = httpHandler(routes);
