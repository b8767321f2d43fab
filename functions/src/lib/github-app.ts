import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { NotConfiguredError } from '#core/errors';
import { config } from '#lib/config';

/**
 * The GitHub App's credentials and, in a secret of its own, its webhook secret (the state stack
 * creates both; `npm start` writes local ones into the emulator from `.env.github` or the fake
 * GitHub's generated App). The public webhook function can read only the webhook secret. Read
 * with Powertools Parameters and cached for five minutes, so a rotated key is picked up without
 * a deploy. Never logged, never returned.
 */
const GitHubAppSecret = z.object({
  appId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).transform(Number),
  privateKey: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }),
  /** The App's URL name, for its install page. */
  appSlug: z.string().regex(/^[a-z0-9-]{1,100}$/),
  /** The App's OAuth client: linking an installation proves the person can access it on GitHub. */
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
});
export type GitHubAppSecret = z.infer<typeof GitHubAppSecret>;

/** GitHub is not set up in this installation (no secret, or still the placeholder): a 503 saying so. */
function notConfigured(detail: string): NotConfiguredError {
  return new NotConfiguredError('github_not_configured', `The GitHub App is not configured on this Runway installation (${detail}); see README "GitHub App"`);
}

const CACHE_SECONDS = 300;

export async function gitHubAppSecret(): Promise<GitHubAppSecret> {
  const id = config().RUNWAY_GITHUB_SECRET_ID;
  if (!id) throw notConfigured('no secret');
  const raw = await getSecret(id, { transform: 'json', maxAge: CACHE_SECONDS, throwOnMissing: true });
  const parsed = GitHubAppSecret.safeParse(raw);
  // The issues name fields only: a value of this secret must never reach a log.
  if (!parsed.success) throw notConfigured(`secret fields not set: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}

/** The App's webhook secret (a plain-string secret), all that verifying a delivery needs. */
export async function gitHubWebhookSecret(): Promise<string> {
  const id = config().RUNWAY_GITHUB_WEBHOOK_SECRET_ID;
  if (!id) throw notConfigured('no webhook secret');
  const value = await getSecret(id, { maxAge: CACHE_SECONDS, throwOnMissing: true });
  if (typeof value !== 'string' || value.length < 16) throw notConfigured('the webhook secret is shorter than 16 characters');
  return value;
}
