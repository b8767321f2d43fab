import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { NotConfiguredError } from '#core/errors';
import { config } from '#lib/config';

/**
 * The GitHub App's credentials, kept in one Secrets Manager secret (the integration stack creates
 * it; `npm start` writes the local one into the emulator from `.env.github` or the fake GitHub's
 * generated App). Read with Powertools Parameters and cached for five minutes, so a rotated key
 * is picked up without a deploy. Never logged, never returned.
 */
const GitHubAppSecret = z.object({
  appId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).transform(Number),
  privateKey: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }),
  webhookSecret: z.string().min(16),
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
