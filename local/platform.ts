import { S3ArtifactStore } from '../functions/src/adapters/artifacts/s3.ts';
import { KmsEnvCipher } from '../functions/src/adapters/env-cipher/kms.ts';
import { LocalFunctionDeployer } from '../functions/src/adapters/function-deployer/local.ts';
import { CloudWatchBuildLogs } from '../functions/src/adapters/build-logs/cloudwatch.ts';
import { LocalBuildScheduler } from '../functions/src/adapters/build-scheduler/local.ts';
import { buildEndOf } from '../functions/src/adapters/build-scheduler/codebuild-event.ts';
import type { StepLimits } from '../functions/src/builder/limits.ts';
import { EmulatorEdgeStore } from '../functions/src/adapters/edge-store/emulator.ts';
import { NodeDnsResolver } from '../functions/src/adapters/dns/node.ts';
import { LocalDomainAttachments } from '../functions/src/adapters/domain-attachments/local.ts';
import { Build } from '../functions/src/core/build/index.ts';
import { context, override } from '../functions/src/core/context.ts';
import { onBuildState } from '../functions/src/handlers/events/build-state.ts';
import { sandboxedBuilds } from './build-sandbox.ts';
import type { SandboxLimits } from './sandbox/index.ts';

export interface LocalPlatformPorts {
  scheduler: LocalBuildScheduler;
  /** What finalize deployed, per deployment (a recording placeholder until the local function host runs them). */
  functionDeployer: LocalFunctionDeployer;
  /** Restores the previous ports and kills running builds. */
  close(): Promise<void>;
}

/**
 * The adapters that differ locally, and only those: builds run in sandboxed child processes
 * (CodeBuild's stand-in, see local/build-sandbox.ts) whose end is delivered to the same
 * build-state handler EventBridge would call, and the edge's key-value store lives in the
 * emulator; custom domains are checked against the local DNS zone and attached by the twin of
 * CloudFront's tenants. Everything else is the handlers' own default.
 */
export function useLocalPlatformPorts(options: {
  apiUrl: string;
  buildConcurrency?: number;
  buildTimeoutMs?: number;
  buildStepLimits?: StepLimits;
  /** What each build may use. @default from RUNWAY_BUILD_MAX_PROCESSES / _MEMORY_MB / _DISK_MB (see `buildLimits`) */
  buildLimits?: Partial<SandboxLimits>;
  /** Custom domains: the DNS servers checks ask (the local zone of npm start) and the name their CNAMEs point at. */
  domains?: { dnsServers: string[]; target: string };
}): LocalPlatformPorts {
  const scheduler = new LocalBuildScheduler({
    apiUrl: options.apiUrl,
    // Builds run untrusted code: in a sandbox with no route to the emulator or the platform.
    launch: sandboxedBuilds({ apiUrl: options.apiUrl, ...(options.buildLimits ? { limits: options.buildLimits } : {}) }),
    logs: new CloudWatchBuildLogs(),
    onEvent: (event) => onBuildState(event),
    // EventBridge would keep an undeliverable event in the dead-letter queue (and alarm); locally
    // nobody watches one, so the deployment ends ERROR instead of staying BUILDING forever.
    onUndelivered: async (event) => {
      const end = buildEndOf(event);
      if (end && end.status !== 'started') await Build.fail(end.deploymentId, 'finalize', 'The platform could not finish this deployment');
    },
    ...(options.buildConcurrency !== undefined ? { concurrency: options.buildConcurrency } : {}),
    ...(options.buildTimeoutMs !== undefined ? { timeoutMs: options.buildTimeoutMs } : {}),
    ...(options.buildStepLimits !== undefined ? { stepLimits: options.buildStepLimits } : {}),
  });
  // Custom domains: DNS through Node's resolver, attachments (CloudFront tenants) by their local twin.
  const dns = options.domains ? new NodeDnsResolver({ servers: options.domains.dnsServers }) : undefined;
  // What finalize deploys, read by the local edge's function host (worker processes).
  const functionDeployer = new LocalFunctionDeployer(new S3ArtifactStore(), new KmsEnvCipher(), {
    // Which runtime vars to redact from function logs (finalize passes env values only).
    sensitiveKeys: async (projectId) => (await context().env.list(projectId)).filter((record) => record.sensitive).map((record) => record.key),
  });
  const restore = override({
    buildScheduler: scheduler,
    edgeStore: new EmulatorEdgeStore(),
    functionDeployer,
    ...(dns && options.domains ? { dns, domainAttachments: new LocalDomainAttachments(dns, options.domains.target) } : {}),
  });
  return {
    scheduler,
    functionDeployer,
    close: async () => {
      await scheduler.close();
      restore();
    },
  };
}
