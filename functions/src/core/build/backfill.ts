import { manifestKey } from '#core/artifact-keys';
import { context } from '#core/context';
import { compileBuildOutputConfig } from '#core/routing/config';
import { buildDeploymentIndex, deploymentIndexKey } from '#core/routing/deployment-index';
import { type BuildOutputConfig, InvalidRoutingConfigError, parseBuildOutputConfig } from '#core/routing/schema';
import { ManifestSchema } from './contract.ts';

/**
 * The backfill of deployment indexes: deployments finalized before the edge routed by
 * `routes/<id>.json` have none (the older finalize copied their files to `d/<id>/` and published
 * their compiled routing config as a `c:<key>` edge key), so the edge answers them 503 until this
 * writes their index from what is stored:
 *
 * - the files: the deployment's manifest (`manifests/<id>.json`: path → sha, size, content type),
 *   whose blobs (`blobs/<teamId>/<sha>`) the older finalize copied from, so they are stored;
 * - the routes: the manifest keeps the project's own `vercel.json` / `runway.json` (`config`), and
 *   they are compiled as today's builder compiles them ({@link compileBuildOutputConfig}), so the
 *   index is the one a redeploy of the same commit would get. A config today's compiler refuses
 *   gets the platform defaults (`{ version: 3 }`: files only) and is reported (`defaulted`).
 *
 * Which deployments: every one a host in the edge store points at (`<host>` → `<deploymentId>[
 * <configKey>]`), whatever its state — production, branch and each deployment's own host; a
 * deployment no host points at is served by nobody, so it needs no index. Paged through the edge
 * store's listing; a deployment with an index is left alone (an index is immutable), so a run
 * after the first writes nothing, and two concurrent runs write the same bytes.
 */

/** What one run did. */
export interface BackfillReport {
  /** Edge-store keys read. */
  scanned: number;
  /** Distinct deployments the hosts point at. */
  deployments: number;
  /** Deployments that had an index already. */
  present: number;
  /** Deployments whose index it wrote. */
  written: string[];
  /** Of `written`: those whose config today's compiler refused, written with the platform defaults. */
  defaulted: string[];
  /** Deployments it could not index, and why (no record, no manifest, an invalid manifest). */
  skipped: Array<{ deploymentId: string; reason: string }>;
  /** False when it stopped at the deadline; the next run goes on. */
  complete: boolean;
}

/**
 * Runs the backfill once over the whole edge store.
 * @param deadline ms since the epoch after which it stops (the scheduled function's timeout)
 */
export async function backfillIndexes(deadline = Number.POSITIVE_INFINITY): Promise<BackfillReport> {
  const { edgeStore } = context();
  const report: BackfillReport = { scanned: 0, deployments: 0, present: 0, written: [], defaulted: [], skipped: [], complete: false };
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await edgeStore.list(cursor);
    for (const key of page.keys) {
      if (Date.now() > deadline) return report;
      report.scanned++;
      if (key.includes(':')) continue; // `c:<key>` routing configs: not hosts.
      const deploymentId = (await edgeStore.get(key))?.split(' ')[0];
      if (!deploymentId || seen.has(deploymentId)) continue;
      seen.add(deploymentId);
      report.deployments++;
      await backfillOne(deploymentId, report);
    }
    cursor = page.next;
  } while (cursor);
  report.complete = true;
  return report;
}

async function backfillOne(deploymentId: string, report: BackfillReport): Promise<void> {
  const { artifacts, deployments, logger } = context();
  if (await artifacts.exists(deploymentIndexKey(deploymentId))) {
    report.present++;
    return;
  }
  const skip = (reason: string) => {
    report.skipped.push({ deploymentId, reason });
    logger.warn('Deployment index not backfilled', { deploymentId, reason });
  };
  const deployment = await deployments.get(deploymentId);
  if (!deployment) return skip('no deployment record');
  const text = await artifacts.getText(manifestKey(deploymentId));
  if (text === undefined) return skip('no manifest');
  const parsed = ManifestSchema.safeParse(safeJson(text));
  if (!parsed.success || parsed.data.deploymentId !== deploymentId) return skip('invalid manifest');
  const manifest = parsed.data;

  let config: BuildOutputConfig;
  try {
    const { buildOutput, runwayJson, vercelJson } = manifest.config ?? {};
    config =
      buildOutput !== undefined
        ? parseBuildOutputConfig(buildOutput)
        : compileBuildOutputConfig({ runwayJson, vercelJson, files: Object.keys(manifest.files) });
  } catch (error) {
    if (!(error instanceof InvalidRoutingConfigError)) throw error;
    logger.warn('Backfilled index gets the platform defaults: its config does not compile', { deploymentId, error: error.message });
    config = { version: 3 };
    report.defaulted.push(deploymentId);
  }
  const index = buildDeploymentIndex({ deploymentId, teamId: deployment.teamId, manifest, config });
  await artifacts.putText(deploymentIndexKey(deploymentId), JSON.stringify(index), 'application/json');
  report.written.push(deploymentId);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
