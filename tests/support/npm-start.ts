import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../local/emulator.ts';

const repo = path.resolve(import.meta.dirname, '../..');

/**
 * The environment `npm start` takes its ports and state dir from, every port a free one: a
 * developer's `npm start` (or another suite) may hold the defaults.
 */
export async function npmStartPorts(stateDir: string): Promise<Record<string, string>> {
  return {
    RUNWAY_API_PORT: String(await freePort()),
    RUNWAY_EDGE_PORT: String(await freePort()),
    RUNWAY_CONSOLE_PORT: String(await freePort()),
    RUNWAY_EMULATOR_PORT: String(await freePort()),
    RUNWAY_GITHUB_FAKE_PORT: String(await freePort()),
    RUNWAY_DNS_PORT: String(await freePort()),
    RUNWAY_STATE_DIR: stateDir,
  };
}

export interface NpmStart {
  child: ChildProcessWithoutNullStreams;
  /** Its stdout and stderr so far. */
  output(): string;
  /** Its exit code once it has exited. */
  exited: Promise<number | null>;
}

/**
 * `npm start [-- args]` as a terminal runs it: `npm` itself, leading a process group of its own
 * (the terminal's foreground group, which Ctrl-C signals as a whole), so {@link killGroup} ends
 * npm and the platform under it.
 */
export function spawnNpmStart(env: NodeJS.ProcessEnv, args: string[] = []): NpmStart {
  const child = spawn('npm', ['start', ...(args.length ? ['--', ...args] : [])], { cwd: repo, detached: true, env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => output, exited };
}

/** SIGKILL to the whole process group `child` leads; nothing when it is already gone. */
export function killGroup(child: ChildProcessWithoutNullStreams): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Already gone: it was stopped by its test.
  }
}
