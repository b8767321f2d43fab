/**
 * The local edge's function host (`npm start`): what a Lambda Function URL is in AWS. Given the
 * router's `{kind:'function'}` answer for a deployment, it
 * 1. reads what the deployment runs from the local FunctionDeployer twin (functions, configs, the
 *    runtime env snapshot, decrypted with the emulator's KMS);
 * 2. materializes the function's code from its zip blob (`blobs/<teamId>/<sha>` in the artifact
 *    bucket), checked against its sha256 and extracted once per sha into a cache dir (yauzl, which
 *    refuses entries outside the directory: absolute paths, `..`);
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

  /** The function's code extracted into `<cacheDir>/<sha>` (once per sha; readable by sandbox uids). */
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
      return dir;
    } catch {
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
      const zip = await yauzl.openPromise(zipPath, { lazyEntries: true, strictFileNames: true });
      for await (const entry of zip.eachEntry()) {
        const target = path.join(root, entry.fileName);
        if (entry.fileName.endsWith('/')) {
          await fs.mkdir(target, { recursive: true, mode: 0o755 });
          continue;
        }
        await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
        // Executable bits as zipped (a bundled native binary); readable by every worker uid, writable by none.
        const executable = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0;
        await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(target, { mode: executable ? 0o555 : 0o444 }));
      }
      await fs.rm(zipPath);
      await fs.mkdir(root, { recursive: true, mode: 0o755 });
      await fs.chmod(staging, 0o755);
      await fs.writeFile(path.join(root, '.complete'), '');
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
    const response = await this.runner.invoke({ key: `${deploymentId}:${answer.name}`, dir: code, config: fn.config, env: deployment.env }, event);
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
