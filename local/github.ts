import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseEnv } from 'node:util';
import * as z from 'zod';
import { OctokitGitHub } from '../functions/src/adapters/github/octokit.ts';
import { InProcessGitHubQueue } from '../functions/src/adapters/github-queue/in-process.ts';
import { onMessages } from '../functions/src/handlers/jobs/github-worker.ts';
import { resetConfig } from '../functions/src/lib/config.ts';
import { usePorts } from '../functions/src/lib/ports.ts';
import { startFakeGitHub, type FakeGitHub } from './fake-github.ts';
import { lambdaContext } from './gateway.ts';

/**
 * Name prefix of the App's secret in the emulator (the state stack creates its own in AWS). Each
 * call gets its own secret: test files sharing one emulator must not read each other's App.
 */
const LOCAL_GITHUB_SECRET_PREFIX = 'runway/local/github-app';

/**
 * `.env.github`: a real GitHub App for `npm start` (webhooks then need a tunnel such as smee.io to
 * reach `http://localhost:4000/webhooks/github`). Without the file, a local fake GitHub runs.
 */
const GitHubEnvFile = z.object({
  RUNWAY_GITHUB_APP_ID: z.string().regex(/^\d+$/),
  RUNWAY_GITHUB_APP_SLUG: z.string().regex(/^[a-z0-9-]+$/),
  RUNWAY_GITHUB_WEBHOOK_SECRET: z.string().min(16),
  /** Path of the App's private key (.pem), as GitHub lets you download it. */
  RUNWAY_GITHUB_PRIVATE_KEY_FILE: z.string().min(1),
  RUNWAY_GITHUB_API_URL: z.url().default('https://api.github.com'),
  RUNWAY_GITHUB_WEB_URL: z.url().default('https://github.com'),
});

export interface LocalGitHub {
  /** The fake GitHub, when no `.env.github` was found. */
  fake: FakeGitHub | undefined;
  /** The webhook secret deliveries must be signed with. */
  webhookSecret: string;
  queue: InProcessGitHubQueue;
  close(): Promise<void>;
}

/**
 * The GitHub App locally: its credentials written to the emulator's Secrets Manager (so handlers
 * read them exactly as in AWS, through Powertools Parameters), the octokit adapter pointed at
 * GitHub or the fake, and SQS's stand-in delivering to the same worker handler.
 */
export async function useLocalGitHub(options: { envFile?: string; setupUrl?: string } = {}): Promise<LocalGitHub> {
  const file = options.envFile ?? '.env.github';
  let fake: FakeGitHub | undefined;
  let secret: { appId: number; appSlug: string; privateKey: string; webhookSecret: string };
  let urls: { api: string; web: string };
  if (fs.existsSync(file)) {
    const parsed = GitHubEnvFile.safeParse(parseEnv(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')} (see README "GitHub App")`);
    const env = parsed.data;
    secret = { appId: Number(env.RUNWAY_GITHUB_APP_ID), appSlug: env.RUNWAY_GITHUB_APP_SLUG, webhookSecret: env.RUNWAY_GITHUB_WEBHOOK_SECRET, privateKey: fs.readFileSync(env.RUNWAY_GITHUB_PRIVATE_KEY_FILE, 'utf8') };
    urls = { api: env.RUNWAY_GITHUB_API_URL, web: env.RUNWAY_GITHUB_WEB_URL };
  } else {
    fake = await startFakeGitHub(options.setupUrl ? { setupUrl: options.setupUrl } : {});
    secret = { appId: fake.appId, appSlug: fake.appSlug, privateKey: fake.privateKey, webhookSecret: randomBytes(24).toString('hex') };
    urls = { api: fake.url, web: fake.webUrl };
  }
  const secretId = await putSecret(`${LOCAL_GITHUB_SECRET_PREFIX}-${randomBytes(6).toString('hex')}`, JSON.stringify(secret));
  Object.assign(process.env, { RUNWAY_GITHUB_SECRET_ID: secretId, RUNWAY_GITHUB_API_URL: urls.api, RUNWAY_GITHUB_WEB_URL: urls.web });
  resetConfig();
  const queue = new InProcessGitHubQueue({ consumer: (event) => onMessages(event, lambdaContext('github-worker', event.Records[0]?.messageId ?? 'local')) });
  const restore = usePorts({ github: new OctokitGitHub(), githubQueue: queue });
  return {
    fake,
    webhookSecret: secret.webhookSecret,
    queue,
    close: async () => {
      await queue.drain().catch(() => undefined);
      restore();
      await deleteSecret(secretId);
      await fake?.close();
    },
  };
}

async function putSecret(name: string, value: string): Promise<string> {
  const client = new SecretsManagerClient({});
  try {
    const created = await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    return created.ARN ?? name;
  } finally {
    client.destroy();
  }
}

async function deleteSecret(id: string): Promise<void> {
  const client = new SecretsManagerClient({});
  try {
    await client.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
  } finally {
    client.destroy();
  }
}
