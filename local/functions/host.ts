/**
 * The local edge's function host (`npm start`): what a Lambda Function URL is in AWS. Given the
 * router's `{kind:'function'}` answer for a deployment, it
 * 1. reads what the deployment runs from the local FunctionDeployer twin (functions, configs, the
 *    runtime env snapshot, decrypted with the emulator's KMS);
 * 2. materializes the function's code from its zip blob (`blobs/<teamId>/<sha>` in the artifact
 *    bucket), checked against its sha256 and extracted once per sha into a cache dir (yauzl, which
 *    refuses entries outside the directory: absolute paths, `..`), at most Lambda's 250 MB
 *    unzipped (a zip bomb is not extracted), readable only by the workers of that code;
 * 3. turns the visitor's request into a Function URL event (payload 2.0) as Vercel passes it to a
 *    function after routing, and runs it on a worker of local/functions/runner.ts (warm workers,
 *    maxDuration → 504, crash → 500), each worker in the sandbox (isolation.ts);
 * 4. sends each worker's log lines to CloudWatch Logs in the emulator (logs.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import yauzl from 'yauzl';
import { S3ArtifactStore } from '../../functions/src/adapters/artifacts/s3.ts';
import { KmsEnvCipher } from '../../functions/src/adapters/env-cipher/kms.ts';
import { LocalFunctionDeployer, type LocalDeploymentFunctions } from '../../functions/src/adapters/function-deployer/local.ts';
import { blobKey } from '../../functions/src/core/artifact-keys.ts';
import { LAMBDA_LIMITS } from '../../functions/src/core/functions/config.ts';
import type { EdgeAnswer } from '../../functions/src/edge/serve.ts';
import { functionQuery, functionRequestHeaders } from '../../functions/src/core/functions/function-request.ts';
import { errorResponse } from '../../functions/src/launcher/launcher.ts';
import { eventFromRequest, type FunctionResponse } from '../../functions/src/launcher/protocol.ts';
import type { SandboxSupport } from '../sandbox/index.ts';
import { sandboxedWorkers } from './isolation.ts';
import { FunctionLogWriter, type LineTarget } from './logs.ts';
import { FunctionRunner, type RunnerOptions } from './runner.ts';

/** The edge's answer for a request a function serves (functions/src/edge/serve.ts). */
export type FunctionAnswer = Extract<EdgeAnswer, { kind: 'function' }>;

/** The visitor's request as the edge received it. */
export interface VisitorRequest {
  method: string;
  /** The path the visitor asked for (after the deployment prefix is taken off), e.g. `/blog/1`. */
  path: string;
  /** The visitor's query string, without `?`. */
  query: string;
  headers: IncomingHttpHeaders;
  body: Readable;
  clientIp: string;
}

export interface FunctionHostOptions {
  s3: S3Client;
  bucket: string;
  deployer: Pick<LocalFunctionDeployer, 'read'>;
  /** Where extracted functions are kept, one dir per zip sha. @default a temp dir */
  cacheDir?: string;
  /** How workers run (isolation: `spawnWorker`; logs: `onLog`). */
  runner?: RunnerOptions;
  /** Largest request body, bytes: Lambda's 6 MB request payload. */
  maxRequestBytes?: number;
  /**
   * Most bytes a function's zip may extract to: Lambda's 250 MB unzipped deployment package
   * ({@link LAMBDA_LIMITS}.maxUnzippedBytes). A zip over it (a zip bomb) is not extracted and the
   * function answers 500.
   */
  maxUnzippedBytes?: number;
  /** Most entries a function's zip may hold. @default {@link MAX_ZIP_ENTRIES} */
  maxZipEntries?: number;
}

/**
 * Entries a function's zip may hold at most. Lambda sets no count of its own (its limit is the
 * 250 MB unzipped); this bounds the work and inodes a hostile zip of empty files can cost.
 */
export const MAX_ZIP_ENTRIES = 100_000;

/**
 * The group that alone may read the code of the zip `sha` (root mode): fixed by the sha, so every
 * host on this machine agrees (they share the cache) and every function with the same code (the
 * same zip deployed twice, by any team: whoever deploys it has those bytes) shares it. In
 * 1,000,000,000..1,268,435,455, apart from the sandbox uids (local/sandbox); two shas meeting in one
 * group (odds about n²/2²⁹ for n codes) could read each other's code, nothing more.
 */
export function codeGroup(sha: string): number {
  return 1_000_000_000 + Number.parseInt(sha.slice(0, 7), 16);
}

/** As root: `dir` becomes root:{@link codeGroup} 0750 (what is inside stays unreachable to others). Else unchanged. */
async function closeToOthers(dir: string, sha: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await fs.chown(dir, 0, codeGroup(sha));
  await fs.chmod(dir, 0o750);
}

export class FunctionHost {
  readonly runner: FunctionRunner;
  readonly #options: FunctionHostOptions;
  readonly #cacheDir: string;
  readonly #deployments = new Map<string, Promise<LocalDeploymentFunctions | undefined>>();
  readonly #extracting = new Map<string, Promise<string>>();

  constructor(options: FunctionHostOptions) {
    this.#options = options;
    this.#cacheDir = options.cacheDir ?? path.join(os.tmpdir(), 'runway-function-code');
    this.runner = new FunctionRunner(options.runner ?? {});
  }

  /**
   * The deployment's functions (records never change: kept, the 500 most recently used); a miss
   * is asked again next time (finalize may not have run yet).
   */
  #deployment(deploymentId: string): Promise<LocalDeploymentFunctions | undefined> {
    let pending = this.#deployments.get(deploymentId);
    if (pending) {
      this.#deployments.delete(deploymentId);
      this.#deployments.set(deploymentId, pending);
    } else {
      pending = this.#options.deployer.read(deploymentId);
      this.#deployments.set(deploymentId, pending);
      if (this.#deployments.size > 500) this.#deployments.delete(this.#deployments.keys().next().value as string);
      pending.then(
        (found) => found ?? this.#deployments.delete(deploymentId),
        () => this.#deployments.delete(deploymentId),
      );
    }
    return pending;
  }

  /**
   * The function's code extracted into `<cacheDir>/<sha>` (once per sha). Running as root (the
   * sandbox's root mode), the dir is `root:<codeGroup(sha)>` 0750: only workers of functions with
   * this very code (that group is their supplementary group) can enter it.
   */
  #code(teamId: string, sha: string): Promise<string> {
    let pending = this.#extracting.get(sha);
    if (!pending) {
      pending = this.#extract(teamId, sha);
      this.#extracting.set(sha, pending);
      pending.catch(() => this.#extracting.delete(sha));
    }
    return pending;
  }

  async #extract(teamId: string, sha: string): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error(`not a sha256: ${sha}`);
    const dir = path.join(this.#cacheDir, sha);
    try {
      await fs.access(path.join(dir, '.complete'));
      await closeToOthers(dir, sha); // Also a cache an older version left world-readable.
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // Not extracted yet.
    }
    await fs.mkdir(this.#cacheDir, { recursive: true, mode: 0o711 });
    const staging = await fs.mkdtemp(path.join(this.#cacheDir, `${sha}.tmp-`));
    try {
      const zipPath = path.join(staging, '..zip');
      const out = await this.#options.s3.send(new GetObjectCommand({ Bucket: this.#options.bucket, Key: blobKey(teamId, sha) }));
      const hash = createHash('sha256');
      await pipeline(out.Body as Readable, async function* (source) {
        for await (const chunk of source) {
          hash.update(chunk as Buffer);
          yield chunk;
        }
      }, createWriteStream(zipPath));
      if (hash.digest('hex') !== sha) throw new Error(`the blob ${sha} does not hash to its name`);
      const root = path.join(staging, 'code');
      const maxBytes = this.#options.maxUnzippedBytes ?? LAMBDA_LIMITS.maxUnzippedBytes;
      const maxEntries = this.#options.maxZipEntries ?? MAX_ZIP_ENTRIES;
      const tooLarge = () => new Error(`the code of ${sha} unzips to more than ${maxBytes} bytes (Lambda's unzipped limit); not extracted`);
      // validateEntrySizes (yauzl's default): an entry that inflates past its declared size fails.
      const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true });
      try {
        if (zip.entryCount > maxEntries) {
          throw new Error(`the code of ${sha} has ${zip.entryCount} zip entries, more than ${maxEntries}; not extracted`);
        }
        let unzipped = 0;
        for await (const entry of zip.eachEntry()) {
          // The declared sizes so far (nothing more is written once they pass the limit)...
          unzipped += entry.uncompressedSize;
          if (unzipped > maxBytes) throw tooLarge();
          const target = path.join(root, entry.fileName);
          if (entry.fileName.endsWith('/')) {
            await fs.mkdir(target, { recursive: true, mode: 0o755 });
            continue;
          }
          await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
          // Executable bits as zipped (a bundled native binary); writable by none. Who may read is the top dir's group (closeToOthers).
          const executable = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0;
          // ...then what actually inflates, counted as it is written.
          let written = 0;
          await pipeline(
            await zip.openReadStreamPromise(entry),
            async function* (source) {
              for await (const chunk of source) {
                written += (chunk as Buffer).length;
                if (written > entry.uncompressedSize) throw tooLarge();
                yield chunk;
              }
            },
            createWriteStream(target, { mode: executable ? 0o555 : 0o444 }),
          );
        }
      } finally {
        zip.close();
      }
      await fs.rm(zipPath);
      await fs.mkdir(root, { recursive: true, mode: 0o755 });
      await fs.chmod(staging, 0o755);
      await fs.writeFile(path.join(root, '.complete'), '');
      await closeToOthers(root, sha);
      await fs.rename(root, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another process extracted the same sha meanwhile: theirs is as good.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
      return dir;
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * Runs the function `answer` names for `request` of deployment `deploymentId`.
   * The event is what a Function URL gives Vercel's Node.js launcher after routing, as `vercel dev`
   * builds it (vercel/vercel packages/cli/src/util/dev/server.ts): the visitor's own path (not the
   * function's: SvelteKit and Next.js route again by it) with the route's query merged over the
   * visitor's, `x-matched-path` (the function path the router found, `/index` for "/"), and Vercel's proxy headers
   * (`x-real-ip`, `x-vercel-id`, `x-vercel-deployment-url`, `x-vercel-forwarded-for`,
   * `x-forwarded-host`/`-proto`/`-for`).
   * @returns the function's response (status replaced by a route `status`), or Vercel's error
   *   responses: 500 FUNCTION_INVOCATION_FAILED (no such function, code that cannot be read), 413
   *   FUNCTION_PAYLOAD_TOO_LARGE for a body over Lambda's 6 MB; never a rejection
   */
  async invoke(deploymentId: string, answer: FunctionAnswer, request: VisitorRequest): Promise<FunctionResponse> {
    let deployment: LocalDeploymentFunctions | undefined;
    let fn: LocalDeploymentFunctions['functions'][number] | undefined;
    let code: string;
    try {
      deployment = await this.#deployment(deploymentId);
      fn = deployment?.functions.find((f) => f.name === answer.name);
      if (!deployment || !fn) throw new Error(`the deployment ${deploymentId} has no function ${answer.name} deployed`);
      code = await this.#code(deployment.teamId, fn.sha);
    } catch (error) {
      console.error('[functions] cannot run', { deploymentId, function: answer.name, error: (error as Error).message });
      request.body.resume();
      return errorResponse('FUNCTION_INVOCATION_FAILED');
    }
    const max = this.#options.maxRequestBytes ?? 6 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request.body) {
      size += (chunk as Buffer).length;
      if (size > max) {
        request.body.resume();
        return payloadTooLarge();
      }
      chunks.push(chunk as Buffer);
    }
    const requestId = randomUUID();
    const host = String(request.headers.host ?? 'localhost');
    const search = functionQuery(request.query, answer.query);
    const headers = functionRequestHeaders(request.headers, answer, { host, proto: 'http', clientIp: request.clientIp, vercelId: `dev1::${requestId}` }) as IncomingHttpHeaders;
    const event = eventFromRequest({ method: request.method, url: `${request.path}${search ? `?${search}` : ''}`, headers, body: Buffer.concat(chunks), sourceIp: request.clientIp, requestId });
    const groups = process.getuid?.() === 0 ? [codeGroup(fn.sha)] : [];
    const response = await this.runner.invoke({ key: `${deploymentId}:${answer.name}`, dir: code, config: fn.config, env: deployment.env, groups }, event);
    return answer.status === undefined ? response : { ...response, statusCode: answer.status };
  }

  /**
   * Where a runner key's log lines go: the function's `runway-fn-…` name and the values to redact
   * (its deployment's sensitive env vars); undefined for a key not seen.
   */
  async logTarget(key: string): Promise<LineTarget | undefined> {
    const at = key.indexOf(':');
    const deployment = await this.#deployment(key.slice(0, at)).catch(() => undefined);
    const fn = deployment?.functions.find((f) => f.name === key.slice(at + 1));
    if (!deployment || !fn) return undefined;
    return { functionName: fn.functionName, secrets: deployment.sensitiveKeys.map((k) => deployment.env[k]).filter((v): v is string => v !== undefined) };
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}

/** Vercel's answer to a request body over the function payload limit (https://vercel.com/docs/errors/FUNCTION_PAYLOAD_TOO_LARGE). */
function payloadTooLarge(): FunctionResponse {
  return {
    statusCode: 413,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'private, no-store', 'x-vercel-error': 'FUNCTION_PAYLOAD_TOO_LARGE' },
    cookies: [],
    body: Readable.from([Buffer.from('Request Entity Too Large\n\nFUNCTION_PAYLOAD_TOO_LARGE\n')]),
  };
}

/**
 * The function host as `npm start` runs it: the local deployer twin's records (artifact bucket,
 * emulator KMS), each worker in the sandbox, their log lines to CloudWatch Logs in the emulator.
 */
export function localFunctionHost(options: { s3: S3Client; bucket: string; sandbox?: SandboxSupport; runner?: RunnerOptions; logFlushMs?: number }): { host: FunctionHost; logs: FunctionLogWriter; close(): Promise<void> } {
  const deployer = new LocalFunctionDeployer(new S3ArtifactStore(options.bucket), new KmsEnvCipher());
  let host: FunctionHost | undefined;
  const logs = new FunctionLogWriter((key) => host!.logTarget(key), options.logFlushMs === undefined ? {} : { flushMs: options.logFlushMs });
  host = new FunctionHost({
    s3: options.s3,
    bucket: options.bucket,
    deployer,
    runner: { spawnWorker: sandboxedWorkers(options.sandbox ? { support: options.sandbox } : {}), onLog: (line) => logs.write(line), ...options.runner },
  });
  const running = host;
  return {
    host: running,
    logs,
    close: async () => {
      await running.close();
      await logs.close();
    },
  };
}
