import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Broker, type Forward } from './broker.ts';

export { Broker, isPublicAddress, resolveDestination, type Destination, type Forward, type HttpForward, type ProxyForward } from './broker.ts';
export { CapabilitySet } from './capabilities.ts';


/**
 * How untrusted code (builds; later, user functions) runs locally, isolated from the platform —
 * Linux namespaces through util-linux's `unshare` and `setpriv` and iproute2's `ip`:
 * - `root` (the platform runs as root): a new network namespace (only its own loopback; no route
 *   to the host's, so not to the emulator, the API or anything else listening there), a new PID
 *   namespace with its own /proc (no platform process to see, signal or read `environ` of), and a
 *   uid of its own per sandbox with no supplementary groups (but those the caller names, e.g. the
 *   group of one function's code), no capabilities and no new privileges (setuid binaries do not
 *   elevate), so files only root or another sandbox can read stay closed. The caller's `env`
 *   reaches only the command, after the drop (never the helpers that run as root: see init.mjs).
 * - `userns` (not root, unprivileged user namespaces allowed): the same network and PID
 *   namespaces inside a user namespace, capabilities dropped. The code still runs as your user:
 *   every file your user can read, it can read.
 * - `none` (neither works, or not Linux): a plain child process with full access to what your
 *   user can reach, network included. Said at start, never silently.
 * Network: only the forwards the caller names pass, each through the {@link Broker}'s policy.
 */
export type SandboxMode = 'root' | 'userns' | 'none';

export interface SandboxSupport {
  mode: SandboxMode;
  /** Why a stronger mode is not available (for the start-up log). */
  reason?: string;
}

const NAMESPACES = ['--net', '--pid', '--fork', '--kill-child', '--mount-proc'];
const INIT = path.join(import.meta.dirname, 'init.mjs');

let detected: SandboxSupport | undefined;

/** The strongest mode this machine supports, probed once by running `ip link set lo up` in fresh namespaces. */
export function detectSandbox(): SandboxSupport {
  detected ??= probe();
  return detected;
}

function probe(): SandboxSupport {
  if (process.platform !== 'linux') return { mode: 'none', reason: `namespaces need Linux (this is ${process.platform})` };
  for (const tool of ['unshare', 'setpriv', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
      return { mode: 'none', reason: `\`${tool}\` is not installed (${tool === 'ip' ? 'iproute2' : 'util-linux'})` };
    }
  }
  const attempt = (extra: string[]) => spawnSync('unshare', [...extra, ...NAMESPACES, '--', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8', timeout: 10_000 });
  const root = process.getuid?.() === 0;
  if (root) {
    const result = attempt([]);
    if (result.status === 0) return { mode: 'root' };
    const userns = attempt(['--user', '--map-root-user']);
    return userns.status === 0 ? { mode: 'userns', reason: `unshare as root failed: ${result.stderr.trim()}` } : { mode: 'none', reason: result.stderr.trim() };
  }
  const userns = attempt(['--user', '--map-root-user']);
  if (userns.status === 0) return { mode: 'userns', reason: 'not running as root, so no separate uid' };
  return { mode: 'none', reason: `unprivileged user namespaces are not available: ${userns.stderr.trim()}` };
}

/** What a mode isolates and what it does not, one line each, for the start-up log and the README. */
export function describeSandbox(support: SandboxSupport): { isolated: string[]; notIsolated: string[] } {
  if (support.mode === 'none') {
    return {
      isolated: ['own temp dir, scrubbed environment, time limit'],
      notIsolated: [`network (the emulator, the API and every local port are reachable), processes, files your user can read — ${support.reason ?? 'no sandbox'}`],
    };
  }
  const isolated = [
    'network: own namespace; reaches only the forwards it is given (build API, URLs the API hands out, the package registry)',
    'processes: own PID namespace and /proc (platform processes invisible)',
    'no capabilities, no new privileges (setuid binaries do not elevate)',
  ];
  if (support.mode === 'root') {
    return { isolated: [...isolated, 'files: a uid of its own per sandbox, no groups (root-only files, other builds\' files closed)'], notIsolated: ['world-readable files of this machine'] };
  }
  return { isolated, notIsolated: [`files: runs as your user, so every file your user can read is readable (${support.reason ?? 'not root'})`] };
}

/**
 * What one sandbox may use, all of it together: enforced by its init (PID 1 of its namespace),
 * which measures every process in it and stops them all, with the limit named as the last line of
 * output, when one is reached — and, per process, by rlimits (prlimit(1)): RLIMIT_NPROC (its
 * uid's tasks: a fork bomb's forks fail at the limit), RLIMIT_DATA (memory), RLIMIT_FSIZE (one
 * file cannot outgrow the disk limit), RLIMIT_NOFILE, no core dumps.
 */
export interface SandboxLimits {
  /** Tasks (processes and their threads) at once. */
  processes: number;
  /** Resident memory of all processes together, bytes. */
  memoryBytes: number;
  /** Bytes on disk of its writable dirs, plus (root mode) what its uid owns in /tmp, /var/tmp, /dev/shm. */
  diskBytes: number;
  /** Open files per process. */
  openFiles: number;
}

/**
 * Defaults for a build: 2048 tasks (a Node.js process has about 11), 4 GiB of memory (CodeBuild's
 * Lambda compute offers 1–10 GB), 10 GiB of disk (its /tmp holds 10 GB:
 * https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html), 8192 open files.
 */
export const DEFAULT_LIMITS: SandboxLimits = { processes: 2048, memoryBytes: 4 * 1024 ** 3, diskBytes: 10 * 1024 ** 3, openFiles: 8192 };

/** The words of a sandbox's `[sandbox] stopped: …` line: what ran, and where each limit is set. */
export interface LimitWording {
  subject: string;
  hints: { processes: string; memory: string; disk: string };
}

/** A build's: its limits are the `RUNWAY_BUILD_*` settings of `npm start`. */
export const BUILD_LIMIT_WORDING: LimitWording = {
  subject: 'the build',
  hints: { processes: 'RUNWAY_BUILD_MAX_PROCESSES', memory: 'RUNWAY_BUILD_MEMORY_MB', disk: 'RUNWAY_BUILD_DISK_MB' },
};

/** How often the init measures processes and memory, and disk (a walk of the files), ms. */
const WATCH_INTERVAL_MS = 250;
const DISK_INTERVAL_MS = 2000;

export interface SandboxSpawnOptions {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Directories the sandboxed process must write: given to its uid (root mode). */
  writable: readonly string[];
  /**
   * Supplementary groups of the sandboxed process (root mode; otherwise it has none), e.g. the
   * group that alone may read a function's code. @default none
   */
  groups?: readonly number[];
  forwards: readonly Forward[];
  /** What it may use (not in `none` mode, which only says it cannot). @default no limits */
  limits?: SandboxLimits;
  /**
   * How the stop message names what ran and where each limit is set, e.g. `the function` and
   * `its memory`. @default {@link BUILD_LIMIT_WORDING}
   */
  limitWording?: LimitWording;
}

export interface Sandboxed {
  child: ChildProcess;
  mode: SandboxMode;
  /** The broker of its network (not in `none` mode): refusals are in `broker.refusals`. */
  broker: Broker | undefined;
  /** Waits for the process to end and releases the sandbox (sockets, temp dir). */
  close(): Promise<void>;
}

/**
 * Root-mode sandboxes get a random uid from this range: far above login users and the usual
 * subuid ranges, below 2^31. Random, not recycled in order: what one sandbox leaves in a shared
 * place (/tmp) is owned by a uid the next one almost surely does not get, and is created under
 * umask 077 (see init.mjs), so it stays closed to it.
 */
const UID_RANGE = { first: 2_100_000_000, size: 2 ** 25 };
const uidsInUse = new Set<number>();

/**
 * Starts `command` in a sandbox of `support`'s mode (see {@link SandboxMode}). The returned child
 * is `unshare`, leader of its own process group: signal the group (`kill(-pid)`) to stop it; the
 * sandbox's init relays the signal, and its exit ends everything inside.
 */
export async function spawnSandboxed(support: SandboxSupport, options: SandboxSpawnOptions): Promise<Sandboxed> {
  if (support.mode === 'none') {
    const child = spawn(options.command, [...options.args], { cwd: options.cwd, env: { ...options.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return { child, mode: 'none', broker: undefined, close: () => closed(child) };
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'runway-sandbox-'));
  let uid: number | undefined;
  let broker: Broker | undefined;
  try {
    broker = await Broker.open(path.join(dir, 'sock'), options.forwards);
    const setpriv = ['--no-new-privs', '--inh-caps=-all', '--bounding-set=-all'];
    if (support.mode === 'root') {
      uid = allocateUid();
      for (const writable of options.writable) await chownTree(writable, uid);
      const groups = options.groups?.length ? ['--groups', options.groups.join(',')] : ['--clear-groups'];
      setpriv.unshift('--reuid', String(uid), '--regid', String(uid), ...groups);
    }
    const child = spawn('unshare', [...(support.mode === 'userns' ? ['--user', '--map-root-user'] : []), ...NAMESPACES, '--', process.execPath, INIT], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    child.stdin!.end(
      JSON.stringify({
        forwards: options.forwards.map((f) => ({ port: f.port, socket: broker!.socketOf(f.port) })),
        command: options.command,
        args: options.args,
        env: options.env,
        cwd: options.cwd,
        setpriv,
        writable: options.writable,
        scratch: SCRATCH,
        ...(uid === undefined ? {} : { uid }),
        ...(options.limits
          ? {
              limits: {
                ...options.limits,
                ...(options.limitWording ?? BUILD_LIMIT_WORDING),
                nproc: nprocLimit(support.mode, options.limits.processes),
                intervalMs: WATCH_INTERVAL_MS,
                diskIntervalMs: DISK_INTERVAL_MS,
              },
            }
          : {}),
      }),
    );
    const release = async () => {
      await closed(child);
      await broker?.close();
      if (uid !== undefined) {
        await removeOwnedBy(uid);
        uidsInUse.delete(uid);
      }
      await fs.rm(dir, { recursive: true, force: true });
    };
    return { child, mode: support.mode, broker, close: release };
  } catch (error) {
    await broker?.close();
    if (uid !== undefined) uidsInUse.delete(uid);
    await fs.rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * RLIMIT_NPROC counts every task of the process's real uid. Root mode: the sandbox's own uid, so
 * exactly its limit. User-namespace mode: your user's, so its tasks outside the sandbox (this
 * platform included) are added; the init's count of the namespace is what holds the build to
 * its own limit there.
 */
function nprocLimit(mode: SandboxMode, processes: number): number {
  if (mode === 'root') return processes;
  const uid = process.getuid?.();
  let tasks = 0;
  for (const name of fsSync.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = fsSync.readFileSync(`/proc/${name}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) === uid) tasks += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    } catch {
      // Gone meanwhile.
    }
  }
  return processes + tasks;
}

function allocateUid(): number {
  for (;;) {
    const uid = UID_RANGE.first + randomInt(UID_RANGE.size);
    if (!uidsInUse.has(uid)) {
      uidsInUse.add(uid);
      return uid;
    }
  }
}

/** Shared scratch places a sandbox can write besides its own dirs. */
const SCRATCH = ['/tmp', '/var/tmp', '/dev/shm'];

/** Removes what a sandbox's uid left at the top of the shared scratch places (its processes are all gone by now). */
async function removeOwnedBy(uid: number): Promise<void> {
  for (const scratch of SCRATCH) {
    let entries: string[];
    try {
      entries = await fs.readdir(scratch);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const file = path.join(scratch, entry);
      try {
        if ((await fs.lstat(file)).uid === uid) await fs.rm(file, { recursive: true, force: true });
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

async function chownTree(root: string, uid: number): Promise<void> {
  await fs.chown(root, uid, uid);
  for (const entry of await fs.readdir(root, { recursive: true, withFileTypes: true })) {
    await fs.lchown(path.join(entry.parentPath, entry.name), uid, uid);
  }
}

function closed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('close', () => resolve()));
}
