import {
  AccessDeniedException,
  CloudFrontKeyValueStoreClient,
  GetKeyCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  CloudFrontKvsEdgeStore,
  EdgeStoreConflictError,
  type KeyValueStoreClient,
} from '../../../../functions/src/adapters/edge-store/cloudfront-kvs.ts';
import { edgeStoreContract } from '../../../support/contracts.ts';
import { fakeKvsClient } from './fake-kvs-client.ts';

const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/0f3c2a1b-1111-2222-3333-444455556666';

function store(options: { maxAttempts?: number } = {}) {
  const fake = fakeKvsClient(ARN);
  const sleeps: number[] = [];
  const kvs = new CloudFrontKvsEdgeStore({
    kvsArn: ARN,
    client: fake.client,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.999,
    ...options,
  });
  return { fake, kvs, sleeps };
}

// The port's shared contract (the emulator store and the in-memory fake run it too).
edgeStoreContract('CloudFront KeyValueStore (in-memory KVS API)', () => store().kvs);

describe('CloudFront KVS adapter: what the edge stores', () => {
  test('compiled-config keys and a full 1 KB value round-trip byte for byte', async () => {
    const { kvs } = store();
    const head = JSON.stringify({ r: [['/old/(.*)', '/new/$1']], h: [['/(.*)', { 'x-a': 'é€' }]] });
    const value = `${head}${' '.repeat(1024 - Buffer.byteLength(head) - 1)}.`;
    expect(Buffer.byteLength(value)).toBe(1024);
    await kvs.put('c:0123456789abcdef', value);
    expect(await kvs.get('c:0123456789abcdef')).toBe(value);
  });

  test('concurrent writes of one instance all land, without conflicting with each other', async () => {
    const { fake, kvs } = store();
    const hosts = Array.from({ length: 8 }, (_, i) => `h${i}.localhost`);
    await Promise.all(hosts.map((h, i) => kvs.put(h, `dpl_${i}`)));
    expect(await Promise.all(hosts.map((h) => kvs.get(h)))).toEqual(hosts.map((_, i) => `dpl_${i}`));
    // Serialized: one Describe, then one PutKey each, no retries.
    expect(fake.calls.filter((c) => c !== 'GetKeyCommand')).toEqual(['DescribeKeyValueStoreCommand', ...hosts.map(() => 'PutKeyCommand')]);
  });
});

describe('CloudFront KVS adapter: optimistic concurrency', () => {
  test('the first write reads the ETag, later writes reuse the one PutKey returned', async () => {
    const { fake, kvs } = store();
    await kvs.put('a.localhost', 'dpl_1');
    await kvs.put('b.localhost', 'dpl_2');
    await kvs.delete('a.localhost');
    expect(fake.calls).toEqual(['DescribeKeyValueStoreCommand', 'PutKeyCommand', 'PutKeyCommand', 'DeleteKeyCommand']);
  });

  test('a conflict is retried with a fresh ETag after a jittered, growing pause', async () => {
    const { fake, kvs, sleeps } = store();
    await kvs.put('warm.localhost', 'dpl_0');
    fake.concurrentWrites(3);
    await kvs.put('app.localhost', 'dpl_9');
    expect(fake.items.get('app.localhost')).toBe('dpl_9');
    expect(fake.calls.slice(2)).toEqual([
      'PutKeyCommand', // stale cached ETag
      'DescribeKeyValueStoreCommand', 'PutKeyCommand',
      'DescribeKeyValueStoreCommand', 'PutKeyCommand',
      'DescribeKeyValueStoreCommand', 'PutKeyCommand', // succeeds
    ]);
    // random() = 0.999 shows the upper bound of each full-jitter window: base 25 ms · 2^attempt.
    expect(sleeps).toEqual([49, 99, 199]);
  });

  test('jitter draws from [0, window): random() = 0 retries at once', async () => {
    const fake = fakeKvsClient(ARN);
    const sleeps: number[] = [];
    const kvs = new CloudFrontKvsEdgeStore({ kvsArn: ARN, client: fake.client, random: () => 0, sleep: async (ms) => void sleeps.push(ms) });
    fake.concurrentWrites(2);
    await kvs.put('app.localhost', 'dpl_1');
    expect(sleeps).toEqual([0, 0]);
  });

  test('the pause is capped', async () => {
    const fake = fakeKvsClient(ARN);
    const sleeps: number[] = [];
    const kvs = new CloudFrontKvsEdgeStore({
      kvsArn: ARN, client: fake.client, random: () => 0.999, maxAttempts: 10, maxDelayMs: 300, sleep: async (ms) => void sleeps.push(ms),
    });
    fake.concurrentWrites(6);
    await kvs.put('app.localhost', 'dpl_1');
    expect(Math.max(...sleeps)).toBe(299);
  });

  test('attempts are bounded: a write that keeps conflicting fails with the cause', async () => {
    const { fake, kvs } = store({ maxAttempts: 4 });
    fake.concurrentWrites(100);
    const error = await kvs.put('hot.localhost', 'dpl_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeStoreConflictError);
    expect((error as Error).message).toContain('after 4 attempts');
    expect((error as Error).cause).toMatchObject({ name: 'ConflictException' });
    expect(fake.calls.filter((c) => c === 'PutKeyCommand')).toHaveLength(4);
    expect(fake.items.has('hot.localhost')).toBe(false);
  });

  test('a failed write does not poison the next one', async () => {
    const { fake, kvs } = store({ maxAttempts: 2 });
    fake.concurrentWrites(2);
    await expect(kvs.put('a.localhost', 'dpl_1')).rejects.toBeInstanceOf(EdgeStoreConflictError);
    await kvs.put('a.localhost', 'dpl_2');
    expect(fake.items.get('a.localhost')).toBe('dpl_2');
  });

  test('other errors are not retried', async () => {
    const denied = new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } });
    const send = vi.fn(async (command: unknown) => {
      if (command instanceof GetKeyCommand) throw denied;
      if ((command as object).constructor.name === 'DescribeKeyValueStoreCommand') return { ETag: 'E1' };
      throw denied;
    });
    const kvs = new CloudFrontKvsEdgeStore({ kvsArn: ARN, client: { send } as KeyValueStoreClient, sleep: async () => {} });
    await expect(kvs.put('a.localhost', 'dpl_1')).rejects.toBe(denied);
    await expect(kvs.get('a.localhost')).rejects.toBe(denied);
    expect(send).toHaveBeenCalledTimes(3);
  });

  test('a value over 1 KB is refused by the service and not retried', async () => {
    const { fake, kvs } = store();
    await expect(kvs.put('a.localhost', 'x'.repeat(1025))).rejects.toMatchObject({ name: 'ValidationException' });
    expect(fake.calls.filter((c) => c === 'PutKeyCommand')).toHaveLength(1);
  });
});

describe('CloudFront KVS adapter: configuration and signing', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  test('the ARN comes from RUNWAY_EDGE_KVS_ARN, checked on first use', async () => {
    vi.stubEnv('RUNWAY_EDGE_KVS_ARN', '');
    const fake = fakeKvsClient(ARN);
    const missing = new CloudFrontKvsEdgeStore({ client: fake.client });
    await expect(missing.get('a.localhost')).rejects.toThrow(/RUNWAY_EDGE_KVS_ARN/);
    vi.stubEnv('RUNWAY_EDGE_KVS_ARN', 'arn:aws:s3:::not-a-kvs');
    await expect(new CloudFrontKvsEdgeStore({ client: fake.client }).get('a.localhost')).rejects.toThrow(/KeyValueStore ARN/);
    vi.stubEnv('RUNWAY_EDGE_KVS_ARN', ARN);
    const configured = new CloudFrontKvsEdgeStore({ client: fake.client, sleep: async () => {} });
    await configured.put('a.localhost', 'dpl_1');
    expect(await configured.get('a.localhost')).toBe('dpl_1');
  });

  test('the real SDK client signs with SigV4a against the account endpoint of the ARN', async () => {
    // An emulator endpoint set for other test projects must not redirect this client.
    vi.stubEnv('AWS_ENDPOINT_URL', undefined);
    let captured: { headers: Record<string, string>; hostname: string } | undefined;
    const client = new CloudFrontKeyValueStoreClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: {
        handle: async (request: { headers: Record<string, string>; hostname: string }) => {
          captured = request;
          throw new Error('captured');
        },
      },
      maxAttempts: 1,
    });
    const kvs = new CloudFrontKvsEdgeStore({ kvsArn: ARN, client });
    await expect(kvs.get('a.localhost')).rejects.toThrow('captured');
    expect(captured?.hostname).toBe('123456789012.cloudfront-kvs.global.api.aws');
    expect(captured?.headers.authorization).toMatch(/^AWS4-ECDSA-P256-SHA256 /);
    expect(captured?.headers['x-amz-region-set']).toBe('*');
  });
});
