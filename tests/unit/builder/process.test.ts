import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Logger, MemorySink, Redactor } from '../../../functions/src/builder/log.ts';
import { childEnv, CommandFailedError, pickPassthroughEnv, runCommand } from '../../../functions/src/builder/process.ts';
import { tempDir } from './helpers.ts';

const base = { path: '/usr/bin:/bin', home: '/tmp/home', projectDir: '/w/src' };

describe('childEnv', () => {
  it('starts from nothing: no AWS_*, no upload token, no inherited vars', () => {
    process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI = '/v2/credentials/abc';
    process.env.RUNWAY_UPLOAD_TOKEN = 'tok_should_not_leak';
    try {
      const env = childEnv({ ...base, projectEnv: { API_URL: 'https://api' }, phase: 'build' });
      expect(Object.keys(env).filter((k) => k.startsWith('AWS_') || k.startsWith('RUNWAY_'))).toEqual([]);
      expect(env).toMatchObject({ API_URL: 'https://api', CI: '1', HOME: '/tmp/home', PATH: '/w/src/node_modules/.bin:/usr/bin:/bin' });
    } finally {
      delete process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
      delete process.env.RUNWAY_UPLOAD_TOKEN;
    }
  });

  it('drops NODE_ENV for install only', () => {
    const projectEnv = { NODE_ENV: 'production' };
    expect(childEnv({ ...base, projectEnv, phase: 'install' })).not.toHaveProperty('NODE_ENV');
    expect(childEnv({ ...base, projectEnv, phase: 'build' }).NODE_ENV).toBe('production');
  });

  it('keeps PATH, HOME and CI and builder extras over the project env', () => {
    const env = childEnv({
      ...base,
      projectEnv: { PATH: '/evil', HOME: '/root', CI: '0', npm_config_cache: '/x', NEXT_TELEMETRY_DISABLED: '0' },
      extra: { npm_config_cache: '/w/cache/pm/npm' },
      phase: 'build',
    });
    expect(env).toMatchObject({ PATH: '/w/src/node_modules/.bin:/usr/bin:/bin', HOME: '/tmp/home', CI: '1', npm_config_cache: '/w/cache/pm/npm', NEXT_TELEMETRY_DISABLED: '0' });
  });
});

describe('runCommand', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let sink: MemorySink;
  let log: Logger;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    sink = new MemorySink();
    log = new Logger({ sink, redactor: new Redactor(['hunter2-secret']) });
  });
  afterEach(() => cleanup());

  const env = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir });
  const texts = () => sink.lines.map((l) => l.slice(l.indexOf(' ') + 1));

  it('streams stdout and stderr line by line, redacted', async () => {
    await runCommand({ command: 'echo out; echo err >&2; printf "hunter2-"; sleep 0.05; echo secret', cwd: dir, env: env(), log, timeoutMs: 10_000 });
    expect(texts()).toEqual(expect.arrayContaining(['out', 'err', '[redacted]']));
    expect(sink.lines.join('\n')).not.toContain('hunter2-secret');
  });

  it('runs in the given directory with exactly the given env', async () => {
    await runCommand({ command: 'pwd; env | sort > env.txt', cwd: dir, env: { ...env(), ONLY: 'me' }, log, timeoutMs: 10_000 });
    const names = (await readFile(path.join(dir, 'env.txt'), 'utf8')).split('\n').map((l) => l.split('=')[0] ?? '').filter(Boolean);
    expect(names).toContain('ONLY');
    expect(names.filter((n) => n.startsWith('AWS_') || n === 'RUNWAY_UPLOAD_TOKEN')).toEqual([]);
  });

  it('fails with the exit code', async () => {
    const error = await runCommand({ command: 'exit 3', cwd: dir, env: env(), log, timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toMatchObject({ exitCode: 3, timedOut: false });
  });

  it('kills the whole process group on timeout', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    // Only timers are faked: the time limit fires when the test says so, after the grandchild exists.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let error: unknown;
    let grandchild: number;
    try {
      const running = runCommand({
        command: `sh -c 'sleep 30' & echo $! > ${pidFile}; sleep 30`,
        cwd: dir,
        env: env(),
        log,
        timeoutMs: 60_000,
        killGraceMs: 5_000,
      }).catch((e: unknown) => e);
      grandchild = await pidFrom(pidFile);
      expect(await isAlive(grandchild)).toBe(true);
      vi.advanceTimersByTime(60_000);
      error = await running;
    } finally {
      vi.useRealTimers();
    }
    expect(error).toMatchObject({ name: 'CommandFailedError', timedOut: true });
    await expect.poll(() => isAlive(grandchild), { timeout: 10_000 }).toBe(false);
  });

  it('kills leftovers of a command that exited', async () => {
    const pidFile = path.join(dir, 'daemon.pid');
    await runCommand({ command: `(sleep 30 >/dev/null 2>&1 &  echo $! > ${pidFile})`, cwd: dir, env: env(), log, timeoutMs: 10_000 });
    const daemon = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => isAlive(daemon), { timeout: 10_000 }).toBe(false);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await runCommand({ command: 'sleep 30', cwd: dir, env: env(), log, timeoutMs: 60_000, killGraceMs: 100, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toMatch(/aborted/);
  });
});

/** Running and not a zombie: a killed orphan stays in the table until someone reaps it. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The pid a command writes into `file`, once it has (polled on the event loop: timers may be faked). */
async function pidFrom(file: string): Promise<number> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (/^\d+\n/.test(text)) return Number(text.trim());
    if (performance.now() > deadline) throw new Error(`${file} never got a pid`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('pickPassthroughEnv', () => {
  it('keeps only network settings from the host', () => {
    expect(
      pickPassthroughEnv({ NODE_EXTRA_CA_CERTS: '/etc/ca.pem', HTTPS_PROXY: 'http://proxy:3128', AWS_ACCESS_KEY_ID: 'AKIA', RUNWAY_UPLOAD_TOKEN: 't', NO_PROXY: '' }),
    ).toEqual({ NODE_EXTRA_CA_CERTS: '/etc/ca.pem', HTTPS_PROXY: 'http://proxy:3128' });
  });

  it('lets the project override a passthrough value', () => {
    const env = childEnv({ ...base, passthrough: { HTTPS_PROXY: 'http://host' }, projectEnv: { HTTPS_PROXY: 'http://project' }, phase: 'build' });
    expect(env.HTTPS_PROXY).toBe('http://project');
  });
});
