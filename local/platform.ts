import { CloudWatchBuildLogs } from '../functions/src/adapters/build-logs/cloudwatch.ts';
import { LocalBuildScheduler } from '../functions/src/adapters/build-scheduler/local.ts';
import type { StepLimits } from '../functions/src/builder/limits.ts';
import { EmulatorEdgeStore } from '../functions/src/adapters/edge-store/emulator.ts';
import { onBuildState } from '../functions/src/handlers/events/build-state.ts';
import { usePorts } from '../functions/src/lib/ports.ts';

export interface LocalPlatformPorts {
  scheduler: LocalBuildScheduler;
  /** Restores the previous ports and kills running builds. */
  close(): Promise<void>;
}

/**
 * The adapters that differ locally, and only those: builds run in child processes (CodeBuild's
 * stand-in) whose end is delivered to the same build-state handler EventBridge would call, and the
 * edge's key-value store lives in the emulator. Everything else is the handlers' own default.
 */
export function useLocalPlatformPorts(options: { apiUrl: string; buildConcurrency?: number; buildTimeoutMs?: number; buildStepLimits?: StepLimits }): LocalPlatformPorts {
  const scheduler = new LocalBuildScheduler({
    apiUrl: options.apiUrl,
    logs: new CloudWatchBuildLogs(),
    onEvent: (event) => onBuildState(event),
    ...(options.buildConcurrency !== undefined ? { concurrency: options.buildConcurrency } : {}),
    ...(options.buildTimeoutMs !== undefined ? { timeoutMs: options.buildTimeoutMs } : {}),
    ...(options.buildStepLimits !== undefined ? { stepLimits: options.buildStepLimits } : {}),
  });
  const restore = usePorts({ buildScheduler: scheduler, edgeStore: new EmulatorEdgeStore() });
  return {
    scheduler,
    close: async () => {
      await scheduler.close();
      restore();
    },
  };
}
