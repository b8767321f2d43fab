import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Logger } from './log.ts';

/** A command exited non-zero, was killed, or ran out of time. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;

  constructor(
    message: string,
    details: { exitCode: number | null; signal: NodeJS.Signals | null; timedOut: boolean },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.timedOut = details.timedOut;
  }
}

/** Env var names the project cannot set: the builder owns them. */
export const RESERVED_ENV_KEYS: ReadonlySet<string> = new Set(['PATH', 'HOME', 'CI']);

/** Quieter, non-interactive installs; the project's env may override any of these. */
const DEFAULT_CHILD_ENV: Readonly<Record<string, string>> = {
  LANG: 'C.UTF-8',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  NEXT_TELEMETRY_DISABLED: '1',
  ASTRO_TELEMETRY_DISABLED: '1',
};

/**
 * Host settings a build needs to reach the registry through the network it runs in (a TLS
 * inspecting proxy's CA, an egress proxy). They describe the network, not the builder's identity,
 * so they are passed through; everything else of the host is not.
 */
export const PASSTHROUGH_ENV_KEYS: readonly string[] = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/** The {@link PASSTHROUGH_ENV_KEYS} present in `env`. */
/**
 * Signals the process group a child leads (it was spawned `detached`), so its own children end
 * too. A group that is already gone is no error.
 */
export function killProcessGroup(child: { pid?: number | undefined }, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

export function pickPassthroughEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of PASSTHROUGH_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

export interface ChildEnvOptions {
  /** The builder's PATH (where node, npm and npx are). */
  path: string;
  /** A home directory for this build only, so no ~/.npmrc of the host leaks in. */
  home: string;
  projectDir: string;
  projectEnv: Readonly<Record<string, string>>;
  /** From {@link pickPassthroughEnv}; the project's env may override these. */
  passthrough?: Readonly<Record<string, string>>;
  /** Builder-owned additions such as cache directories; they win over the project's env. */
  extra?: Readonly<Record<string, string>>;
  phase: 'install' | 'build';
}

/**
 * The environment of a build command, built from nothing rather than filtered from
 * `process.env`: nothing of the builder's own (AWS_* container credentials, the upload token,
 * RUNWAY_*) can reach user code. Precedence: defaults < passthrough < project env < `extra`
 * < PATH/HOME/CI.
 */
export function childEnv(options: ChildEnvOptions): Record<string, string> {
  const env: Record<string, string> = { ...DEFAULT_CHILD_ENV, ...options.passthrough };
  for (const [key, value] of Object.entries(options.projectEnv)) {
    if (!RESERVED_ENV_KEYS.has(key)) env[key] = value;
  }
  Object.assign(env, options.extra);
  env.PATH = [path.join(options.projectDir, 'node_modules', '.bin'), options.path].join(path.delimiter);
  env.HOME = options.home;
  env.CI = '1';
  // NODE_ENV=production during install would skip devDependencies, where build tools live.
  if (options.phase === 'install') delete env.NODE_ENV;
  return env;
}

export interface RunCommandOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  log: Logger;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL. @default 5000 */
  killGraceMs?: number;
}

/**
 * Runs a shell command in its own process group, streaming stdout and stderr to the log line by
 * line. On timeout or abort the whole group gets SIGTERM, then SIGKILL; after a normal exit any
 * leftover processes of the group are killed too, so nothing outlives its step.
 * @throws CommandFailedError unless the command exits 0 in time.
 */
export async function runCommand(options: RunCommandOptions): Promise<void> {
  const { command, cwd, env, log, timeoutMs, signal } = options;
  const killGraceMs = options.killGraceMs ?? 5000;
  signal?.throwIfAborted();
  log.info(`$ ${command}`);

  const child = spawn('/bin/sh', ['-c', command], {
    cwd,
    env,
    detached: true, // own process group: kill(-pid) reaches grandchildren
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = log.stream();
  const err = log.stream();
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));

  const killGroup = (sig: NodeJS.Signals): void => killProcessGroup(child, sig);

  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    killGroup('SIGTERM');
    killTimer ??= setTimeout(() => killGroup('SIGKILL'), killGraceMs);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    stop();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const closed = new Promise((resolve) => child.once('close', resolve));
  try {
    const [exitCode, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, sig) => resolve([code, sig]));
    });
    killGroup('SIGKILL');
    // Pipes close once every holder is gone; a process that escaped the group (setsid) could
    // hold them open forever, so do not wait long.
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    child.stdout.destroy();
    child.stderr.destroy();
    out.end();
    err.end();

    if (timedOut) {
      throw new CommandFailedError(`\`${command}\` timed out after ${Math.round(timeoutMs / 1000)}s`, {
        exitCode,
        signal: exitSignal,
        timedOut: true,
      });
    }
    if (aborted) {
      throw new CommandFailedError(`\`${command}\` was aborted`, { exitCode, signal: exitSignal, timedOut: false });
    }
    if (exitCode !== 0) {
      const how = exitCode === null ? `killed by ${exitSignal}` : `exit code ${exitCode}`;
      throw new CommandFailedError(`\`${command}\` failed (${how})`, { exitCode, signal: exitSignal, timedOut: false });
    }
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    signal?.removeEventListener('abort', onAbort);
  }
}
