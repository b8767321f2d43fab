import { detectSandbox, isPublicAddress, spawnSandboxed, type SandboxLimits, type SandboxSupport } from '../sandbox/index.ts';
import type { SpawnedWorker, WorkerSpawn } from './runner.ts';

/**
 * Lambda's per-environment limits a local worker gets besides its memory
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): 1,024 processes/threads,
 * 1,024 file descriptors, 512 MB of /tmp (the default ephemeral storage).
 */
export const WORKER_LIMITS = { processes: 1024, openFiles: 1024, diskBytes: 512 * 1024 * 1024 } as const;

/** The port of the worker's HTTP(S) proxy inside its network namespace (`HTTPS_PROXY`). */
export const WORKER_PROXY_PORT = 3128;

/**
 * Runs each function worker in the local sandbox (local/sandbox, the builds' sandbox):
 * - network: its own namespace; the only way out is an HTTP(S) proxy (`HTTPS_PROXY`/`HTTP_PROXY`)
 *   whose broker opens tunnels and forwards requests only to hosts whose every address is public
 *   ({@link isPublicAddress}): never this machine's loopback (the emulator, the API, the edge), its
 *   LAN, or the cloud metadata address 169.254.169.254, in any spelling;
 * - processes: its own PID namespace and /proc (`/proc/1/environ` is its own init's, which holds
 *   only PATH); in root mode its own uid with no capabilities, so other workers' and the
 *   platform's files it cannot read are closed;
 * - environment: only what the runner gives it (the function's env, no platform credentials);
 * - limits: memory = the function's `memory` (all its processes together), plus {@link WORKER_LIMITS}.
 * In `none` mode (no namespaces on this machine) it is a plain child process, as `npm start` says.
 */
export function sandboxedWorkers(options: { support?: SandboxSupport } = {}): (spec: WorkerSpawn) => Promise<SpawnedWorker> {
  const support = options.support ?? detectSandbox();
  return async (spec) => {
    const proxy = `http://127.0.0.1:${WORKER_PROXY_PORT}`;
    const limits: SandboxLimits = { ...WORKER_LIMITS, memoryBytes: spec.memoryMb * 1024 * 1024 };
    const sandboxed = await spawnSandboxed(support, {
      command: spec.command,
      args: spec.args,
      cwd: spec.cwd,
      writable: [spec.tempDir],
      groups: spec.groups,
      forwards: [{ kind: 'proxy', port: WORKER_PROXY_PORT, allow: ({ addresses }) => addresses.length > 0 && addresses.every(isPublicAddress) }],
      limits,
      limitWording: { subject: 'the function', hints: { processes: "Lambda's limit", memory: 'its `memory`', disk: "Lambda's default /tmp" } },
      env:
        support.mode === 'none'
          ? spec.env
          : { ...spec.env, HTTPS_PROXY: proxy, HTTP_PROXY: proxy, https_proxy: proxy, http_proxy: proxy, NO_PROXY: '', no_proxy: '' },
    });
    return { child: sandboxed.child, close: sandboxed.close };
  };
}
