import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { Env } from '#core/env/index';
import { Project } from '#core/project/index';
import type { JobInput } from './contract.ts';

/** The job the builder runs (the build contract's `JobSchema`); includes decrypted env values, so it is only ever sent to the build itself. */
export async function job(deployment: DeploymentInfo): Promise<JobInput> {
  const project = await Project.get(deployment.teamId, deployment.projectId);
  const { env, sensitiveKeys } = await Env.resolveForBuild(deployment.projectId, deployment.target);
  const overrides = Object.fromEntries(
    (['rootDirectory', 'installCommand', 'buildCommand', 'outputDirectory', 'framework'] as const)
      .map((k) => [k, project[k]] as const)
      .filter(([, v]) => v !== null && v !== undefined),
  );
  const source = await Deployment.sourceOf(deployment);
  return {
    deploymentId: deployment.id,
    projectId: deployment.projectId,
    // A git build fetches `GET /v1/builds/{id}/tarball`, which redirects to GitHub's short-lived URL.
    source: source.type === 'files' ? { type: 'files', files: source.files } : { type: 'git', commitSha: source.sha },
    overrides,
    env: { ...env, RUNWAY_ENV: deployment.target, RUNWAY_DEPLOYMENT_ID: deployment.id },
    sensitiveKeys,
    cacheKey: 'default',
  };
}
