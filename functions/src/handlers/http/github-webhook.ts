import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { Webhooks } from '@octokit/webhooks';
import { createError } from '@middy/util';
import * as z from 'zod';
import { SqsGitHubQueue } from '#adapters/github-queue/sqs';
import { ConflictError, UnauthorizedError, ValidationError } from '#core/errors';
import type { GitHubJob } from '#core/github/schema';
import * as GitHubWebhook from '#core/github/webhook';
import { gitHubWebhookSecret } from '#lib/github-app';
import { httpHandler, route } from '#lib/http';
import { idempotent } from '#lib/idempotency';
import { logger } from '#lib/powertools';
import { context } from '#core/context';
import { wire } from '#lib/context';

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
    await context().githubQueue.send({ body: JSON.stringify(job), groupId: GitHubWebhook.groupOf(job), dedupId: job.deliveryId });
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
      const job = GitHubWebhook.jobOf(name, deliveryId, parseJson(body));
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

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (cause) {
    throw new ValidationError('invalid_json', 'The payload is not valid JSON', {}, { cause });
  }
}

// In AWS the worker sits behind an SQS FIFO queue (npm start and tests inject the in-process one).
wire({ githubQueue: () => new SqsGitHubQueue() });

export const handler = httpHandler(routes);
