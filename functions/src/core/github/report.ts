import { Alias } from '#core/alias/index';
import { context } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { GitHubRejectedError } from '#core/errors';

/**
 * Reports a git deployment back to GitHub: a commit status (pending → success / failure / error,
 * the deployment's URL as target), a GitHub Deployment with its statuses (environment Production
 * or Preview, `environment_url` set when READY), and on a pull request one comment with the
 * preview URLs that is updated in place. Safe to repeat: statuses are idempotent on GitHub's
 * side, the Deployment is created once (its id kept), the comment is found by its marker.
 */
export async function report(deployment: DeploymentInfo): Promise<void> {
  // Uploaded-file deployments have nothing on GitHub: no read for them on every build event.
  if (deployment.source.type !== 'git') return;
  const { gitDeployments, github } = context();
  const link = await gitDeployments.get(deployment.id);
  if (!link || link.reportedState === deployment.state) return;
  // Reports only move forward: a late "pending" never replaces a final state.
  if (link.reportedState && isFinalState(link.reportedState) && !Deployment.isFinal(deployment.state)) return;
  const ref = { installationId: link.installationId, repo: link.repo };
  const phase = phaseOf(deployment);
  const url = publicUrl(deployment.url);
  const logUrl = consoleUrl(deployment.id);

  await github.setCommitStatus(ref, link.sha, {
    state: phase.commit,
    context: `Runway – ${deployment.projectName}`,
    description: describe(deployment),
    ...(deployment.state === 'READY' ? { targetUrl: url } : logUrl ? { targetUrl: logUrl } : {}),
  });

  let githubDeploymentId = link.githubDeploymentId;
  if (githubDeploymentId === undefined) {
    githubDeploymentId = await github.createDeployment(ref, {
      sha: link.sha,
      environment: deployment.target === 'production' ? 'Production' : 'Preview',
      production: deployment.target === 'production',
      transient: deployment.target !== 'production',
      description: `Runway deployment ${deployment.shortId} of ${deployment.projectName}`,
      payload: { runwayDeploymentId: deployment.id },
    });
    // A concurrent report may have created one first: then use that one (ours stays without statuses).
    githubDeploymentId = await gitDeployments.setGithubDeploymentId(deployment.id, githubDeploymentId);
  }
  await github.setDeploymentStatus(ref, githubDeploymentId, {
    state: phase.deployment,
    description: describe(deployment),
    ...(deployment.state === 'READY' ? { environmentUrl: url } : {}),
    ...(logUrl ? { logUrl } : {}),
  });

  // One comment per pull request and project: only the branch's newest deployment writes it, so
  // a superseded commit's late report cannot replace the current one's.
  if (link.prNumber !== undefined && (await isNewestOfBranch(deployment))) {
    await github.upsertComment(ref, link.prNumber, commentMarker(deployment.projectId), commentBody(deployment, link.sha));
  }
  await gitDeployments.setReportedState(deployment.id, deployment.state);
}

/**
 * Reports the end of a build. GitHub refusing for good (App uninstalled, repository gone, no
 * permission) is logged, not thrown: retrying changes nothing. Other failures throw, so the
 * build event is delivered again (applying it again is a no-op) and the report retried.
 */
export async function reportEnd(deployment: DeploymentInfo): Promise<void> {
  try {
    await report(deployment);
  } catch (error) {
    if (!(error instanceof GitHubRejectedError)) throw error;
    context().logger.warn('GitHub refused the report', { deploymentId: deployment.id, status: error.details.status });
  }
}

const isFinalState = (state: string): boolean => Deployment.isFinal(state as DeploymentInfo['state']);

async function isNewestOfBranch(deployment: DeploymentInfo): Promise<boolean> {
  if (!deployment.branch) return true;
  const { items } = await Deployment.list({ teamId: deployment.teamId, projectId: deployment.projectId }, { branch: deployment.branch }, { limit: 1 });
  return items[0]?.id === deployment.id;
}

/** The https (or local http) URL of a host, as people open it. */
export function publicUrl(host: string): string {
  const { edgeScheme: scheme, edgePort: port } = context().settings;
  return `${scheme}://${host}${port ? `:${port}` : ''}`;
}

const PHASES = {
  QUEUED: { commit: 'pending', deployment: 'in_progress' },
  BUILDING: { commit: 'pending', deployment: 'in_progress' },
  READY: { commit: 'success', deployment: 'success' },
  ERROR: { commit: 'failure', deployment: 'failure' },
  CANCELED: { commit: 'error', deployment: 'error' },
} as const;

/**
 * The GitHub states of a deployment. READY with a refused host (`aliasError`) is never a plain
 * success: the commit status fails, naming the host, while the GitHub Deployment — whose URL is
 * the deployment's own, which works — succeeds.
 */
function phaseOf(deployment: DeploymentInfo): { commit: 'pending' | 'success' | 'failure' | 'error'; deployment: 'in_progress' | 'success' | 'failure' | 'error' } {
  if (deployment.state === 'READY' && deployment.aliasError) return { commit: 'failure', deployment: 'success' };
  return PHASES[deployment.state];
}

/** GitHub's limit on a status description. */
const MAX_DESCRIPTION = 140;

function describe(deployment: DeploymentInfo): string {
  switch (deployment.state) {
    case 'QUEUED':
    case 'BUILDING':
      return 'Building…';
    case 'READY':
      return deployment.aliasError
        ? `Ready at its own URL, but ${deployment.aliasError.host} was refused: another project owns it`.slice(0, MAX_DESCRIPTION)
        : 'Deployment is ready';
    case 'ERROR':
      return `Build failed${deployment.errorStep ? ` at ${deployment.errorStep}` : ''}`;
    case 'CANCELED':
      return 'Canceled (a newer commit, or by hand)';
  }
}

function consoleUrl(deploymentId: string): string | undefined {
  const base = context().settings.consoleUrl;
  return base ? `${base.replace(/\/+$/, '')}/deployment/?id=${encodeURIComponent(deploymentId)}` : undefined;
}

/** Hidden marker that finds this project's comment again on the pull request. */
export const commentMarker = (projectId: string): string => `<!-- runway:preview:${projectId} -->`;

function commentBody(deployment: DeploymentInfo, sha: string): string {
  const refused = deployment.aliasError?.host;
  const status = refused
    ? `⚠️ Ready, but \`${refused}\` was refused: another project owns it`
    : { QUEUED: '⏳ Building', BUILDING: '⏳ Building', READY: '✅ Ready', ERROR: '❌ Failed', CANCELED: '⏹️ Canceled' }[deployment.state];
  const branchHost = deployment.branch ? Alias.branchHostOf({ name: deployment.projectName }, deployment.branch) : undefined;
  const preview = branchHost && branchHost !== refused ? publicUrl(branchHost) : undefined;
  const links = deployment.state === 'READY' ? [preview ? `[Preview](${preview})` : '', `[This commit](${publicUrl(deployment.url)})`].filter(Boolean).join(' · ') : '—';
  return [
    commentMarker(deployment.projectId),
    '**Runway** preview',
    '',
    '| Project | Status | Preview | Commit | Updated (UTC) |',
    '|---|---|---|---|---|',
    `| ${deployment.projectName} | ${status} | ${links} | \`${sha.slice(0, 7)}\` | ${new Date().toISOString().slice(0, 16).replace('T', ' ')} |`,
  ].join('\n');
}
