import { randomUUID } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import examples from '@octokit/webhooks-examples' with { type: 'json' };

type Payload = Record<string, any>;

/**
 * A deep copy of a real example payload from `@octokit/webhooks-examples` (GitHub's documented
 * payloads), picked by event name and a predicate. Tests then set the ids and refs of their own
 * fixtures on it; every other field stays GitHub's.
 */
export function example(event: string, pick: (payload: Payload) => boolean = () => true): Payload {
  const entry = (examples as Array<{ name: string; examples: Payload[] }>).find((e) => e.name === event);
  const found = entry?.examples.find(pick);
  if (!found) throw new Error(`@octokit/webhooks-examples has no matching "${event}" example`);
  return structuredClone(found);
}

export interface Delivery {
  status: number;
  body: any;
  deliveryId: string;
}

/** Signs `body` with the webhook secret as GitHub does (`@octokit/webhooks`) and posts it. */
export async function deliver(
  api: string,
  secret: string,
  event: string,
  payload: Payload | string,
  options: { deliveryId?: string; headers?: Record<string, string>; signature?: string | null } = {},
): Promise<Delivery> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const signature = options.signature === undefined ? await new Webhooks({ secret }).sign(body) : options.signature;
  const res = await fetch(`${api}/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'user-agent': 'GitHub-Hookshot/test',
      ...(signature !== null ? { 'x-hub-signature-256': signature } : {}),
      ...options.headers,
    },
    body,
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, deliveryId };
}

/** GitHub's push example for a branch, pointed at a repository, installation and commit of the test. */
export function pushPayload(input: { installationId: number; repo: { id: number; fullName: string }; branch: string; sha: string; message?: string; deleted?: boolean }): Payload {
  const payload = example('push', (p) => p.ref === 'refs/heads/master' && p.head_commit);
  payload.ref = `refs/heads/${input.branch}`;
  payload.before = payload.after;
  payload.after = input.deleted ? '0'.repeat(40) : input.sha;
  payload.deleted = Boolean(input.deleted);
  payload.created = false;
  if (input.deleted) {
    payload.head_commit = null;
    payload.commits = [];
  } else {
    payload.head_commit.id = input.sha;
    payload.head_commit.message = input.message ?? `commit ${input.sha.slice(0, 7)}`;
  }
  pointAt(payload, input);
  return payload;
}

/** GitHub's pull_request example with `action`, pointed at the test's repository and head commit. */
export function pullRequestPayload(input: { action: string; number: number; installationId: number; repo: { id: number; fullName: string }; branch: string; sha: string }): Payload {
  const payload = example('pull_request', (p) => p.action === input.action && p.installation);
  payload.number = input.number;
  payload.pull_request.number = input.number;
  payload.pull_request.head.ref = input.branch;
  payload.pull_request.head.sha = input.sha;
  payload.pull_request.head.repo.id = input.repo.id;
  payload.pull_request.head.repo.full_name = input.repo.fullName;
  pointAt(payload, input);
  return payload;
}

function pointAt(payload: Payload, input: { installationId: number; repo: { id: number; fullName: string } }): void {
  payload.repository.id = input.repo.id;
  payload.repository.full_name = input.repo.fullName;
  payload.repository.name = input.repo.fullName.split('/')[1];
  payload.installation = { ...(payload.installation ?? {}), id: input.installationId };
}

/** A random id in GitHub's range, unique enough across parallel test files sharing the emulator. */
export const githubId = (): number => 100_000_000 + Math.floor(Math.random() * 1_000_000_000);
