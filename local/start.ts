import fs from 'node:fs';
import path from 'node:path';
import type http from 'node:http';
import { z } from 'zod';
import { corsAllowOrigins } from '../functions/src/handlers/http/cors.ts';
import { createGateway } from './gateway.ts';
import { startLocalAws, type LocalAws } from './environment.ts';
import { EmulatorMissingError, isBadPort, isPortFree } from './emulator.ts';
import { createConsoleServer } from './console.ts';
import { createEdgeServer } from './edge.ts';
import { useLocalPlatformPorts } from './platform.ts';
import { useLocalGitHub } from './github.ts';
import { describeSandbox, detectSandbox } from './sandbox/index.ts';
import { startLocalSweeps } from './sweeps.ts';
import { startDnsServer } from './dns-server.ts';

/**
 * A TCP port Node's fetch and browsers can reach: 1-65535 and not on the Fetch standard's
 * bad-port list (https://fetch.spec.whatwg.org/#port-blocking), which would otherwise pass here
 * and fail later with a misleading error.
 */
const Port = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .default(fallback)
    .refine((port) => !isBadPort(port), {
      message: 'is on the Fetch standard\'s "bad port" list (https://fetch.spec.whatwg.org/#port-blocking): browsers and Node\'s fetch refuse to connect to it. Pick another port',
    });

/** Ports of `npm start`, each overridable by env. */
const Ports = z.object({
  RUNWAY_API_PORT: Port(4000),
  RUNWAY_EDGE_PORT: Port(4001),
  RUNWAY_CONSOLE_PORT: Port(4002),
  RUNWAY_EMULATOR_PORT: Port(4566),
  /** The fake GitHub's: fixed, so `npm run admin -- push` finds its control API. */
  RUNWAY_GITHUB_FAKE_PORT: Port(4003),
  /** The local DNS zone's (UDP and TCP on loopback): what custom-domain checks resolve through. */
  RUNWAY_DNS_PORT: Port(4053),
  /** Where the single-instance lock lives. */
  RUNWAY_STATE_DIR: z.string().min(1).default('.runway'),
});

/** The name custom domains' CNAMEs point at under `npm start` (the connection group's endpoint in AWS). */
const LOCAL_DOMAIN_TARGET = 'edge.runway.localhost';

/** Things to undo on exit, run in order: servers first, then the emulator. */
const cleanups: Array<() => Promise<void>> = [];

let stopping: Promise<void> | undefined;

/** Undoes what was started, once: a second caller (a signal during a failed start) waits for the first. */
function cleanup(): Promise<void> {
  stopping ??= (async () => {
    for (const step of cleanups.splice(0)) await step().catch((error) => process.stderr.write(`[runway] cleanup: ${error}\n`));
    releaseLock();
  })();
  return stopping;
}

let LOCK_FILE = '';

async function main(): Promise<void> {
  const parsed = Ports.safeParse(process.env);
  if (!parsed.success) {
    fail(parsed.error.issues.map((i) => `${i.path.join('.')}=${process.env[String(i.path[0])] ?? ''} ${i.message}.`).join('\n'));
  }
  const ports = parsed.data;
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--reset');
  if (unknown.length > 0) fail(`Unknown argument ${unknown[0]}. Usage: npm start [-- --reset]   (--reset: start with an empty emulator state)`);
  const external = process.env.AWS_ENDPOINT_URL || undefined;
  if (external && isBadPort(endpointPort(external))) {
    fail(`AWS_ENDPOINT_URL=${external} uses port ${endpointPort(external)}, which is on the Fetch standard's "bad port" list (https://fetch.spec.whatwg.org/#port-blocking): Node's fetch refuses to connect to it. Run the emulator on another port.`);
  }
  // Signals from the first moment: a Ctrl-C during start-up still undoes what was started, and
  // a second Ctrl-C (or the copy tsx relays) does not kill the process halfway through cleanup.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  claimLock(path.resolve(ports.RUNWAY_STATE_DIR));
  // Whatever ends the process through process.exit (ours, or a library's), the lock goes with it.
  process.on('exit', releaseLock);
  closeToOthers(path.resolve(ports.RUNWAY_STATE_DIR));
  logSandbox();
  for (const [name, port] of [
    ['RUNWAY_API_PORT', ports.RUNWAY_API_PORT],
    ['RUNWAY_EDGE_PORT', ports.RUNWAY_EDGE_PORT],
    ['RUNWAY_CONSOLE_PORT', ports.RUNWAY_CONSOLE_PORT],
    ['RUNWAY_GITHUB_FAKE_PORT', ports.RUNWAY_GITHUB_FAKE_PORT],
    ['RUNWAY_DNS_PORT', ports.RUNWAY_DNS_PORT],
  ] as const) {
    if (!(await isPortFree(port))) fail(`Port ${port} (${name}) is already in use. Stop what uses it or set ${name}.`);
  }

  // The emulator's state (teams, tokens, projects, deployments, files, keys) lives here across restarts.
  const stateFile = path.resolve(ports.RUNWAY_STATE_DIR, 'emulator.pickle');
  if (args.includes('--reset')) {
    fs.rmSync(stateFile, { force: true });
    log(`--reset: starting with an empty emulator (removed ${stateFile})`);
  }
  log(`starting the AWS emulator on port ${ports.RUNWAY_EMULATOR_PORT} and deploying the state stack…`);
  let local: LocalAws;
  try {
    local = await startLocalAws({
      port: ports.RUNWAY_EMULATOR_PORT,
      mode: 'shared',
      externalEndpoint: external,
      stateFile,
      onLog: (line) => log(`emulator ${line}`),
    });
  } catch (error) {
    if (error instanceof EmulatorMissingError) fail(error.message);
    throw error;
  }
  cleanups.push(() => local.emulator.stop());
  Object.assign(process.env, local.env);
  // The adapters that differ locally: builds in child processes, the edge store in the emulator.
  // Custom domains: a real DNS server on loopback serving the zone in <state dir>/dns-zone.json
  // (`npm run admin -- dns-set`), where the routing endpoint resolves to the local edge.
  const dns = await startDnsServer({ port: ports.RUNWAY_DNS_PORT, zoneFile: path.resolve(ports.RUNWAY_STATE_DIR, 'dns-zone.json') });
  cleanups.push(() => dns.close());
  dns.set(LOCAL_DOMAIN_TARGET, 'A', ['127.0.0.1']);
  const platform = useLocalPlatformPorts({ apiUrl: `http://localhost:${ports.RUNWAY_API_PORT}`, domains: { dnsServers: [dns.address], target: LOCAL_DOMAIN_TARGET } });
  cleanups.unshift(() => platform.close());
  // EventBridge's schedules: stuck deployments end ERROR, hosts nobody owns leave the edge, and
  // deployments from before the deployment index get theirs (at start, then every minute).
  cleanups.unshift(startLocalSweeps());
  log(
    local.emulator.owned
      ? `emulator started at ${local.emulator.endpoint} (pid ${local.emulator.pid}; state in ${stateFile}, \`npm start -- --reset\` starts empty)`
      : `emulator reused at ${local.emulator.endpoint} (its state is its own: not saved by npm start)`,
  );
  // Links the platform writes (GitHub statuses, PR comments) point at the local edge and console.
  // A console URL of your own (RUNWAY_CONSOLE_URL, e.g. a tunnel) is also allowed by the API's CORS.
  const ownConsoleUrl = process.env.RUNWAY_CONSOLE_URL || undefined;
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
  // CORS as in AWS (the same definition): the console's origin, and RUNWAY_CONSOLE_URL when set.
  const consoleOrigin = `http://localhost:${ports.RUNWAY_CONSOLE_PORT}`;
  servers.push(await listen(createGateway({ allowOrigins: corsAllowOrigins(consoleOrigin, ownConsoleUrl) }), ports.RUNWAY_API_PORT));
  servers.push(await listen(createEdgeServer(), ports.RUNWAY_EDGE_PORT));
  servers.push(await listen(await createConsoleServer({ apiUrl: `http://localhost:${ports.RUNWAY_API_PORT}`, edgePort: ports.RUNWAY_EDGE_PORT }), ports.RUNWAY_CONSOLE_PORT));

  log(`API      http://localhost:${ports.RUNWAY_API_PORT}/v1/health`);
  log(`edge     http://<project>.localhost:${ports.RUNWAY_EDGE_PORT}`);
  log(`dns      ${dns.address} (zone ${path.resolve(ports.RUNWAY_STATE_DIR, 'dns-zone.json')}; custom domains: \`npm run admin -- dns-set\`, then curl -H 'Host: <domain>' http://localhost:${ports.RUNWAY_EDGE_PORT}/)`);
  log(`console  http://localhost:${ports.RUNWAY_CONSOLE_PORT}`);
  log('first token: npm run admin -- create-token --team <name>   ·   Ctrl-C stops everything');
}

/**
 * The state dir and the GitHub App's settings hold secrets: readable by this user only (what keeps
 * them from a build's own uid when `npm start` runs as root; see local/sandbox).
 */
function closeToOthers(stateDir: string): void {
  fs.chmodSync(stateDir, 0o700);
  for (const file of ['.env.github', privateKeyFileOf('.env.github')]) {
    if (file && fs.existsSync(file) && (fs.statSync(file).mode & 0o077) !== 0) {
      fs.chmodSync(file, 0o600);
      log(`${file} was readable by others: now 0600`);
    }
  }
}

function privateKeyFileOf(envFile: string): string | undefined {
  if (!fs.existsSync(envFile)) return undefined;
  return /^RUNWAY_GITHUB_PRIVATE_KEY_FILE=(.+)$/m.exec(fs.readFileSync(envFile, 'utf8'))?.[1]?.trim().replace(/^["']|["']$/g, '');
}

/** Says what a build (and a function worker) can and cannot reach here, before the first one runs. */
function logSandbox(): void {
  const support = detectSandbox();
  const { isolated, notIsolated } = describeSandbox(support);
  const label = { root: 'sandboxed (root: a uid of their own)', userns: 'sandboxed (user namespace)', none: 'NOT sandboxed' }[support.mode];
  log(`builds   ${label}`);
  for (const line of isolated) log(`         isolated: ${line}`);
  for (const line of notIsolated) log(`         NOT isolated: ${line}`);
  // Function workers run in the same sandbox, with only a proxy to public addresses (local/functions/isolation.ts).
  log(`functions ${support.mode === 'none' ? 'NOT sandboxed: plain worker processes' : `sandboxed like builds; network: only public internet through their proxy`}; logs: GET /v1/deployments/{id}/logs`);
}

/** The first signal stops everything and exits 0; later ones only say that it is under way. */
async function stop(signal: string): Promise<void> {
  if (stopping) return void log(`${signal}: already stopping…`);
  log(`${signal}: stopping…`);
  await cleanup();
  process.exit(0);
}

function endpointPort(endpoint: string): number {
  const url = new URL(endpoint);
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
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

// A backstop, not the fix: every source of a rejection is handled where it happens (a failing
// dependency degrades a request or a build, see README "Security model"). Logged so it is found.
process.on('unhandledRejection', (reason) => process.stderr.write(`[runway] unhandled rejection (a bug): ${(reason as Error)?.stack ?? reason}\n`));

main().catch((error) => {
  if (error instanceof StartAborted) return;
  process.stderr.write(`[runway] failed to start: ${(error as Error).stack ?? error}\n`);
  void cleanup().finally(() => process.exit(1));
});
