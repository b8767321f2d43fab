import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseEnv } from 'node:util';
import * as z from 'zod';
import { OctokitGitHub } from '../functions/src/adapters/github/octokit.ts';
import { InProcessGitHubQueue } from '../functions/src/adapters/github-queue/in-process.ts';
import { onMessages } from '../functions/src/handlers/jobs/github-worker.ts';
import { resetConfig } from '../functions/src/lib/config.ts';
import { override } from '../functions/src/core/context.ts';
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
  /** The App's OAuth client (General → Client ID / Generate a new client secret). */
  RUNWAY_GITHUB_CLIENT_ID: z.string().min(1),
  RUNWAY_GITHUB_CLIENT_SECRET: z.string().min(1),
  RUNWAY_GITHUB_API_URL: z.url().default('https://api.github.com'),
  RUNWAY_GITHUB_WEB_URL: z.url().default('https://github.com'),
});

export interface LocalGitHubOptions {
  /** A real App's settings; when the file does not exist, the fake GitHub runs. @default '.env.github' */
  envFile?: string;
  /** The App's setup URL, where the fake's install page sends the browser back. */
  setupUrl?: string;
  /** Where the fake delivers the App's webhooks (the platform's `POST /webhooks/github`); without it, it delivers none. */
  webhookUrl?: string;
  /** The fake's port. @default 0 (any free port) */
  fakePort?: number;
  /**
   * Gives the fake two repositories on `main` that no installation holds yet, so the install page
   * puts them into the first installation: `octo-org/hello-static` and `octo-org/hello-vite`.
   * @default false
   */
  seed?: boolean;
}

/** Sample repositories for the fake, one directory each: the files are committed as they are. */
const SEED_DIR = fileURLToPath(new URL('./fake-github-seed/', import.meta.url));
const SEED_REPOSITORIES = ['hello-static', 'hello-vite'] as const;
const SEED_OWNER = 'octo-org';

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
export async function useLocalGitHub(options: LocalGitHubOptions = {}): Promise<LocalGitHub> {
  const file = options.envFile ?? '.env.github';
  let fake: FakeGitHub | undefined;
  let secret: { appId: number; appSlug: string; privateKey: string; clientId: string; clientSecret: string };
  let webhookSecret: string;
  let urls: { api: string; web: string };
  if (fs.existsSync(file)) {
    const parsed = GitHubEnvFile.safeParse(parseEnv(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')} (see README "GitHub App")`);
    const env = parsed.data;
    secret = {
      appId: Number(env.RUNWAY_GITHUB_APP_ID),
      appSlug: env.RUNWAY_GITHUB_APP_SLUG,
      privateKey: fs.readFileSync(env.RUNWAY_GITHUB_PRIVATE_KEY_FILE, 'utf8'),
      clientId: env.RUNWAY_GITHUB_CLIENT_ID,
      clientSecret: env.RUNWAY_GITHUB_CLIENT_SECRET,
    };
    webhookSecret = env.RUNWAY_GITHUB_WEBHOOK_SECRET;
    urls = { api: env.RUNWAY_GITHUB_API_URL, web: env.RUNWAY_GITHUB_WEB_URL };
  } else {
    webhookSecret = randomBytes(24).toString('hex');
    fake = await startFakeGitHub({
      ...(options.fakePort !== undefined ? { port: options.fakePort } : {}),
      ...(options.setupUrl ? { setupUrl: options.setupUrl } : {}),
      ...(options.webhookUrl ? { webhook: { url: options.webhookUrl, secret: webhookSecret } } : {}),
    });
    secret = { appId: fake.appId, appSlug: fake.appSlug, privateKey: fake.privateKey, clientId: fake.clientId, clientSecret: fake.clientSecret };
    urls = { api: fake.url, web: fake.webUrl };
  }
  let secretId: string;
  let webhookSecretId: string;
  try {
    if (fake && options.seed) await seed(fake);
    const suffix = randomBytes(6).toString('hex');
    secretId = await putSecret(`${LOCAL_GITHUB_SECRET_PREFIX}-${suffix}`, JSON.stringify(secret));
    webhookSecretId = await putSecret(`${LOCAL_GITHUB_SECRET_PREFIX}-webhook-${suffix}`, webhookSecret);
  } catch (error) {
    // A failed start leaves nothing behind: the fake would keep its port.
    await fake?.close();
    throw error;
  }
  Object.assign(process.env, { RUNWAY_GITHUB_SECRET_ID: secretId, RUNWAY_GITHUB_WEBHOOK_SECRET_ID: webhookSecretId, RUNWAY_GITHUB_API_URL: urls.api, RUNWAY_GITHUB_WEB_URL: urls.web });
  resetConfig();
  const queue = new InProcessGitHubQueue({ consumer: (event) => onMessages(event, lambdaContext('github-worker', event.Records[0]?.messageId ?? 'local')) });
  const restore = override({ github: new OctokitGitHub(), githubQueue: queue });
  return {
    fake,
    webhookSecret,
    queue,
    close: async () => {
      // Webhooks the fake is still sending may enqueue jobs: let them land before draining.
      await fake?.webhooksDelivered();
      await queue.drain().catch(() => undefined);
      restore();
      await deleteSecret(secretId);
      await deleteSecret(webhookSecretId);
      await fake?.close();
    },
  };
}

async function seed(fake: FakeGitHub): Promise<void> {
  for (const name of SEED_REPOSITORIES) await fake.commitDirectory(`${SEED_OWNER}/${name}`, 'main', `${SEED_DIR}${name}`, 'Initial commit');
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
