/**
 * URLs a sandboxed process was handed by a service it may call, and may therefore follow — and
 * no others. A presigned S3 URL or a repository tarball link is a capability: the service that
 * issued it decided the process may use it. Learned from the service's answers:
 * - the `Location` of a redirect, for the method of the request that was redirected (plus HEAD
 *   for GET), as an HTTP client repeats it;
 * - every absolute http(s) URL in the JSON body of a POST or PUT: PUT (an upload URL handed out
 *   for the bytes to follow). The body of a GET is data, never a capability: it carries strings
 *   the tenant chose (the job holds the project's env vars), which could name any URL.
 * Plain-HTTP entries are keyed by port, path and query, exactly: another key, another query,
 * another method is refused. An https URL grants a tunnel to its host and port (TLS hides the rest).
 */
export class CapabilitySet {
  private readonly granted = new Map<string, Set<string>>();
  private readonly tunnels = new Set<string>();

  /** Records what one answer of the issuing service hands out. */
  observe(request: { method: string; url: URL }, answer: { status: number; location?: string | undefined; json?: unknown }): void {
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      const methods = request.method === 'GET' ? ['GET', 'HEAD'] : [request.method];
      this.grant(new URL(answer.location, request.url), methods);
    }
    if (answer.json !== undefined && (request.method === 'POST' || request.method === 'PUT')) {
      const methods = ['PUT'];
      for (const value of strings(answer.json)) {
        if (!/^https?:\/\//i.test(value)) continue;
        try {
          this.grant(new URL(value), methods);
        } catch {
          // Not a URL after all.
        }
      }
    }
  }

  /** Whether `method url` was handed out; only the port, path and query count (the host is this machine's loopback either way). */
  allows(method: string, url: URL): boolean {
    return this.granted.get(key(url))?.has(method) ?? false;
  }

  /** Whether an https capability points at `host:port`: the CONNECT proxy may open a tunnel there (TLS hides the path). */
  allowsTunnel(host: string, port: number): boolean {
    return this.tunnels.has(`${host.toLowerCase()}:${port}`);
  }

  private grant(url: URL, methods: readonly string[]): void {
    if (url.protocol === 'https:') {
      this.tunnels.add(`${url.hostname.replace(/^\[(.*)\]$/, '$1')}:${url.port || 443}`);
      return;
    }
    const entry = this.granted.get(key(url)) ?? new Set<string>();
    for (const method of methods) entry.add(method);
    this.granted.set(key(url), entry);
  }
}

/** Port (80 when absent), path and query, without fragment: what identifies a plain-HTTP request on a forward. */
function key(url: URL): string {
  return `${url.port || '80'} ${url.pathname}${url.search}`;
}

function* strings(value: unknown, depth = 0): Generator<string> {
  if (depth > 32) return;
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item, depth + 1);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) yield* strings(item, depth + 1);
}
