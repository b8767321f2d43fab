import dns from 'node:dns/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ipaddr from 'ipaddr.js';

/**
 * An HTTP service the sandboxed process may call: it connects to `127.0.0.1:<port>` (or `::1`) in
 * its own network namespace — the same port as the real service, so URLs stay valid — and the
 * broker forwards each request that `allow` accepts to `upstream`. Everything else gets a 403.
 */
export interface HttpForward {
  kind: 'http';
  port: number;
  /** Origin the allowed requests go to, e.g. `http://127.0.0.1:4000`. */
  upstream: string;
  /** Whether this request may pass. `url` is normalized (dot segments resolved) and is what is sent on. */
  allow(request: { method: string; url: URL }): boolean;
  /**
   * Sees each forwarded answer, JSON bodies parsed (up to {@link MAX_OBSERVED_BYTES}): how a policy
   * learns URLs the service hands out (see `CapabilitySet`).
   */
  observe?(exchange: { method: string; url: URL; status: number; headers: http.IncomingHttpHeaders; json: unknown }): void;
  /** A request body larger than this is a 413. @default {@link MAX_BODY_BYTES} */
  maxBodyBytes?: number;
  /** A request (headers and body) must arrive within this, or it is a 408. @default {@link BODY_TIMEOUT_MS} */
  bodyTimeoutMs?: number;
}

/**
 * An HTTP proxy (for `HTTPS_PROXY` / `HTTP_PROXY`): `CONNECT host:port` tunnels and absolute-form
 * `http://` requests, each only to a destination `allow` accepts. The broker resolves the host
 * first (an IP literal in any spelling — `2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]` — is
 * resolved as the system resolver reads it) and hands the policy the canonical host name and
 * every address; a direct connection goes to the first of those addresses, so a name cannot
 * resolve to another address between the decision and the connection. When the broker's own
 * process has `HTTPS_PROXY`/`HTTP_PROXY`, tunnels go through that proxy (the machine's way out).
 */
export interface ProxyForward {
  kind: 'proxy';
  port: number;
  allow(destination: Destination): boolean;
}

/** Where a proxy request wants to go: `host` as the WHATWG URL parser canonicalizes it (lower case, IPv6 without brackets), and what it resolves to. */
export interface Destination {
  host: string;
  port: number;
  /** The addresses `host` resolves to (the literal itself for an IP), IPv4-mapped IPv6 written as IPv4. */
  addresses: string[];
}

export type Forward = HttpForward | ProxyForward;

/**
 * A request body is received whole before the service sees the request, and an answer is received
 * whole before the sandbox gets it (both spooled to files in the broker's dir): a sandboxed
 * process that trickles a body or reads an answer slowly holds only its broker, never the
 * service — the emulator serves one request at a time, every team's. Bodies up to 5 GiB, S3's
 * limit for one PUT (https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html),
 * arriving within 10 minutes.
 */
export const MAX_BODY_BYTES = 5 * 1024 ** 3;
export const BODY_TIMEOUT_MS = 10 * 60_000;

/** JSON answers up to this size are parsed for {@link HttpForward.observe}; larger ones pass unread. */
export const MAX_OBSERVED_BYTES = 16 * 1024 * 1024;

/** What the broker refused, for the runner's log (never request bodies or query strings). */
export interface Refusal {
  port: number;
  what: string;
}

/**
 * The outside half of a sandbox's network: one unix socket per forward in a directory only the
 * platform's user can enter. The sandbox's init process pipes each loopback connection to its
 * socket; the broker applies the forward's policy and talks to the real service.
 */
export class Broker {
  readonly refusals: Refusal[] = [];
  private readonly servers: http.Server[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });
  private spooled = 0;

  private constructor(readonly dir: string) {}

  /** Opens a socket per forward under `dir` (created, mode 0700). */
  static async open(dir: string, forwards: readonly Forward[]): Promise<Broker> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const broker = new Broker(dir);
    try {
      for (const forward of forwards) await broker.listen(forward);
    } catch (error) {
      await broker.close();
      throw error;
    }
    return broker;
  }

  /** The socket the init process connects a forward's port to. */
  socketOf(port: number): string {
    return path.join(this.dir, `${port}.sock`);
  }

  async close(): Promise<void> {
    for (const server of this.servers) server.closeAllConnections();
    await Promise.all(this.servers.map((server) => new Promise((resolve) => server.close(resolve))));
    this.agent.destroy();
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  private async listen(forward: Forward): Promise<void> {
    const server = forward.kind === 'http' ? this.httpServer(forward) : this.proxyServer(forward);
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketOf(forward.port), resolve);
    });
  }

  private refuse(port: number, what: string, res: http.ServerResponse | net.Socket): void {
    this.refusals.push({ port, what });
    const body = `Runway's build sandbox does not allow ${what}\n`;
    if (res instanceof net.Socket) {
      res.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    res.writeHead(403, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private httpServer(forward: HttpForward): http.Server {
    const upstream = new URL(forward.upstream);
    const server = http.createServer((req, res) => {
      const method = req.method ?? 'GET';
      let url: URL;
      try {
        url = new URL(req.url ?? '/', upstream.origin);
      } catch {
        return this.refuse(forward.port, `${method} of a malformed target`, res);
      }
      if (!(req.url ?? '/').startsWith('/') || !forward.allow({ method, url })) {
        return this.refuse(forward.port, `${method} ${url.pathname} on port ${forward.port}`, res);
      }
      // The service may route by Host (moto picks a bucket, even a service, from it): only the
      // names this forward is reached by pass, so the policy's decision is the one that holds.
      const host = (req.headers.host ?? '').toLowerCase();
      if (!LOOPBACK_NAMES.some((name) => host === `${name}:${forward.port}` || (forward.port === 80 && host === name))) {
        return this.refuse(forward.port, `${method} with the Host header ${JSON.stringify(req.headers.host ?? '')} on port ${forward.port}`, res);
      }
      void this.forwardSpooled(forward, upstream, method, url, req, res);
    });
    server.requestTimeout = forward.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
    return server;
  }

  /** Receives the whole body (or answers 408/413), then sends the request on with it. */
  private async forwardSpooled(forward: HttpForward, upstream: URL, method: string, url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const received = await this.spool(req, forward.maxBodyBytes ?? MAX_BODY_BYTES, forward.bodyTimeoutMs ?? BODY_TIMEOUT_MS);
    if ('refused' in received) {
      this.refusals.push({ port: forward.port, what: `${method} ${url.pathname}: ${received.refused}` });
      const status = received.refused === 'too large' ? 413 : 408;
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(`request body ${received.refused}\n`);
      req.destroy();
      return;
    }
    const headers: http.OutgoingHttpHeaders = { ...req.headers, 'content-length': String(received.size) };
    delete headers['transfer-encoding'];
    delete headers.expect;
    const out = http.request(
      { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method, path: `${url.pathname}${url.search}`, headers, agent: this.agent },
      (answer) => void this.answer(forward, method, url, answer, res).finally(() => void received.remove()),
    );
    out.on('error', () => {
      void received.remove();
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream unavailable\n');
      else res.destroy();
    });
    received.open().pipe(out);
  }

  /**
   * `stream` into a file of the broker's dir, up to `maxBytes` and within `timeoutMs`; reads it
   * back with `open`, deletes it with `remove`.
   */
  private async spool(
    stream: Readable,
    maxBytes: number,
    timeoutMs: number,
  ): Promise<{ size: number; open(): Readable; remove(): Promise<void> } | { refused: 'too large' | 'not received in time' }> {
    const declared = Number((stream as http.IncomingMessage).headers?.['content-length'] ?? 0);
    if (declared > maxBytes) return { refused: 'too large' };
    const file = path.join(this.dir, `spool-${++this.spooled}`);
    const remove = () => fs.rm(file, { force: true });
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(size > maxBytes ? new BodyTooLarge() : null, chunk);
      },
    });
    try {
      await pipeline(stream, limit, createWriteStream(file), { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      await remove();
      return { refused: error instanceof BodyTooLarge ? 'too large' : 'not received in time' };
    }
    return { size, open: () => createReadStream(file), remove };
  }

  private async answer(forward: HttpForward, method: string, url: URL, answer: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    answer.on('error', () => res.destroy());
    const status = answer.statusCode ?? 502;
    const length = Number(answer.headers['content-length'] ?? 0);
    const isJson = /^application\/json\b/i.test(answer.headers['content-type'] ?? '');
    if (!forward.observe || !isJson || length > MAX_OBSERVED_BYTES) {
      forward.observe?.({ method, url, status, headers: answer.headers, json: undefined });
      // Read from the service at its pace, relayed at the sandbox's.
      const received = await this.spool(answer, MAX_BODY_BYTES, BODY_TIMEOUT_MS);
      if ('refused' in received) return void res.destroy();
      const headers = { ...answer.headers, 'content-length': String(received.size) };
      delete headers['transfer-encoding'];
      res.writeHead(status, headers);
      res.on('close', () => void received.remove());
      await pipeline(received.open(), res).catch(() => undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer) {
      size += (chunk as Buffer).length;
      if (size > MAX_OBSERVED_BYTES) return void res.destroy();
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    forward.observe({ method, url, status, headers: answer.headers, json: parseJson(body) });
    const headers = { ...answer.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    res.writeHead(status, headers);
    res.end(body);
  }

  private proxyServer(forward: ProxyForward): http.Server {
    const server = http.createServer((req, res) => {
      // Absolute-form requests: a plain-HTTP registry reached through HTTP_PROXY.
      let url: URL;
      try {
        url = new URL(req.url ?? '');
      } catch {
        return this.refuse(forward.port, 'a proxy request without an absolute http:// URL', res);
      }
      const port = Number(url.port || 80);
      if (url.protocol !== 'http:') return this.refuse(forward.port, `the destination ${url.host} (${url.protocol} through an HTTP proxy)`, res);
      void resolveDestination(url.hostname, port).then((destination) => {
        if (!destination || !forward.allow(destination)) return this.refuse(forward.port, `the destination ${url.hostname}:${port}`, res);
        // To the address the policy saw, with the Host of the URL it saw.
        const headers = { ...req.headers, host: url.host };
        const out = http.request({ host: destination.addresses[0], port, method: req.method, path: `${url.pathname}${url.search}`, headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
        req.pipe(out);
      });
    });
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      const target = /^(\[[^\]]+\]|[^:/?#@\s]+):(\d{1,5})$/.exec(req.url ?? '');
      client.on('error', () => undefined);
      if (!target) return this.refuse(forward.port, `a tunnel to ${req.url}`, client);
      void resolveDestination(target[1]!, Number(target[2])).then((destination) => {
        if (!destination || !forward.allow(destination)) return this.refuse(forward.port, `a tunnel to ${req.url}`, client);
        this.openTunnel(destination, client, head);
      });
    });
    return server;
  }

  private openTunnel(destination: Destination, client: net.Socket, head: Buffer): void {
    void tunnel(destination).then(
      (upstream) => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.pipe(client).pipe(upstream);
      },
      () => client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n'),
    );
  }
}

/**
 * Whether `address` is on the public internet: ipaddr.js's `unicast` range, i.e. none of
 * loopback, unspecified (0.0.0.0, ::), private (RFC 1918), unique-local, link-local (the cloud
 * metadata service at 169.254.169.254), carrier-grade NAT, multicast, broadcast or reserved.
 */
export function isPublicAddress(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
}

/** How a forward's port is reached from inside the sandbox (init.mjs listens on both loopbacks). */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * `host` (a name, or an IP in any spelling the resolver accepts) and `port` as a {@link Destination}:
 * the host canonicalized by the WHATWG URL parser, then every address the system resolver gives
 * for it; undefined when it does not parse or resolve, or the port is out of range.
 */
export async function resolveDestination(host: string, port: number): Promise<Destination | undefined> {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  let canonical: string;
  try {
    canonical = new URL(`http://${host}/`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
  try {
    const found = await dns.lookup(canonical, { all: true, verbatim: true });
    const addresses = found.map(({ address }) => ipaddr.process(address).toString());
    return addresses.length > 0 ? { host: canonical, port, addresses } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A TCP connection to `host:port`: direct, or through the CONNECT proxy the broker's own process
 * is configured with (`HTTPS_PROXY`/`https_proxy`, then `HTTP_PROXY`/`http_proxy`), with its
 * basic credentials when the URL carries them.
 */
async function tunnel({ host, port, addresses }: Destination): Promise<net.Socket> {
  const proxy = process.env.HTTPS_PROXY || process.env.https_proxy || process.env.HTTP_PROXY || process.env.http_proxy;
  if (!proxy) return connect(addresses[0]!, port);
  const via = new URL(proxy);
  const socket = await connect(via.hostname, Number(via.port || 80));
  const auth = via.username ? `proxy-authorization: Basic ${Buffer.from(`${decodeURIComponent(via.username)}:${decodeURIComponent(via.password)}`).toString('base64')}\r\n` : '';
  const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  socket.write(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n${auth}\r\n`);
  const head = await new Promise<string>((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      // Bytes after the proxy's answer belong to the tunnel.
      const rest = Buffer.from(received.slice(end + 4), 'latin1');
      if (rest.length > 0) socket.unshift(rest);
      resolve(received.slice(0, end));
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('end', () => reject(new Error('the proxy closed the connection')));
  });
  if (!/^HTTP\/1\.[01] 200/.test(head)) {
    socket.destroy();
    throw new Error(`the proxy refused the tunnel: ${head.split('\r\n')[0]}`);
  }
  return socket;
}

function connect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

class BodyTooLarge extends Error {}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
