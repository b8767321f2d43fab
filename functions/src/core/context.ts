import type { AliasRepository, EdgeKeyRepository } from './alias/repository.ts';
import type { RateLimitRepository, TokenRepository } from './auth/repository.ts';
import type { BuildRepository } from './build/repository.ts';
import type { DeploymentRepository } from './deployment/repository.ts';
import type { DomainRepository } from './domain/repository.ts';
import type { EnvRepository } from './env/repository.ts';
import type { FunctionDeployer } from './functions/deployer.ts';
import type { ClaimRepository, GitDeploymentRepository, InstallationRepository } from './github/repository.ts';
import type { ArtifactStore, BlobStore, BuildLogs, BuildScheduler, DnsResolver, DomainAttachments, EdgeStore, EnvCipher, GitHubPort, GitHubQueue } from './ports.ts';
import type { ProjectRepository } from './project/repository.ts';
import type { MemberRepository, TeamRepository } from './team/repository.ts';

/**
 * The context the domain runs in: its settings, its logger, its repositories and the ports to
 * the outside world. Domain code reads them with {@link context}; it never imports an adapter,
 * the environment or Powertools (sst/console's context; opennextjs-aws's lazily resolved
 * overrides). Who provides what:
 *
 * - a Lambda entry point, with {@link provideDefaults}: factories of exactly the adapters it uses,
 *   each built on first use, so its bundle holds nothing else;
 * - `npm start` and tests, with {@link override}: instances that win over the defaults
 *   (the local build runner, in-memory repositories, fakes).
 */

/** Settings of the installation, validated once where they are read (lib/config.ts in Lambda). */
export interface Settings {
  /** Domain deployments are served under: `<project>.D`, `<project>-git-<branch>.D`, `<project>-<shortId>.D`. */
  platformDomain: string;
  /** Requests one API token may make per minute. */
  rateLimitPerMinute: number;
  /** How deployment URLs are written in links (GitHub statuses, PR comments): `https` in AWS. */
  edgeScheme: 'https' | 'http';
  /** Port of the edge in links, when not the scheme's default (the local edge). */
  edgePort?: number | undefined;
  /** The console's base URL, for "details" links back from GitHub. */
  consoleUrl?: string | undefined;
  /** GitHub's web origin, where the App's install and authorize pages live. */
  githubWebUrl: string;
}

/** Structured logging, as the domain needs it (Powertools' Logger in Lambda). */
export interface Logger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** Repositories: the domain's state, one per aggregate, each with a DynamoDB and an in-memory implementation. */
export interface Repositories {
  teams: TeamRepository;
  members: MemberRepository;
  tokens: TokenRepository;
  rateLimits: RateLimitRepository;
  projects: ProjectRepository;
  env: EnvRepository;
  deployments: DeploymentRepository;
  aliases: AliasRepository;
  edgeKeys: EdgeKeyRepository;
  builds: BuildRepository;
  installations: InstallationRepository;
  claims: ClaimRepository;
  gitDeployments: GitDeploymentRepository;
  domains: DomainRepository;
}

/** Ports to the world outside the domain. */
export interface Ports {
  buildScheduler: BuildScheduler;
  edgeStore: EdgeStore;
  blobStore: BlobStore;
  envCipher: EnvCipher;
  artifacts: ArtifactStore;
  buildLogs: BuildLogs;
  github: GitHubPort;
  githubQueue: GitHubQueue;
  dns: DnsResolver;
  domainAttachments: DomainAttachments;
  /** Makes a deployment's functions runnable (Lambda in AWS, worker processes locally); finalize calls it. */
  functionDeployer: FunctionDeployer;
}

export interface Context extends Repositories, Ports {
  settings: Settings;
  logger: Logger;
}

/** Something the context can hold: the thing itself, or a factory called on first use. */
export type Provided<T> = { [K in keyof T]?: T[K] | (() => T[K]) };

/** A part of the context has no implementation in this environment (a wiring bug, answered with a 500). */
export class PortNotConfiguredError extends Error {
  override name = 'PortNotConfiguredError';
  constructor(port: string) {
    super(`${port} not configured: provide it with provideDefaults() or override()`);
  }
}

let defaults: Provided<Context> = {};
let built = new Map<keyof Context, unknown>();
let overrides: Partial<Context> = {};

function resolve<K extends keyof Context>(key: K): Context[K] {
  if (key in overrides) return overrides[key] as Context[K];
  if (built.has(key)) return built.get(key) as Context[K];
  const provided = defaults[key];
  if (provided === undefined) throw new PortNotConfiguredError(key);
  // Every part of the context is an object, so a function is always a factory.
  const value = (typeof provided === 'function' ? (provided as () => Context[K])() : provided) as Context[K];
  built.set(key, value);
  return value;
}

const view = new Proxy({} as Context, {
  // `then` is asked by `await` and promise helpers: the context is no promise.
  get: (_, key) => (typeof key === 'string' && key !== 'then' ? resolve(key as keyof Context) : undefined),
});

/** The current context; each part is resolved when read. @throws PortNotConfiguredError for a part nobody provided */
export function context(): Context {
  return view;
}

/**
 * For Lambda entry points: what to use when nothing is overridden. Factories run on first use,
 * once; providing a part again replaces it (and forgets what its old factory built).
 */
export function provideDefaults(parts: Provided<Context>): void {
  defaults = { ...defaults, ...parts };
  for (const key of Object.keys(parts) as Array<keyof Context>) built.delete(key);
}

/**
 * Replaces some parts of the context (the rest keep theirs), for `npm start` and tests.
 * @returns a function that restores the previous ones
 */
export function override(parts: Partial<Context>): () => void {
  const previous = overrides;
  overrides = { ...overrides, ...parts };
  return () => {
    overrides = previous;
  };
}

/** Forgets every default and override (tests that start from nothing). */
export function resetContext(): void {
  defaults = {};
  built = new Map();
  overrides = {};
}
