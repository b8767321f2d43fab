/**
 * Ports of the builder. The pipeline only talks to these; `adapters/http-store.ts` implements
 * them against the platform's upload endpoint (CodeBuild and local runs alike) and
 * `adapters/fs-store.ts` against a local directory (tests, offline runs).
 */
import type { JobSource } from './job.ts';
import type { Manifest } from './manifest.ts';

/** Puts the job's source tree into an empty directory. */
export interface SourcePort {
  materialize(source: JobSource, dir: string, signal?: AbortSignal): Promise<void>;
}

/** Content-addressed storage for output files, keyed by sha256 hex. */
export interface BlobStore {
  /** The subset of `shas` the store does not hold yet. */
  missing(shas: readonly string[]): Promise<string[]>;
  /** Stores the file's bytes under `sha`; the caller has hashed them. */
  put(sha: string, filePath: string, size: number): Promise<void>;
  /** Writes the deployment's immutable manifest, last. */
  putManifest(deploymentId: string, manifest: Manifest): Promise<void>;
}

/** Build cache: whole directories, stored as tar.gz under a key. */
export interface CacheStore {
  /** Unpacks the entry into `dir`; false when there is none. */
  restore(key: string, dir: string): Promise<boolean>;
  /** Packs `dir` and stores it under `key`, replacing any previous entry. */
  save(key: string, dir: string): Promise<void>;
}

/** Receives finished log lines (timestamped and redacted). */
export interface LogSink {
  write(line: string): void;
}
