import type { BlobStore, BuildScheduler, EdgeStore, EnvCipher } from '../../functions/src/core/ports.ts';

/** In-memory edge store: a Map, plus a log of writes for assertions. */
export class InMemoryEdgeStore implements EdgeStore {
  readonly entries = new Map<string, string>();
  readonly writes: Array<{ op: 'put' | 'delete'; host: string; value?: string }> = [];

  async put(host: string, value: string): Promise<void> {
    this.entries.set(host, value);
    this.writes.push({ op: 'put', host, value });
  }

  async delete(host: string): Promise<void> {
    this.entries.delete(host);
    this.writes.push({ op: 'delete', host });
  }

  async get(host: string): Promise<string | undefined> {
    return this.entries.get(host);
  }

  /** Pages of `pageSize` keys in key order, like the real stores. */
  pageSize = 50;
  async list(cursor?: string): Promise<{ keys: string[]; next?: string }> {
    const keys = [...this.entries.keys()].sort().filter((k) => cursor === undefined || k > cursor);
    const page = keys.slice(0, this.pageSize);
    return keys.length > this.pageSize ? { keys: page, next: page.at(-1) as string } : { keys: page };
  }
}

/** In-memory blob store, team-scoped like the S3 one. */
export class InMemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();

  async missing(teamId: string, shas: string[]): Promise<string[]> {
    return [...new Set(shas)].filter((sha) => !this.blobs.has(`${teamId}/${sha}`));
  }

  async put(teamId: string, sha: string, bytes: Buffer): Promise<void> {
    this.blobs.set(`${teamId}/${sha}`, Buffer.from(bytes));
  }

  async get(teamId: string, sha: string): Promise<Buffer | undefined> {
    const bytes = this.blobs.get(`${teamId}/${sha}`);
    return bytes && Buffer.from(bytes);
  }
}

/** Records what would have been built (deployment id and capability token) or stopped. */
export class RecordingScheduler implements BuildScheduler {
  readonly scheduled: Array<{ id: string; token: string }> = [];
  readonly canceled: Array<{ id: string; buildId: string }> = [];
  /** Makes the next `start` calls fail, to test the failure path. */
  failWith: Error | undefined;

  async start(build: { deploymentId: string; token: string }): Promise<{ buildId: string; logStream: string }> {
    if (this.failWith) throw this.failWith;
    this.scheduled.push({ id: build.deploymentId, token: build.token });
    return { buildId: `recorded:${build.deploymentId}`, logStream: build.deploymentId };
  }

  async stop(build: { deploymentId: string; buildId: string }): Promise<void> {
    this.canceled.push({ id: build.deploymentId, buildId: build.buildId });
  }
}

/**
 * A reversible stand-in for KMS that, like KMS, refuses a ciphertext under another context.
 * Not encryption: for tests only.
 */
export class FakeEnvCipher implements EnvCipher {
  async encrypt(plaintext: string, context: Record<string, string>): Promise<string> {
    return Buffer.from(JSON.stringify({ context: canonical(context), plaintext })).toString('base64');
  }

  async decrypt(ciphertext: string, context: Record<string, string>): Promise<string> {
    const { context: bound, plaintext } = JSON.parse(Buffer.from(ciphertext, 'base64').toString('utf8'));
    if (bound !== canonical(context)) throw new Error('InvalidCiphertextException: encryption context mismatch');
    return plaintext;
  }
}

const canonical = (context: Record<string, string>) => JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)));
