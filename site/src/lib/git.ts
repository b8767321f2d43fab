import { ApiError, api, session } from './api.ts';
import { errorText } from './ui.ts';
import type { InstallLink } from './types.ts';

/** Longest project name (functions/src/core/schemas.ts MAX_NAME_LENGTH; mirrored by the input's maxlength). */
const MAX_NAME_LENGTH = 40;

/**
 * A project name from a repository name: lowercase letters, digits and inner dashes (a DNS
 * label, as the project name becomes a hostname). `My_Site.io` → `my-site-io`.
 */
export function projectNameFor(repoFullName: string): string {
  const repo = repoFullName.slice(repoFullName.indexOf('/') + 1);
  const name = repo
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/^-+|-+$/g, '');
  return name || 'project';
}

/**
 * Sends the browser to GitHub to install the App for the current team; GitHub brings it back to
 * /git/setup/. Answers what to tell the person meanwhile, or why it could not start.
 */
export async function connectGitHub(): Promise<{ ok: boolean; message: string }> {
  const team = session.current();
  try {
    const link = await api<InstallLink>('POST', '/v1/git/install', {});
    if (team) session.startInstall(team.teamId, link.authorizeUrl);
    location.assign(link.url);
    return { ok: true, message: 'Opening GitHub to install the Runway App…' };
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      return { ok: false, message: `Only an owner token can connect GitHub, and this token of ${team?.teamName ?? 'this team'} is not one. Ask an owner, or add the team again with an owner token (Team → Add a team).` };
    }
    if (error instanceof ApiError && error.code === 'github_not_configured') {
      return { ok: false, message: 'GitHub is not set up on this Runway yet: its operator has to create the GitHub App and store its keys first (README, "GitHub App"). Deploying uploaded files works meanwhile.' };
    }
    return { ok: false, message: errorText(error) };
  }
}
