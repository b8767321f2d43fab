import { checkDomains } from '../functions/src/handlers/jobs/check-domains.ts';
import type { BackfillReport } from '../functions/src/core/build/backfill.ts';
import { sweepOrphans } from '../functions/src/handlers/jobs/sweep-hosts.ts';
import { backfillDeploymentIndexes, sweepStuckDeployments } from '../functions/src/handlers/jobs/sweep-stuck.ts';

export interface LocalSweepOptions {
  /**
   * How often deployments stuck QUEUED/BUILDING are looked for, and deployments without an index
   * backfilled (that one also once at start). @default 1 minute
   */
  stuckEveryMs?: number;
  /** How often hosts and edge keys nobody owns are looked for (also once at start). @default 1 hour */
  hostsEveryMs?: number;
  /** How often custom domains are checked against DNS. @default 10 seconds */
  domainsEveryMs?: number;
  /** Where failures are reported. @default stderr */
  log?: (message: string) => void;
  /** The sweeps to run. @default the scheduled Lambdas' own functions */
  jobs?: { stuck: () => Promise<unknown>; hosts: () => Promise<unknown>; domains?: () => Promise<unknown>; backfill?: () => Promise<BackfillReport> };
}

/**
 * The EventBridge schedules of `npm start`: timers calling the same sweep functions the scheduled
 * Lambdas run (functions/src/handlers/jobs/sweep-*.ts). A run that is still going when the next is
 * due is skipped, a failed run is logged and the timer goes on (an emulator that is down is no
 * reason to stop the platform); timers never keep the process alive.
 * @returns a function that stops the timers
 */
export function startLocalSweeps(options: LocalSweepOptions = {}): () => Promise<void> {
  const log = options.log ?? ((message) => process.stderr.write(`[runway] ${message}\n`));
  const runs = new Set<Promise<unknown>>();
  const guarded = (name: string, job: () => Promise<unknown>) => {
    let running = false;
    return () => {
      if (running) return;
      running = true;
      const run = job()
        .catch((error: unknown) => log(`${name} sweep failed: ${(error as Error).message}`))
        .finally(() => {
          running = false;
          runs.delete(run);
        });
      runs.add(run);
    };
  };
  const jobs = options.jobs ?? { stuck: () => sweepStuckDeployments(), hosts: () => sweepOrphans(), domains: () => checkDomains() };
  const stuck = guarded('stuck-deployment', jobs.stuck);
  // The index backfill: its counts are logged at start, and afterwards whenever it did something.
  let first = true;
  const backfillJob = jobs.backfill ?? (() => backfillDeploymentIndexes());
  const backfill = guarded('deployment index backfill', async () => {
    const report = await backfillJob();
    if (first || report.written.length > 0) {
      log(
        `deployment index backfill: ${report.deployments} deployments served, ${report.present} indexed already, ` +
          `${report.written.length} backfilled (${report.defaulted.length} with default routes), ${report.skipped.length} skipped`,
      );
    }
    first = false;
  });
  const hosts = guarded('host', jobs.hosts);
  const timers = [setInterval(stuck, options.stuckEveryMs ?? 60_000), setInterval(hosts, options.hostsEveryMs ?? 3_600_000), setTimeout(hosts, 0),
    setInterval(backfill, options.stuckEveryMs ?? 60_000), setTimeout(backfill, 0)];
  if (jobs.domains) timers.push(setInterval(guarded('domain check', jobs.domains), options.domainsEveryMs ?? 10_000));
  for (const timer of timers) timer.unref();
  return async () => {
    for (const timer of timers) clearTimeout(timer);
    await Promise.allSettled([...runs]);
  };
}
