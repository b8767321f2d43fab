import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { z } from 'zod';
import { createGateway } from './gateway.ts';
import { startLocalAws, type LocalAws } from './environment.ts';
import { EmulatorMissingError, isPortFree } from './emulator.ts';
import { createConsoleServer } from './console.ts';
import { createEdgeServer } from './edge.ts';
import { useLocalPlatformPorts } from './platform.ts';
import { useLocalGitHub } from './github.ts';
import { startLocalSweeps } from './sweeps.ts';

/** Ports of `npm start`, each overridable by env. */
const Ports = z.object({
  RUNWAY_API_PORT: z.coerce.number().int().min(1).max(65535).default(4000),
  RUNWAY_EDGE_PORT: z.coerce.number().int().min(1).max(65535).default(4001),
  RUNWAY_CONSOLE_PORT: z.coerce.number().int().min(1).max(65535).default(4002),
  RUNWAY_EMULATOR_PORT: z.coerce.number().int().min(1).max(65535).default(4566),
  /** The fake GitHub's: fixed, so `npm run admin -- push` finds its control API. */
  RUNWAY_GITHUB_FAKE_PORT: z.coerce.number().int().min(1).max(65535).default(4003),
  /** Where the single-instance lock lives. */
  RUNWAY_STATE_DIR: z.string().min(1).default('.runway'),
});

/** Things to undo on exit, run in order: servers first, then the emulator. */
const cleanups: Array<() => Promise<void>> = [];

async function cleanup(): Promise<void> {
  for (const step of cleanups.splice(0)) await step().catch((error) => process.stderr.write(`[runway] cleanup: ${error}\n`));
  releaseLock();
}

let LOCK_FILE = '';

async function main(): Promise<void> {
  const ports = Ports.parse(process.env);
  claimLock(path.resolve(ports.RUNWAY_STATE_DIR));
  for (const [name, port] of [
    ['RUNWAY_API_PORT', ports.RUNWAY_API_PORT],
    ['RUNWAY_EDGE_PORT', ports.RUNWAY_EDGE_PORT],
    ['RUNWAY_CONSOLE_PORT', ports.RUNWAY_CONSOLE_PORT],
    ['RUNWAY_GITHUB_FAKE_PORT', ports.RUNWAY_GITHUB_FAKE_PORT],
  ] as const) {
    if (!(await isPortFree(port))) fail(`Port ${port} (${name}) is already in use. Stop what uses it or set ${name}.`);
  }

  log(`starting the AWS emulator on port ${ports.RUNWAY_EMULATOR_PORT} and deploying the state stack…`);
  let local: LocalAws;
  try {
    local = await startLocalAws({
      port: ports.RUNWAY_EMULATOR_PORT,
      mode: 'shared',
      externalEndpoint: process.env.AWS_ENDPOINT_URL || undefined,
    });
  } catch (error) {
    if (error instanceof EmulatorMissingError) fail(error.message);
    throw error;
  }
  cleanups.push(() => local.emulator.stop());
  Object.assign(process.env, local.env);
  // The adapters that differ locally: builds in child processes, the edge store in the emulator.
  const platform = useLocalPlatformPorts({ apiUrl: `http://localhost:${ports.RUNWAY_API_PORT}` });
  cleanups.unshift(() => platform.close());
  // EventBridge's schedules: stuck deployments end ERROR, hosts nobody owns leave the edge.
  cleanups.unshift(startLocalSweeps());
  log(`emulator ${local.emulator.owned ? 'started' : 'reused'} at ${local.emulator.endpoint}`);
  // Links the platform writes (GitHub statuses, PR comments) point at the local edge and console.
  Object.assign(process.env, {
    RUNWAY_EDGE_SCHEME: 'http',
    RUNWAY_EDGE_PORT: String(ports.RUNWAY_EDGE_PORT),
    RUNWAY_CONSOLE_URL: `http://localhost:${ports.RUNWAY_CONSOLE_PORT}`,
  });
  const github = await useLocalGitHub({
    setupUrl: `http://localhost:${ports.RUNWAY_CONSOLE_PORT}/git/setup/`,
    webhookUrl: `http://localhost:${ports.RUNWAY_API_PORT}/webhooks/github`,
    fakePort: ports.RUNWAY_GITHUB_FAKE_PORT,
    seed: true,
  });
  cleanups.unshift(() => github.close());
  if (github.fake) {
    log(`GitHub   a local fake at http://localhost:${ports.RUNWAY_GITHUB_FAKE_PORT} (a real App: .env.github, see README); import octo-org/hello-static or octo-org/hello-vite`);
    log('         push: npm run admin -- push --repo octo-org/hello-static --dir <folder> [--branch main]');
  } else {
    log('GitHub   the App from .env.github');
  }

  const servers: http.Server[] = [];
  cleanups.unshift(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))).then(() => undefined));
  const stop = async (signal: string) => {
    log(`${signal}: stopping…`);
    await cleanup();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  servers.push(await listen(createGateway(), ports.RUNWAY_API_PORT));
  servers.push(await listen(createEdgeServer(), ports.RUNWAY_EDGE_PORT));
  servers.push(await listen(await createConsoleServer({ apiUrl: `http://localhost:${ports.RUNWAY_API_PORT}`, edgePort: ports.RUNWAY_EDGE_PORT }), ports.RUNWAY_CONSOLE_PORT));

  log(`API      http://localhost:${ports.RUNWAY_API_PORT}/v1/health`);
  log(`edge     http://<project>.localhost:${ports.RUNWAY_EDGE_PORT}`);
  log(`console  http://localhost:${ports.RUNWAY_CONSOLE_PORT}`);
  log('first token: npm run admin -- create-token --team <name>   ·   Ctrl-C stops everything');
}

function listen(server: http.Server, port: number): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

/** One `npm start` at a time: a second one names the first instead of failing on a busy port. */
function claimLock(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  LOCK_FILE = path.join(dir, 'start.pid');
  try {
    fs.writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const pid = Number(fs.readFileSync(LOCK_FILE, 'utf8'));
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    fail(`Runway is already running (npm start, pid ${pid}). Stop it with Ctrl-C in its terminal or \`kill ${pid}\`.`);
  }
  // A stale lock from a process that died without cleaning up.
  fs.writeFileSync(LOCK_FILE, String(process.pid));
}

function releaseLock(): void {
  if (!LOCK_FILE) return;
  try {
    if (fs.readFileSync(LOCK_FILE, 'utf8') === String(process.pid)) fs.unlinkSync(LOCK_FILE);
  } catch {
    // Already gone: nothing to release.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function log(message: string): void {
  process.stdout.write(`[runway] ${message}\n`);
}

/** Clear message, undo what was started, exit 1. */
function fail(message: string): never {
  process.stderr.write(`[runway] ${message}\n`);
  void cleanup().finally(() => process.exit(1));
  // Park until cleanup exits the process.
  throw new StartAborted();
}

class StartAborted extends Error {}

main().catch((error) => {
  if (error instanceof StartAborted) return;
  process.stderr.write(`[runway] failed to start: ${(error as Error).stack ?? error}\n`);
  void cleanup().finally(() => process.exit(1));
});
