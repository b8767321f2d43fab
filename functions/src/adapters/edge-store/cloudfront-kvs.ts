// The KVS API is signed with SigV4a (signing region "*"); this registers the JS signer the
// client looks up at run time. Without it every call fails before it leaves the process.
import '@aws-sdk/signature-v4a';
import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DeleteKeyCommand,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ListKeysCommand,
  PutKeyCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import * as z from 'zod';
import type { EdgeStore } from '#core/ports';

/**
 * The edge store in AWS: the CloudFront KeyValueStore the viewer-request function reads. Every
 * write carries the store's ETag (`IfMatch`); when another writer got there first the service
 * answers ConflictException, and the write is retried with a fresh ETag after a jittered pause,
 * a bounded number of times. Writes to different keys never conflict semantically, so retrying
 * is always safe; ordering between writers of the same key is decided by the alias record in
 * DynamoDB, not here.
 */

/** The subset of the SDK client this adapter uses, so tests can hand in a fake. */
export interface KeyValueStoreClient {
  send(
    command: DescribeKeyValueStoreCommand | PutKeyCommand | DeleteKeyCommand | GetKeyCommand | ListKeysCommand,
  ): Promise<{ ETag?: string | undefined; Value?: string | undefined; Items?: Array<{ Key?: string | undefined }> | undefined; NextToken?: string | undefined }>;
}

export interface CloudFrontKvsEdgeStoreOptions {
  /** ARN of the KeyValueStore. @default env RUNWAY_EDGE_KVS_ARN */
  kvsArn?: string;
  /** @default a module-scoped CloudFrontKeyValueStoreClient */
  client?: KeyValueStoreClient;
  /** Attempts per write, the first included. @default 6 */
  maxAttempts?: number;
  /** Backoff base and cap in ms; attempt n waits a random time in [0, min(cap, base·2ⁿ)). @default 25 / 1000 */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected in tests. @default setTimeout / Math.random */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** A write still conflicted after every attempt (a hot store with many concurrent writers). */
export class EdgeStoreConflictError extends Error {
  override name = 'EdgeStoreConflictError';
}

// Belongs in functions/src/lib/config.ts with the other handler settings; read here so this
// adapter does not edit the shared config module (see the issue 5 report).
const KvsEnv = z.object({
  RUNWAY_EDGE_KVS_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:cloudfront::\d{12}:key-value-store\/[\w-]+$/, 'must be a CloudFront KeyValueStore ARN'),
});

function kvsArnFromEnv(): string {
  const parsed = KvsEnv.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(`Invalid or missing environment variable RUNWAY_EDGE_KVS_ARN: ${parsed.error.issues[0]?.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data.RUNWAY_EDGE_KVS_ARN;
}

let sharedClient: CloudFrontKeyValueStoreClient | undefined;

export class CloudFrontKvsEdgeStore implements EdgeStore {
  private readonly client: KeyValueStoreClient;
  private readonly arn: () => string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** Last ETag seen, reused by the next write of this (warm) instance: saves a Describe call when nobody else wrote. */
  private etag: string | undefined;
  /** Writes of this instance run one at a time, so they never conflict with each other. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: CloudFrontKvsEdgeStoreOptions = {}) {
    this.client = options.client ?? (sharedClient ??= new CloudFrontKeyValueStoreClient({}));
    let arn = options.kvsArn;
    this.arn = () => (arn ??= kvsArnFromEnv());
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 25;
    this.maxDelayMs = options.maxDelayMs ?? 1000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async put(host: string, value: string): Promise<void> {
    await this.write(host, 'put', (IfMatch) => new PutKeyCommand({ KvsARN: this.arn(), Key: host, Value: value, IfMatch }));
  }

  async delete(host: string): Promise<void> {
    await this.write(host, 'delete', (IfMatch) => new DeleteKeyCommand({ KvsARN: this.arn(), Key: host, IfMatch }));
  }

  async get(host: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetKeyCommand({ KvsARN: this.arn(), Key: host }));
      return out.Value;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  /** 50 keys a page, the most ListKeys returns (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_kvs_ListKeys.html). */
  async list(cursor?: string): Promise<{ keys: string[]; next?: string | undefined }> {
    const out = await this.client.send(new ListKeysCommand({ KvsARN: this.arn(), MaxResults: 50, ...(cursor ? { NextToken: cursor } : {}) }));
    return { keys: (out.Items ?? []).flatMap((item) => (item.Key ? [item.Key] : [])), next: out.NextToken };
  }

  private write(key: string, kind: 'put' | 'delete', command: (etag: string) => PutKeyCommand | DeleteKeyCommand): Promise<void> {
    const run = this.queue.then(() => this.attempt(key, kind, command));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async attempt(
    key: string,
    kind: 'put' | 'delete',
    command: (etag: string) => PutKeyCommand | DeleteKeyCommand,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const etag = this.etag ?? (await this.describeEtag());
      try {
        const out = await this.client.send(command(etag));
        this.etag = out.ETag;
        return;
      } catch (error) {
        this.etag = undefined;
        // Deleting a key that is not there: already the desired state.
        if (error instanceof ResourceNotFoundException && kind === 'delete') return;
        if (!(error instanceof ConflictException)) throw error;
        if (attempt >= this.maxAttempts) {
          throw new EdgeStoreConflictError(`KeyValueStore write of "${key}" still conflicted after ${attempt} attempts`, {
            cause: error,
          });
        }
        // Full jitter: concurrent writers that collided spread out instead of colliding again.
        await this.sleep(Math.floor(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt)));
      }
    }
  }

  private async describeEtag(): Promise<string> {
    const out = await this.client.send(new DescribeKeyValueStoreCommand({ KvsARN: this.arn() }));
    if (!out.ETag) throw new Error('DescribeKeyValueStore returned no ETag');
    return out.ETag;
  }
}
