import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
// undici from npm, not Node's bundled copy: Node 22's (6.x) crashes the process with an uncatchable
// `assert(!this.paused)` when a server closes a connection whose response body is paused by
// backpressure (nodejs/undici#5360, fixed in 8.x). The emulator closes every connection.
import { fetch, type BodyInit, type RequestInit, type Response } from 'undici';
import pRetry, { AbortError } from 'p-retry';
import { packDir, unpackFile } from '../archive.ts';
import type { JobSource } from '../job.ts';
import type { Manifest } from '../manifest.ts';
import type { BlobStore, CacheStore, SourcePort } from '../ports.ts';
import { extractTarball, materializeFiles } from '../source.ts';

/**
 * The platform's upload endpoint, seen from the builder. All paths are under `baseUrl`, which is
 * already scoped to one deployment; the bearer token allows only that deployment's uploads.
 *
 * | request | body | success |
 * |---|---|---|
 * | `GET /job` | – | 200 the job JSON |
 * | `POST /missing` | `{"shas": [hex, …]}` (≤ 1000) | 200 `{"missing": [hex, …], "uploads"?: {hex: url}}` |
 * | `PUT /blobs/{sha}` | the bytes; `content-length`, `x-runway-digest: sha256=<hex>` | 200/201/204 |
 * | `POST /manifest` | `{"sha256": hex, "size": n}` of the manifest JSON | 200 `{"url": …, "headers": {…}}` where to PUT it |
 * | `GET /source/{sha}` | – | 200 the bytes |
 * | `GET /tarball` | – | 200 the repository tarball of a git job (usually by redirect) |
 * | `GET /cache/{key}` | – | 200 tar.gz, 404 no entry |
 * | `PUT /cache/{key}` | tar.gz with `content-length` | 200/201/204 |
 * | `POST /cache/{key}` | – | 200 `{"url": …}` where to PUT the archive instead (tried first) |
 *
 * `uploads`, the manifest's and the cache `url` are presigned URLs: bytes go there directly (with
 * `x-amz-checksum-sha256`, so storage checks the content address), never through the API, whose
 * requests are capped by Lambda's 6 MB invoke payload. The manifest's URL writes once: storage
 * answers 412 when it exists, which a retry after a lost response takes as done.
 *
 * Any request may be answered with a 307/308 redirect (for instance to a presigned S3 URL); the
 * builder repeats it there with the same body and without the `authorization` header.
 * 408, 429, 5xx and network errors are retried with backoff; other statuses fail at once.
 */
export interface HttpStoreOptions {
  /** e.g. `https://api.example.com/builds/<deploymentId>/upload`, no trailing slash needed. */
  baseUrl: string;
  token: string;
  /** Attempts per request, the first included. @default 4 */
  attempts?: number;
  /** Per attempt. @default 10 minutes */
  requestTimeoutMs?: number;
  /** Where cache archives are staged. @default os.tmpdir() */
  tmpDir?: string;
  /** Archives above this are not uploaded. @default 2 GiB */
  maxCacheBytes?: number;
  /** Delay before the first retry, and its growth per retry (p-retry's `minTimeout` and `factor`). @default 250 ms × 4ⁿ */
  backoff?: { minMs: number; factor: number };
}

/** The endpoint answered with a status the builder does not accept. */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

const MISSING_BATCH = 1000;
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** A factory, so a retry or redirect can send the body again. */
  body?: () => BodyInit;
  /** Statuses returned to the caller instead of thrown. */
  accept: readonly number[];
  signal?: AbortSignal;
}

export class HttpStore implements BlobStore, CacheStore, SourcePort {
  readonly #base: string;
  readonly #token: string;
  readonly #attempts: number;
  readonly #timeoutMs: number;
  readonly #tmpDir: string;
  readonly #maxCacheBytes: number;
  readonly #backoff: { minMs: number; factor: number };
  /** Presigned upload URLs the endpoint handed out with `missing`. */
  readonly #uploads = new Map<string, string>();

  constructor(options: HttpStoreOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#attempts = options.attempts ?? 4;
    this.#timeoutMs = options.requestTimeoutMs ?? 10 * 60_000;
    this.#tmpDir = options.tmpDir ?? tmpdir();
    this.#maxCacheBytes = options.maxCacheBytes ?? 2 * 1024 ** 3;
    this.#backoff = options.backoff ?? { minMs: 250, factor: 4 };
  }

  async missing(shas: readonly string[]): Promise<string[]> {
    const unique = [...new Set(shas)];
    const missing: string[] = [];
    for (let i = 0; i < unique.length; i += MISSING_BATCH) {
      const batch = unique.slice(i, i + MISSING_BATCH);
      const response = await this.#send({
        method: 'POST',
        url: `${this.#base}/missing`,
        headers: { 'content-type': 'application/json' },
        body: () => JSON.stringify({ shas: batch }),
        accept: [200],
      });
      const body = (await response.json()) as { missing?: unknown };
      if (!Array.isArray(body.missing) || !body.missing.every((s): s is string => typeof s === 'string')) {
        throw new Error('POST /missing: response has no "missing" array of strings');
      }
      const asked = new Set(batch);
      // Only upload what was asked about: the endpoint cannot make the builder send other files.
      missing.push(...body.missing.filter((sha) => asked.has(sha)));
      const uploads = (body as { uploads?: unknown }).uploads;
      if (uploads && typeof uploads === 'object') {
        for (const [sha, url] of Object.entries(uploads)) if (asked.has(sha) && typeof url === 'string') this.#uploads.set(sha, url);
      }
    }
    return missing;
  }

  /** The job of this build, as the endpoint serves it (validated by the caller). */
  async job(): Promise<unknown> {
    const response = await this.#send({ method: 'GET', url: `${this.#base}/job`, accept: [200] });
    return response.json();
  }

  async put(sha: string, filePath: string, size: number): Promise<void> {
    const direct = this.#uploads.get(sha);
    await this.#sendAndDrain(
      {
        method: 'PUT',
        url: direct ?? `${this.#base}/blobs/${sha}`,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(size),
          'x-runway-digest': `sha256=${sha}`,
          'x-amz-checksum-sha256': Buffer.from(sha, 'hex').toString('base64'),
        },
        body: () => fileBody(filePath),
        accept: [200, 201, 204],
      },
      direct === undefined,
    );
  }

  async putManifest(_deploymentId: string, manifest: Manifest): Promise<void> {
    const json = Buffer.from(JSON.stringify(manifest));
    const sha256 = createHash('sha256').update(json).digest('hex');
    const asked = await this.#send({
      method: 'POST',
      url: `${this.#base}/manifest`,
      headers: { 'content-type': 'application/json' },
      body: () => JSON.stringify({ sha256, size: json.length }),
      accept: [200],
    });
    const direct = (await asked.json()) as { url?: unknown; headers?: unknown };
    if (typeof direct.url !== 'string') throw new Error('POST /manifest: response has no "url"');
    const headers = Object.fromEntries(Object.entries(direct.headers ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
    await this.#sendAndDrain(
      {
        method: 'PUT',
        url: direct.url,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(json.length) },
        body: () => json,
        accept: [200, 201, 204, 412],
      },
      false,
    );
  }

  async restore(key: string, dir: string): Promise<boolean> {
    const response = await this.#send({ method: 'GET', url: `${this.#base}/cache/${encodeURIComponent(key)}`, accept: [200, 404] });
    if (response.status === 404) {
      await response.body?.cancel();
      return false;
    }
    const staging = await mkdtemp(path.join(this.#tmpDir, 'runway-cache-'));
    try {
      const file = path.join(staging, 'cache.tar.gz');
      if (response.headers.get('content-length') === null) {
        // A body delimited by the connection closing (HTTP/1.0 servers such as the emulator) must
        // not be paused by backpressure: undici then fails an internal assertion and the process
        // dies. Read it whole; S3 always sends a length and is streamed.
        await writeFile(file, Buffer.from(await response.arrayBuffer()));
      } else {
        await pipeline(Readable.fromWeb(responseBody(response)), createWriteStream(file));
      }
      await unpackFile(file, dir);
      return true;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async save(key: string, dir: string): Promise<void> {
    const staging = await mkdtemp(path.join(this.#tmpDir, 'runway-cache-'));
    try {
      const file = path.join(staging, 'cache.tar.gz');
      const size = await packDir(dir, file);
      if (size > this.#maxCacheBytes) throw new Error(`cache archive is ${size} bytes, over the ${this.#maxCacheBytes} byte limit`);
      const cacheUrl = `${this.#base}/cache/${encodeURIComponent(key)}`;
      // Ask for a direct upload URL first: archives are often larger than an API accepts.
      const asked = await this.#send({ method: 'POST', url: cacheUrl, accept: [200, 404, 405] });
      const direct = asked.status === 200 ? ((await asked.json()) as { url?: unknown }).url : (await asked.body?.cancel(), undefined);
      await this.#sendAndDrain(
        {
          method: 'PUT',
          url: typeof direct === 'string' ? direct : cacheUrl,
          headers: { 'content-type': 'application/gzip', 'content-length': String(size) },
          body: () => fileBody(file),
          accept: [200, 201, 204],
        },
        typeof direct !== 'string',
      );
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async materialize(source: JobSource, dir: string, signal?: AbortSignal): Promise<void> {
    const get = async (url: string, authorized: boolean): Promise<Readable> => {
      const response = await this.#send({ method: 'GET', url, accept: [200], ...(signal ? { signal } : {}) }, authorized);
      return Readable.fromWeb(responseBody(response));
    };
    if (source.type === 'files') {
      await materializeFiles(source.files, dir, (sha) => get(`${this.#base}/source/${sha}`, true));
      return;
    }
    if (source.type === 'git') {
      // The endpoint redirects to the repository tarball at that commit; the token stays with us.
      const response = await this.#send({ method: 'GET', url: `${this.#base}/tarball`, accept: [200], ...(signal ? { signal } : {}) });
      await extractTarball(Readable.fromWeb(responseBody(response)), dir, undefined);
      return;
    }
    // The tarball URL is not ours (e.g. GitHub's): never send the upload token there.
    await extractTarball(await get(source.url, source.url.startsWith(`${this.#base}/`)), dir, source.sha);
  }

  /**
   * Sends and reads the (empty or ignored) response body to its end. A body left unread keeps
   * undici's parser paused, and when the server then closes the connection undici fails an
   * internal assertion that crashes the process.
   */
  async #sendAndDrain(spec: RequestSpec, authorized = true): Promise<void> {
    const response = await this.#send(spec, authorized);
    await response.arrayBuffer();
  }

  /**
   * Sends with retries (p-retry: 408, 429, 5xx and network errors, with exponential backoff; any
   * other status fails at once); follows one redirect by hand so the token never leaves our origin.
   */
  async #send(spec: RequestSpec, authorized = true): Promise<Response> {
    return pRetry(
      async () => {
        let response = await this.#fetchOnce(spec, spec.url, authorized);
        if (response.status === 307 || response.status === 308) {
          const location = response.headers.get('location');
          await response.body?.cancel();
          if (location === null) throw new AbortError(new HttpStatusError(`${spec.method} ${describeUrl(spec.url)}: redirect without location`, response.status));
          response = await this.#fetchOnce(spec, new URL(location, spec.url).toString(), false);
        }
        if (spec.accept.includes(response.status)) return response;
        const detail = (await response.text().catch(() => '')).slice(0, 200);
        const error = new HttpStatusError(`${spec.method} ${describeUrl(spec.url)}: HTTP ${response.status} ${detail}`.trim(), response.status);
        throw RETRYABLE.has(response.status) ? error : new AbortError(error);
      },
      {
        retries: this.#attempts - 1,
        minTimeout: this.#backoff.minMs,
        factor: this.#backoff.factor,
        // A build being stopped gets the failure at once, not after the backoff.
        shouldRetry: () => !spec.signal?.aborted,
      },
    );
  }

  async #fetchOnce(spec: RequestSpec, url: string, authorized: boolean): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'runway-builder', ...spec.headers };
    if (authorized) headers.authorization = `Bearer ${this.#token}`;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const init: RequestInit & { duplex?: 'half' } = {
      method: spec.method,
      headers,
      redirect: 'manual',
      signal: spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout,
    };
    if (spec.body) {
      init.body = spec.body();
      init.duplex = 'half';
    }
    return fetch(url, init);
  }
}

function fileBody(filePath: string): BodyInit {
  return Readable.toWeb(createReadStream(filePath)) as unknown as BodyInit;
}

function responseBody(response: Response): NodeReadableStream {
  if (response.body === null) throw new Error('response has no body');
  return response.body as unknown as NodeReadableStream;
}

/** Query strings of presigned URLs carry credentials; keep them out of error messages. */
function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

