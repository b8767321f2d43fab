import { createHash } from 'node:crypto';
import { RecordingFunctionDeployer } from '../../functions/src/adapters/function-deployer/recording.ts';
import { memoryRepositories } from '../../functions/src/adapters/db/memory/repositories.ts';
import { override, type Logger, type Repositories, type Settings } from '../../functions/src/core/context.ts';
import type { ArtifactStore, BuildLogs, GitHubPort, LogEvent, ObjectHead, PresignedPut, RepoRef } from '../../functions/src/core/ports.ts';
import { FakeEnvCipher, InMemoryBlobStore, InMemoryEdgeStore, RecordingScheduler } from './fakes.ts';

/**
 * The artifact bucket as a map of key → text (what finalize reads and copies). A "presigned" PUT
 * is a `memory://put/<key>` URL that {@link InMemoryArtifacts.putDirect} stands in for; like the
 * emulator (and unlike S3), the store checks nothing about what is put there.
 */
export class InMemoryArtifacts implements ArtifactStore {
  readonly objects = new Map<string, { text: string; contentType?: string; sha256Hex?: string }>();

  async presignPut(key: string, options: { sha256Hex?: string; contentType?: string; size?: number; ifNoneMatch?: boolean } = {}): Promise<PresignedPut> {
    return {
      url: `memory://put/${key}`,
      headers: {
        ...(options.contentType ? { 'content-type': options.contentType } : {}),
        ...(options.sha256Hex ? { 'x-amz-checksum-sha256': Buffer.from(options.sha256Hex, 'hex').toString('base64') } : {}),
        ...(options.ifNoneMatch ? { 'if-none-match': '*' } : {}),
      },
    };
  }
  /** What a client's PUT to a `memory://put/<key>` URL stores; `sha256Hex` is a checksum storage verified (as S3 keeps one). */
  putDirect(url: string, text: string, options: { sha256Hex?: string } = {}): void {
    const key = url.replace(/^memory:\/\/put\//, '');
    this.objects.set(key, { text, ...(options.sha256Hex ? { sha256Hex: options.sha256Hex } : {}) });
  }
  async presignGet(key: string): Promise<string> {
    return `memory://get/${key}`;
  }
  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }
  async head(key: string): Promise<ObjectHead | undefined> {
    const object = this.objects.get(key);
    return object && { size: Buffer.byteLength(object.text), sha256Hex: object.sha256Hex };
  }
  async digest(key: string): Promise<string | undefined> {
    const object = this.objects.get(key);
    return object && createHash('sha256').update(object.text).digest('hex');
  }
  async getText(key: string): Promise<string | undefined> {
    return this.objects.get(key)?.text;
  }
  async putText(key: string, text: string, contentType: string): Promise<void> {
    this.objects.set(key, { text, contentType });
  }
  async copy(fromKey: string, toKey: string, headers: { contentType: string }): Promise<void> {
    const from = this.objects.get(fromKey);
    if (!from) throw Object.assign(new Error(`NoSuchKey ${fromKey}`), { name: 'NoSuchKey' });
    this.objects.set(toKey, { text: from.text, contentType: headers.contentType });
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
}

export class InMemoryBuildLogs implements BuildLogs {
  readonly streams = new Map<string, LogEvent[]>();
  async append(stream: string, events: LogEvent[]): Promise<void> {
    this.streams.set(stream, [...(this.streams.get(stream) ?? []), ...events]);
  }
  async read(stream: string, options: { cursor?: string | undefined; limit: number }): Promise<{ events: LogEvent[]; next: string }> {
    const from = Number(options.cursor ?? 0);
    const events = (this.streams.get(stream) ?? []).slice(from, from + options.limit);
    return { events, next: String(from + events.length) };
  }
}

/** GitHub as the App sees it: branch heads set by the test; every report recorded. */
export class FakeGitHub implements GitHubPort {
  readonly heads = new Map<string, { sha: string; message: string }>();
  readonly statuses: Array<{ repo: string; sha: string; state: string; description: string }> = [];
  readonly comments: Array<{ repo: string; issue: number; body: string }> = [];
  private deployments = 0;

  head(repo: string, branch: string, sha: string, message = 'a commit'): void {
    this.heads.set(`${repo}#${branch}`, { sha, message });
  }
  async app() {
    return { slug: 'runway-test', clientId: 'Iv1.test' };
  }
  async installation(installationId: number) {
    return { id: installationId, account: { login: 'octo-org' }, createdAt: new Date(0).toISOString(), suspended: false };
  }
  async repositories() {
    return [];
  }
  async userInstallations() {
    return [];
  }
  async commit(ref: RepoRef, gitRef: string) {
    return this.heads.get(`${ref.repo}#${gitRef}`);
  }
  async tarballUrl(ref: RepoRef, sha: string) {
    return `https://codeload.example/${ref.repo}/${sha}`;
  }
  async setCommitStatus(ref: RepoRef, sha: string, status: { state: string; description: string }) {
    this.statuses.push({ repo: ref.repo, sha, state: status.state, description: status.description });
  }
  async createDeployment() {
    return ++this.deployments;
  }
  async setDeploymentStatus() {}
  async upsertComment(ref: RepoRef, issue: number, _marker: string, body: string) {
    this.comments.push({ repo: ref.repo, issue, body });
  }
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface MemoryContext extends Repositories {
  edge: InMemoryEdgeStore;
  blobs: InMemoryBlobStore;
  scheduler: RecordingScheduler;
  artifacts: InMemoryArtifacts;
  logs: InMemoryBuildLogs;
  github: FakeGitHub;
  functions: RecordingFunctionDeployer;
  restore(): void;
}

/**
 * The whole domain on in-memory repositories and fakes: no emulator, no network. Every part of
 * the context is overridden, so nothing a Lambda entry point provided leaks in.
 */
export function useMemoryContext(settings: Partial<Settings> = {}): MemoryContext {
  const repos = memoryRepositories();
  const parts = {
    edge: new InMemoryEdgeStore(),
    blobs: new InMemoryBlobStore(),
    scheduler: new RecordingScheduler(),
    artifacts: new InMemoryArtifacts(),
    logs: new InMemoryBuildLogs(),
    github: new FakeGitHub(),
    functions: new RecordingFunctionDeployer(),
  };
  const restore = override({
    ...repos,
    settings: { platformDomain: 'localhost', rateLimitPerMinute: 1200, edgeScheme: 'https', githubWebUrl: 'https://github.com', ...settings },
    logger: silent,
    edgeStore: parts.edge,
    blobStore: parts.blobs,
    buildScheduler: parts.scheduler,
    artifacts: parts.artifacts,
    buildLogs: parts.logs,
    github: parts.github,
    envCipher: new FakeEnvCipher(),
    githubQueue: { send: async () => {} },
    functionDeployer: parts.functions,
  });
  return { ...repos, ...parts, restore };
}
