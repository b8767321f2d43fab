import type { AliasRecord } from '#core/alias/repository';
import { context } from '#core/context';
import type { FunctionDeployer } from './deployer.ts';

/**
 * Garbage collection of deployments' functions. Lambda keeps every function's code, and a region
 * holds 75 GB of it by default ("Function and layer storage", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html),
 * so functions of deployments nobody can reach by name any more are deleted once they are older
 * than a retention window.
 *
 * A deployment's functions are **kept** when
 * - a production, branch or custom host serves the deployment, or names it as its
 *   `previousDeploymentId` (the instant-rollback target): promote and rollback to it stay instant; or
 * - the deployment was created within the retention window (default 30 days).
 *
 * The deployment's own immutable host (`<project>-<shortId>.<domain>`, alias kind `deployment`)
 * does not keep it: every deployment has one forever, so counting it would keep everything. Once
 * collected, that host still serves the deployment's static files, and its functions answer 502
 * "removed" (origin-request finds no Function URL); promoting such a deployment needs a redeploy,
 * like a deployment past a Vercel retention policy.
 *
 * Functions of a deployment whose record is gone (its project was deleted) are removed whatever
 * their age. A deployment not READY (ERROR/CANCELED after functions were created) is treated like
 * any other: kept while recent or referenced.
 */

/** Lists which deployments have functions (in AWS: one ListFunctions walk over `runway-fn-*`). */
export interface FunctionInventory {
  /** Ids (`dpl_…`) of the deployments that have at least one function. */
  deploymentsWithFunctions(): Promise<string[]>;
}

/** Default retention window in days (CDK context `runway:functionRetentionDays`). */
export const DEFAULT_FUNCTION_RETENTION_DAYS = 30;

export interface FunctionGcOptions {
  /** Deployments younger than this many days keep their functions. */
  retentionDays: number;
  /** The current time (tests pass a fixed one). */
  now?: Date;
  /** ms since the epoch after which it stops before the next deployment (the scheduled function's timeout). */
  deadline?: number;
}

export interface FunctionGcReport {
  /** Deployments with functions looked at. */
  scanned: number;
  /** Deployments whose functions were deleted. */
  removed: string[];
  /** Kept because a host serves them or rolls back to them. */
  referenced: string[];
  /** Kept because they are younger than the retention window. */
  recent: string[];
  /** True when the deadline stopped it early (the next run continues). */
  stoppedEarly: boolean;
}

/**
 * Runs one collection: for every deployment with functions, keep or remove as the module
 * docstring says. Aliases are read once per project.
 * @param functions where the functions live and which deployments have some
 */
export async function collectFunctions(functions: FunctionDeployer & FunctionInventory, options: FunctionGcOptions): Promise<FunctionGcReport> {
  const { deployments, aliases } = context();
  const now = (options.now ?? new Date()).getTime();
  const cutoff = now - options.retentionDays * 24 * 60 * 60 * 1000;
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const report: FunctionGcReport = { scanned: 0, removed: [], referenced: [], recent: [], stoppedEarly: false };
  const keptByProject = new Map<string, Promise<Set<string>>>();
  const keptOf = (projectId: string) => {
    let kept = keptByProject.get(projectId);
    if (!kept) {
      kept = aliases.allOfProject(projectId).then(referencedBy);
      keptByProject.set(projectId, kept);
    }
    return kept;
  };

  for (const deploymentId of (await functions.deploymentsWithFunctions()).sort()) {
    if (Date.now() > deadline) {
      report.stoppedEarly = true;
      break;
    }
    report.scanned++;
    const deployment = await deployments.get(deploymentId);
    if (deployment) {
      if ((await keptOf(deployment.projectId)).has(deploymentId)) {
        report.referenced.push(deploymentId);
        continue;
      }
      if (Date.parse(deployment.createdAt) > cutoff) {
        report.recent.push(deploymentId);
        continue;
      }
    }
    await functions.remove(deploymentId);
    report.removed.push(deploymentId);
  }
  if (report.removed.length) context().logger.info('functions of unreferenced deployments removed', { removed: report.removed });
  return report;
}

/** The deployments a project's hosts serve or roll back to (not the deployments' own hosts). */
function referencedBy(records: AliasRecord[]): Set<string> {
  const kept = new Set<string>();
  for (const alias of records) {
    if (alias.kind === 'deployment') continue;
    if (alias.deploymentId) kept.add(alias.deploymentId);
    if (alias.previousDeploymentId) kept.add(alias.previousDeploymentId);
  }
  return kept;
}
