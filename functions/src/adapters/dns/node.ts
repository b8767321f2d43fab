import { Resolver } from 'node:dns/promises';
import type { DnsResolver } from '#core/ports';
import { config } from '#lib/config';

/** Answers meaning "no such record" (https://nodejs.org/api/dns.html#error-codes): an empty answer, not a failure. */
const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN', 'ENONAME']);

/**
 * The DNS resolver port over Node's c-ares resolver (`dns.promises.Resolver`): the system's
 * servers by default (in Lambda, the VPC resolver of the function's network), or `servers`
 * (`host` or `host:port`, e.g. the tests' authoritative server on loopback). Answers are not
 * cached here: every check asks DNS again.
 */
export class NodeDnsResolver implements DnsResolver {
  private readonly resolver: Resolver;

  constructor(options: { servers?: string[] | undefined; timeoutMs?: number } = {}) {
    this.resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 2 });
    if (options.servers?.length) this.resolver.setServers(options.servers);
  }

  async txt(name: string): Promise<string[]> {
    return (await this.ask(() => this.resolver.resolveTxt(name))).map((chunks) => chunks.join(''));
  }

  async cname(name: string): Promise<string[]> {
    return (await this.ask(() => this.resolver.resolveCname(name))).map((n) => n.toLowerCase().replace(/\.$/, ''));
  }

  async addresses(name: string): Promise<string[]> {
    const [v4, v6] = await Promise.all([this.ask(() => this.resolver.resolve4(name)), this.ask(() => this.resolver.resolve6(name))]);
    return [...v4, ...v6];
  }

  private async ask<T>(query: () => Promise<T[]>): Promise<T[]> {
    try {
      return await query();
    } catch (error) {
      if (NO_RECORD.has((error as NodeJS.ErrnoException).code ?? '')) return [];
      throw error;
    }
  }
}

/** The resolver of the installation: `RUNWAY_DNS_SERVERS` when set, else the system's. */
export function nodeDnsFromConfig(): NodeDnsResolver {
  return new NodeDnsResolver({ servers: config().RUNWAY_DNS_SERVERS });
}
