import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
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
 *   uid of its own per sandbox with no supplementary groups, no capabilities and no new privileges
 *   (setuid binaries do not elevate), so files only root or another sandbox can read stay closed.
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

export interface SandboxSpawnOptions {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd: string;
  /** Directories the sandboxed process must write: given to its uid (root mode). */
  writable: readonly string[];
  forwards: readonly Forward[];
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
      setpriv.unshift('--reuid', String(uid), '--regid', String(uid), '--clear-groups');
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
      }),
    );
    const release = async () => {
      await closed(child);
      await broker?.close();
      if (uid !== undefined) uidsInUse.delete(uid);
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

function allocateUid(): number {
  for (;;) {
    const uid = UID_RANGE.first + randomInt(UID_RANGE.size);
    if (!uidsInUse.has(uid)) {
      uidsInUse.add(uid);
      return uid;
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
