import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
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
});
export type GitHubAppSecret = z.infer<typeof GitHubAppSecret>;

/** GitHub is not set up in this installation (no secret configured). */
export class GitHubNotConfiguredError extends Error {
  override name = 'GitHubNotConfiguredError';
}

const CACHE_SECONDS = 300;

export async function gitHubAppSecret(): Promise<GitHubAppSecret> {
  const id = config().RUNWAY_GITHUB_SECRET_ID;
  if (!id) throw new GitHubNotConfiguredError('RUNWAY_GITHUB_SECRET_ID is not set: the GitHub App is not configured');
  const raw = await getSecret(id, { transform: 'json', maxAge: CACHE_SECONDS, throwOnMissing: true });
  const parsed = GitHubAppSecret.safeParse(raw);
  // The issues name fields only: a value of this secret must never reach a log.
  if (!parsed.success) throw new GitHubNotConfiguredError(`The GitHub App secret is malformed: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}
