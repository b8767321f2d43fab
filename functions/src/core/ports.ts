/**
 * Ports of the control plane to the world outside the domain, declared once. Implementations
 * live in `functions/src/adapters/<port>/<impl>.ts`; the context (`core/context.ts`) hands them
 * out. The domain's own state is behind repositories (`core/<domain>/repository.ts`).
 */

/**
 * Starts and stops builds (CodeBuild in AWS, the local runner under `npm start`), and nothing
 * else: the build lifecycle (`core/build/lifecycle.ts`) mints the capability token, records
 * where the build runs, and turns its end into the deployment's state.
 */
export interface BuildScheduler {
  /**
   * Starts the build of a deployment: the builder fetches its job with `token` from the build API.
   * @returns the build's id and its log stream
   */
  start(build: { deploymentId: string; token: string }): Promise<{ buildId: string; logStream?: string | undefined }>;
  /** Stops a build; one that already ended is no error. */
  stop(build: { deploymentId: string; buildId: string }): Promise<void>;
}

/**
 * The edge's host → routing value map (CloudFront KeyValueStore in AWS). It mirrors the alias
 * records, which stay the source of truth. Values are ≤ 1 KB.
 */
export interface EdgeStore {
  put(host: string, value: string): Promise<void>;
  /** Deleting a host that is not there is no error. */
  delete(host: string): Promise<void>;
  get(host: string): Promise<string | undefined>;
  /**
   * One page of the store's keys (hosts and `c:` routing configs), in the store's order; pass
   * `next` back to continue. For the sweep of orphans: keys nobody owns.
   */
  list(cursor?: string): Promise<{ keys: string[]; next?: string | undefined }>;
}

/**
 * Content-addressed file storage, scoped per team: a team can only ever see and reference its own
 * blobs, so knowing another team's sha256 gives access to nothing.
 */
export interface BlobStore {
  /** The subset of `shas` the team does not hold, in input order, without duplicates. */
  missing(teamId: string, shas: string[]): Promise<string[]>;
  /** Stores `bytes` under `sha`; the caller has checked `sha === sha256(bytes)`. */
  put(teamId: string, sha: string, bytes: Buffer): Promise<void>;
  /** The blob's bytes, or `undefined` when the team holds no such blob. */
  get(teamId: string, sha: string): Promise<Buffer | undefined>;
}

/**
 * Encrypts environment variable values (KMS in AWS and in the emulator). The context is bound to
 * the ciphertext: decrypting with another context fails, so a value cannot be moved to another
 * project or key.
 */
export interface EnvCipher {
  encrypt(plaintext: string, context: Record<string, string>): Promise<string>;
  decrypt(ciphertext: string, context: Record<string, string>): Promise<string>;
}

/** A repository as an installation of the GitHub App sees it. */
export interface GitRepositoryRef {
  id: number;
  fullName: string;
  private?: boolean;
  defaultBranch?: string;
}

/** A repository addressed through one installation of the App (whose token is used). */
export interface RepoRef {
  installationId: number;
  /** `owner/name` */
  repo: string;
}

/**
 * GitHub, as the App sees it (octokit against api.github.com, GitHub Enterprise or the local
 * fake). Every call authenticates as the App or with a short-lived installation token that the
 * adapter mints and keeps to itself: tokens never reach the domain, a record or a log.
 */
export interface GitHubPort {
  /** The App's public identity: its URL name (install page) and OAuth client id (authorize page). */
  app(): Promise<{ slug: string; clientId: string }>;
  /** The installation, or undefined when GitHub does not know it (uninstalled, another App's). */
  installation(installationId: number): Promise<{ id: number; account: { login: string; type?: string }; createdAt: string; suspended: boolean; repositorySelection?: 'all' | 'selected' } | undefined>;
  repositories(installationId: number): Promise<GitRepositoryRef[]>;
  /**
   * The installations of this App the person who authorized it (OAuth web flow `code`) can
   * access. The user token is used for this one question and discarded.
   */
  userInstallations(code: string): Promise<number[]>;
  /** The commit a branch or sha names, or undefined. */
  commit(ref: RepoRef, gitRef: string): Promise<{ sha: string; message: string } | undefined>;
  /** A short-lived URL of the repository tarball at `sha`, which needs no further credentials. */
  tarballUrl(ref: RepoRef, sha: string): Promise<string>;
  setCommitStatus(ref: RepoRef, sha: string, status: { state: 'pending' | 'success' | 'failure' | 'error'; context: string; description: string; targetUrl?: string }): Promise<void>;
  /** Creates a GitHub Deployment and returns its id. */
  createDeployment(ref: RepoRef, input: { sha: string; environment: string; production: boolean; transient: boolean; description: string; payload: Record<string, string> }): Promise<number>;
  setDeploymentStatus(
    ref: RepoRef,
    deploymentId: number,
    status: { state: 'in_progress' | 'success' | 'failure' | 'error' | 'inactive'; description: string; environmentUrl?: string; logUrl?: string },
  ): Promise<void>;
  /** Creates the issue / pull-request comment that contains `marker`, or updates the one that does. */
  upsertComment(ref: RepoRef, issueNumber: number, marker: string, body: string): Promise<void>;
}

/**
 * The queue between the GitHub webhook and its worker (SQS FIFO in AWS, in-process locally).
 * Messages of one group are delivered in order; a repeated dedup id within minutes is dropped.
 */
export interface GitHubQueue {
  send(message: { body: string; groupId: string; dedupId: string }): Promise<void>;
}

/**
 * A presigned PUT: the URL and the headers the client must send with it, each with exactly this
 * value (they are signed, and storage checks the body against them).
 */
export interface PresignedPut {
  url: string;
  headers: Record<string, string>;
}

/** What an object in storage is, without reading it. */
export interface ObjectHead {
  /** Length in bytes. */
  size: number;
  /**
   * SHA-256 of the whole object (hex) when storage verified and kept one on upload (S3 does for a
   * PUT sent with `x-amz-checksum-sha256`); `undefined` when it kept none.
   */
  sha256Hex?: string | undefined;
}

/**
 * The artifact bucket (S3 in AWS and in the emulator): content-addressed blobs, direct uploads,
 * manifests, deployment files and build caches, by the keys of `core/artifact-keys.ts`.
 */
export interface ArtifactStore {
  /**
   * A URL that accepts one PUT of exactly these bytes, for minutes, with the headers to send:
   * storage checks the sha256 and the length (bytes) when given, and with `ifNoneMatch` refuses
   * (412) to replace an existing object.
   */
  presignPut(key: string, options?: { sha256Hex?: string; contentType?: string; size?: number; ifNoneMatch?: boolean }): Promise<PresignedPut>;
  /** A URL for one GET, valid for minutes. */
  presignGet(key: string): Promise<string>;
  exists(key: string): Promise<boolean>;
  /** Size and stored checksum of the object, or `undefined` when there is none. */
  head(key: string): Promise<ObjectHead | undefined>;
  /** SHA-256 (hex) of the object's bytes, read from storage; `undefined` when there is no object. */
  digest(key: string): Promise<string | undefined>;
  /** The object's text, or `undefined` when there is none. */
  getText(key: string): Promise<string | undefined>;
  /** Writes (or replaces) a text object, e.g. a deployment index (`routes/<id>.json`). */
  putText(key: string, text: string, contentType: string): Promise<void>;
  /** Server-side copy, setting the served object's headers. */
  copy(fromKey: string, toKey: string, headers: { contentType: string; cacheControl?: string }): Promise<void>;
  /** Deletes the object; deleting one that is not there is no error. */
  delete(key: string): Promise<void>;
}

export interface LogEvent {
  /** Milliseconds since the epoch. */
  timestamp: number;
  message: string;
}

/** Build log lines, one stream per build (CodeBuild's own stream in AWS, CloudWatch Logs in the emulator). */
export interface BuildLogs {
  append(stream: string, events: LogEvent[]): Promise<void>;
  /** Lines after `cursor` (oldest first), at most `limit`, and the cursor to continue from. */
  read(stream: string, options: { cursor?: string | undefined; limit: number }): Promise<{ events: LogEvent[]; next: string }>;
}

/**
 * DNS as the public sees it (Node's resolver against the system's or the configured servers; the
 * tests' real authoritative server on loopback). Each answer lists the record data found; a name
 * with no such record (NXDOMAIN, NODATA) answers `[]`, a resolver that cannot answer throws.
 */
export interface DnsResolver {
  /** TXT strings of `name`, each record's chunks joined. */
  txt(name: string): Promise<string[]>;
  /** CNAME targets of `name` (lowercase, no trailing dot). */
  cname(name: string): Promise<string[]>;
  /** A and AAAA addresses of `name`. */
  addresses(name: string): Promise<string[]>;
}

/** What the attachment of a custom domain to the edge says about its certificate. */
export interface AttachmentState {
  /** The attachment's id (a CloudFront distribution tenant id in AWS). */
  id: string;
  certificate: 'pending' | 'issued' | 'failed';
  /** Why the certificate failed (as CloudFront reports it). */
  reason?: string | undefined;
}

/**
 * Attaches custom domains to the edge with a certificate the platform renews (CloudFront SaaS
 * Manager: one distribution tenant per domain on the multi-tenant distribution, in the connection
 * group the domain's CNAME points at, with a CloudFront-managed certificate; locally a twin that
 * issues once the routing record is in DNS). Control-plane calls happen only here, and only on
 * add, check and remove of a domain: never on a deploy, promote or rollback.
 */
export interface DomainAttachments {
  /** The name a domain's CNAME (or apex ALIAS) must point at: the connection group's routing endpoint. */
  target(): Promise<string>;
  /** Attaches `domain` (repeating it returns the same attachment). */
  attach(domain: string): Promise<AttachmentState>;
  /** The attachment's certificate now, or `undefined` when the attachment is gone. */
  state(id: string): Promise<AttachmentState | undefined>;
  /** Removes the attachment; one that is gone is no error. */
  detach(id: string): Promise<void>;
}
