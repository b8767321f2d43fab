import type { BuildLauncher } from '../functions/src/adapters/build-scheduler/local.ts';
import * as z from 'zod';
import { CapabilitySet, DEFAULT_LIMITS, detectSandbox, isPublicAddress, spawnSandboxed, type Forward, type SandboxLimits, type SandboxSupport } from './sandbox/index.ts';
import { packageRegistryHosts } from './sandbox/registries.ts';

/**
 * Builds of `npm start` in a sandbox (local/sandbox): the builder and the project's own code get
 * a network namespace in which only these reach the outside, each through the broker's policy:
 * - the build API, for this deployment only (`/v1/builds/<id>/…` on the API's port);
 * - on the emulator's and the fake GitHub's ports, exactly the URLs the build API handed this
 *   build (presigned S3 URLs, the tarball link), with the method they were issued for;
 * - an HTTP(S) proxy (`HTTPS_PROXY` in the build's environment) that opens tunnels only to the
 *   package registries of the machine's npm configuration (see `packageRegistryHosts`; the
 *   operator chose them, so they may be on this machine or the LAN) and to the https URLs the
 *   build API handed out (GitHub's tarball links) when every address they resolve to is public:
 *   never this machine's loopback, its LAN or the cloud metadata address, in any spelling.
 * Everything else — the emulator's own API, `/moto-api`, other ports, the internet — is refused.
 */
export function sandboxedBuilds(options: {
  apiUrl: string;
  support?: SandboxSupport;
  env?: Readonly<Record<string, string | undefined>>;
  /** @default {@link buildLimits} of `env` */
  limits?: Partial<SandboxLimits>;
}): BuildLauncher {
  const support = options.support ?? detectSandbox();
  const env = options.env ?? process.env;
  const limits = { ...buildLimits(env), ...options.limits };
  let registries: Set<string> | undefined;
  return async (launch) => {
    registries ??= packageRegistryHosts(env);
    const allowedRegistries = registries;
    const capabilities = new CapabilitySet();
    const api = new URL(options.apiUrl);
    const apiPort = portOf(api);
    const prefix = `/v1/builds/${launch.deploymentId}/`;
    const forwards: Forward[] = [
      {
        kind: 'http',
        port: apiPort,
        upstream: api.origin,
        allow: ({ url }) => url.pathname.startsWith(prefix),
        observe: ({ method, url, status, headers, json }) => capabilities.observe({ method, url }, { status, location: headers.location, json }),
      },
    ];
    // Local services a capability may point at: the emulator (presigned URLs) and the fake GitHub (tarballs).
    for (const origin of [env.AWS_ENDPOINT_URL, env.RUNWAY_GITHUB_API_URL, env.RUNWAY_GITHUB_WEB_URL]) {
      const url = origin ? loopbackHttp(origin) : undefined;
      if (!url || forwards.some((f) => f.port === portOf(url))) continue;
      forwards.push({ kind: 'http', port: portOf(url), upstream: url.origin, allow: ({ method, url: target }) => capabilities.allows(method, target) });
    }
    const proxyPort = [3128, 8888, 18080, 13128].find((p) => !forwards.some((f) => f.port === p))!;
    forwards.push({
      kind: 'proxy',
      port: proxyPort,
      allow: ({ host, port, addresses }) => allowedRegistries.has(`${host}:${port}`) || (capabilities.allowsTunnel(host, port) && addresses.every(isPublicAddress)),
    });

    const proxy = `http://127.0.0.1:${proxyPort}`;
    const sandboxed = await spawnSandboxed(support, {
      command: launch.command,
      args: launch.args,
      cwd: launch.workDir,
      writable: [launch.workDir],
      forwards,
      limits,
      env:
        support.mode === 'none'
          ? launch.env
          : // The sandbox's only way out is its proxy (which goes on through the machine's, if any).
            { ...launch.env, HTTPS_PROXY: proxy, HTTP_PROXY: proxy, https_proxy: proxy, http_proxy: proxy, NO_PROXY: 'localhost,127.0.0.1,::1', no_proxy: 'localhost,127.0.0.1,::1' },
    });
    return { child: sandboxed.child, release: sandboxed.close };
  };
}

const Count = z.coerce.number().int().positive();
const LimitsEnv = z.object({
  RUNWAY_BUILD_MAX_PROCESSES: Count.default(DEFAULT_LIMITS.processes),
  RUNWAY_BUILD_MEMORY_MB: Count.default(DEFAULT_LIMITS.memoryBytes / 2 ** 20),
  RUNWAY_BUILD_DISK_MB: Count.default(DEFAULT_LIMITS.diskBytes / 2 ** 20),
});

/**
 * What each local build may use (see `SandboxLimits`): `RUNWAY_BUILD_MAX_PROCESSES` (tasks,
 * threads included), `RUNWAY_BUILD_MEMORY_MB`, `RUNWAY_BUILD_DISK_MB`; defaults {@link DEFAULT_LIMITS}.
 * @throws Error naming the variable when one is not a positive integer.
 */
export function buildLimits(env: Readonly<Record<string, string | undefined>>): SandboxLimits {
  const parsed = LimitsEnv.safeParse(Object.fromEntries(Object.entries(env).filter(([key, value]) => key in LimitsEnv.shape && value !== '')));
  if (!parsed.success) throw new Error(`${parsed.error.issues.map((i) => i.path.join('.')).join(', ')} must be a positive integer`);
  const { RUNWAY_BUILD_MAX_PROCESSES, RUNWAY_BUILD_MEMORY_MB, RUNWAY_BUILD_DISK_MB } = parsed.data;
  return { ...DEFAULT_LIMITS, processes: RUNWAY_BUILD_MAX_PROCESSES, memoryBytes: RUNWAY_BUILD_MEMORY_MB * 2 ** 20, diskBytes: RUNWAY_BUILD_DISK_MB * 2 ** 20 };
}

/** `http://localhost:4566` → its URL, when it is plain HTTP on this machine's loopback (what a sandbox can be given a forward to). */
function loopbackHttp(origin: string): URL | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) ? url : undefined;
  } catch {
    return undefined;
  }
}

function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}
