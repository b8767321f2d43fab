/**
 * What builds need from storage and logging. Implementations: `adapters/artifacts/s3.ts` and
 * `adapters/build-logs/cloudwatch.ts` (the same ones serve AWS and the emulator).
 */
export interface ArtifactStore {
  /**
   * A URL that accepts one PUT of exactly these bytes: S3 checks the sha256 and the length (bytes)
   * when given, and with `ifNoneMatch` refuses (412) to replace an existing object.
   */
  presignPut(key: string, options?: { sha256Hex?: string; contentType?: string; size?: number; ifNoneMatch?: boolean }): Promise<string>;
  /** A URL for one GET, valid for minutes. */
  presignGet(key: string): Promise<string>;
  exists(key: string): Promise<boolean>;
  /** The object's text, or `undefined` when there is none. */
  getText(key: string): Promise<string | undefined>;
  /** Server-side copy, setting the served object's headers. */
  copy(fromKey: string, toKey: string, headers: { contentType: string; cacheControl?: string }): Promise<void>;
}

export interface LogEvent {
  /** Milliseconds since the epoch. */
  timestamp: number;
  message: string;
}

/** Build log lines, one stream per deployment (CodeBuild's own stream in AWS). */
export interface BuildLogs {
  append(stream: string, events: LogEvent[]): Promise<void>;
  /** Lines after `cursor` (oldest first), at most `limit`, and the cursor to continue from. */
  read(stream: string, options: { cursor?: string | undefined; limit: number }): Promise<{ events: LogEvent[]; next: string }>;
}
