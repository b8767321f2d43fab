import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { killProcessGroup } from '../functions/src/builder/process.ts';

/** How to get the emulator on a machine without it. */
export const MOTO_INSTALL_HINT =
  'moto_server was not found on PATH. Install it with: pip install "moto[server]"  (or run LocalStack and set AWS_ENDPOINT_URL, see README).';

export class EmulatorMissingError extends Error {
  override name = 'EmulatorMissingError';
  constructor() {
    super(MOTO_INSTALL_HINT);
  }
}

export interface Emulator {
  /** `http://localhost:<port>` — `localhost`, not 127.0.0.1: moto's CloudFormation only parses path-style URLs on it. */
  readonly endpoint: string;
  readonly port: number;
  /** True when this process started the emulator (and so stops it). */
  readonly owned: boolean;
  /** The emulator's process, when this process started it. */
  readonly pid?: number | undefined;
  stop(): Promise<void>;
}

/** Credentials and region the emulator accepts; never real ones. */
export const EMULATOR_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
} as const;

/**
 * True when something answers like an AWS emulator on the port: an S3 ListBuckets (cheap, unlike
 * moto's state dump) or LocalStack's health endpoint. A busy emulator gets a few seconds.
 */
export async function isEmulatorAt(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    if (res.ok && (await res.text()).includes('ListAllMyBucketsResult')) return true;
    const health = await fetch(`http://127.0.0.1:${port}/_localstack/health`, { signal: AbortSignal.timeout(5000) });
    return health.ok;
  } catch {
    // Nothing listening, or not an emulator: either way there is no emulator to use.
    return false;
  }
}

/**
 * The Fetch standard's bad ports (https://fetch.spec.whatwg.org/#port-blocking), as undici — the
 * fetch inside Node — lists and enforces them; browsers refuse the same ports.
 */
const BAD_PORTS = (createRequire(import.meta.url)('undici/lib/web/fetch/constants.js') as { badPortsSet: ReadonlySet<string> }).badPortsSet;

/** True when fetch (Node's, browsers') refuses to connect to this port. */
export function isBadPort(port: number): boolean {
  return BAD_PORTS.has(String(port));
}

/** Whether a TCP port on 127.0.0.1 can be bound. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port the OS says is free right now (never one fetch refuses, see {@link isBadPort}). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (!isBadPort(port)) return port;
  }
}

export function hasMotoServer(): boolean {
  return spawnSync('sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' }).status === 0;
}

/** moto server serving one request at a time, optionally keeping its state in a file (see the script's docstring). */
const MOTO_SERVER_SCRIPT = path.join(import.meta.dirname, 'moto_server.py');

/** The Python that has moto installed, if `python3` is it. */
function hasMotoModule(): boolean {
  return spawnSync('python3', ['-c', 'import moto.server, werkzeug'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts moto server on the port (serialized, with an optional state file: see moto_server.py; when moto's Python package is
 * importable by `python3`; `moto_server` otherwise) and waits until it answers. The child gets its own process
 * group so `stop()` ends it and anything it spawned.
 */
export async function startMoto(port: number, { timeoutMs = 30_000, stateFile, onLog }: { timeoutMs?: number; stateFile?: string; onLog?: (line: string) => void } = {}): Promise<Emulator> {
  const serial = hasMotoModule();
  if (!serial && !hasMotoServer()) throw new EmulatorMissingError();
  if (stateFile && !serial) onLog?.('moto is not importable by python3 (only moto_server is on PATH): its state will not survive a restart');
  const [command, args] = serial
    ? ['python3', [MOTO_SERVER_SCRIPT, '127.0.0.1', String(port), ...(stateFile ? [stateFile] : [])]]
    : ['moto_server', ['-H', '127.0.0.1', '-p', String(port)]];
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr = (stderr + text).slice(-4000);
    for (const line of text.split('\n')) if (line.startsWith('[emulator] ')) onLog?.(line.slice('[emulator] '.length));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + timeoutMs;
  while (!(await isEmulatorAt(port))) {
    const code = await Promise.race([exited, sleep(200).then(() => undefined)]);
    if (code !== undefined) throw new Error(`moto_server exited with ${code} before answering:\n${stderr}`);
    if (Date.now() > deadline) {
      killProcessGroup(child);
      throw new Error(`moto_server did not answer on port ${port} within ${timeoutMs} ms:\n${stderr}`);
    }
  }
  return {
    endpoint: `http://localhost:${port}`,
    port,
    owned: true,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killProcessGroup(child);
      // With a state file, SIGTERM first saves the state: give it time.
      await Promise.race([exited, sleep(stateFile ? 60_000 : 5000).then(() => killProcessGroup(child, 'SIGKILL'))]);
    },
  };
}

/**
 * The emulator for `npm start`: reuses one already answering on the port (and leaves it running
 * at exit), otherwise starts moto there.
 */
export async function useOrStartEmulator(port: number, options: { stateFile?: string; onLog?: (line: string) => void } = {}): Promise<Emulator> {
  if (await isEmulatorAt(port)) {
    return { endpoint: `http://localhost:${port}`, port, owned: false, stop: async () => {} };
  }
  if (!(await isPortFree(port))) {
    throw new Error(`Port ${port} is taken by something that is not an AWS emulator. Free it or set RUNWAY_EMULATOR_PORT.`);
  }
  return startMoto(port, options);
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
