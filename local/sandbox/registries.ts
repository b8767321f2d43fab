import { spawnSync } from 'node:child_process';

/** npm's public registry, and yarn's name for the same registry (Yarn 1 and Berry default to it). */
const NPM_PUBLIC = 'registry.npmjs.org';
const YARN_PUBLIC = 'registry.yarnpkg.com';

/**
 * The package registries a sandboxed install may reach through the CONNECT proxy: the hosts of
 * the machine's npm configuration (`registry` and every `@scope:registry`, as `npm config ls
 * --json` reports them from the global and user npmrc and the npm_config_* variables), yarn's
 * alias of the public registry when npm uses the public one, and the hosts named in
 * `RUNWAY_BUILD_ALLOWED_HOSTS` (comma-separated `host` or `host:port`). `host:port` entries; a
 * bare host means port 443.
 */
export function packageRegistryHosts(env: Readonly<Record<string, string | undefined>> = process.env): Set<string> {
  const hosts = new Set<string>();
  const config = spawnSync('npm', ['config', 'ls', '--json'], { encoding: 'utf8', timeout: 30_000 });
  let values: Record<string, unknown> = {};
  try {
    values = JSON.parse(config.stdout) as Record<string, unknown>;
  } catch {
    // No npm, or an unreadable config: the public registry below.
  }
  for (const [key, value] of Object.entries(values)) {
    if ((key === 'registry' || /^@[^:]+:registry$/.test(key)) && typeof value === 'string') {
      try {
        const url = new URL(value);
        // Keyed as the broker names destinations: canonical host, IPv6 without brackets.
        hosts.add(`${url.hostname.replace(/^\[(.*)\]$/, '$1')}:${url.port || (url.protocol === 'http:' ? 80 : 443)}`);
      } catch {
        // Not a URL: npm would not use it either.
      }
    }
  }
  if (hosts.size === 0) hosts.add(`${NPM_PUBLIC}:443`);
  if (hosts.has(`${NPM_PUBLIC}:443`)) hosts.add(`${YARN_PUBLIC}:443`);
  for (const entry of (env.RUNWAY_BUILD_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)) {
    try {
      const url = new URL(`https://${entry}`);
      hosts.add(`${url.hostname.replace(/^\[(.*)\]$/, '$1')}:${url.port || 443}`);
    } catch {
      console.warn(`[sandbox] RUNWAY_BUILD_ALLOWED_HOSTS: ignoring ${JSON.stringify(entry)}, not a host[:port]`);
    }
  }
  return hosts;
}
