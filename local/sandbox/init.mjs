// The first process inside a sandbox's namespaces (see ./index.ts). Plain JavaScript with no
// dependencies, so the node binary runs it without a loader. It reads its spec as JSON on stdin:
//
//   { forwards: [{ port, socket }], command, args, env, cwd, setpriv: [...options], limits?, uid?, writable, scratch }
//
// 1. brings up the loopback interface of the fresh network namespace (down when created);
// 2. for each forward, listens on 127.0.0.1:<port> and [::1]:<port> and pipes every connection
//    to the unix socket <socket>, where the broker outside decides what may pass;
// 3. runs the command through `prlimit` (per-process limits: processes of its uid, open files,
//    file size, data segment, no core dumps) and `setpriv` (another uid, no new privileges, no
//    capabilities), in a process group of its own, and exits with its status. prlimit and setpriv
//    (root) see only a fixed PATH; the command's `env` is applied by `env -i` after the drop. As
//    PID 1 of the namespace, its exit takes every process the command left behind with it;
// 4. with `limits`, watches the whole namespace — every process in it is the command's — and
//    when the tasks (threads), the resident memory or the disk it has written reach a limit,
//    kills everything, prints `[sandbox] stopped: <which limit>` as the last line and exits 137.
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

/** The only environment of the helpers that run before the privilege drop. */
const HELPER_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const ENV = '/usr/bin/env';

const input = [];
for await (const chunk of process.stdin) input.push(chunk);
const spec = JSON.parse(Buffer.concat(input).toString('utf8'));

function fail(message) {
  process.stderr.write(`[sandbox] ${message}\n`);
  process.exit(125);
}

try {
  execFileSync('ip', ['link', 'set', 'lo', 'up'], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (error) {
  fail(`cannot bring up the loopback interface: ${error.stderr?.toString().trim() || error.message}`);
}

const listening = [];
for (const forward of spec.forwards) {
  for (const host of ['127.0.0.1', '::1']) {
    const server = net.createServer((client) => {
      const upstream = net.connect(forward.socket);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    listening.push(
      new Promise((resolve, reject) => {
        server.once('error', (error) => (host === '::1' && error.code === 'EADDRNOTAVAIL' ? resolve() : reject(error)));
        server.listen(forward.port, host, resolve);
      }),
    );
  }
}
try {
  await Promise.all(listening);
} catch (error) {
  fail(`cannot listen for the forwards: ${error.message}`);
}

// Files the command creates are its own only, wherever it puts them.
process.umask(0o077);
const limits = spec.limits;
const prlimit = limits
  ? [
      'prlimit',
      `--nproc=${limits.nproc}`,
      `--nofile=${limits.openFiles}`,
      `--fsize=${limits.diskBytes}`,
      `--data=${limits.memoryBytes}`,
      '--core=0',
      '--',
    ]
  : [];
// The command's environment is the tenant's (a function's `environment`, a project's variables):
// it must not reach prlimit or setpriv, which start as root (LD_PRELOAD, GCONV_PATH... would run
// the tenant's code with root's privileges). They get a fixed PATH only; `env -i` applies the
// command's environment in the last exec, after setpriv has dropped the uid and capabilities.
// (Same size limits as an environment: argv and envp share ARG_MAX, 128 KiB per string.)
const commandEnv = Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`);
const [program, ...programArgs] = [...prlimit, 'setpriv', ...spec.setpriv, '--', ENV, '-i', '--', ...commandEnv, spec.command, ...spec.args];
let stopping = false;
const child = spawn(program, programArgs, {
  cwd: spec.cwd,
  env: { PATH: HELPER_PATH },
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit'],
});
child.once('error', (error) => fail(`cannot start ${spec.command}: ${error.message}`));
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  });
}
child.once('exit', (code, signal) => {
  if (stopping) return;
  const status = code ?? 128 + (os.constants.signals[signal] ?? 0);
  // A writer stopped by RLIMIT_FSIZE may end the command before the next measurement: say why.
  if (!limits || status === 0) process.exit(status);
  void diskUsage().then((bytes) => (bytes >= limits.diskBytes ? stopAll(diskMessage()) : process.exit(status)));
});

/** Ends everything in the namespace (init itself is spared by kill(-1)), says why last, exits 137. */
function stopAll(reason) {
  if (stopping) return;
  stopping = true;
  try {
    process.kill(-1, 'SIGKILL');
  } catch {
    // Nothing left.
  }
  process.stderr.write(`[sandbox] stopped: ${reason}\n`);
  process.exit(137);
}

const MiB = 1024 * 1024;
/** Tasks (threads count: RLIMIT_NPROC counts them) and resident bytes of every process but init. */
function usage() {
  let tasks = 0;
  let rss = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || name === '1') continue;
    let status;
    try {
      status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
    } catch {
      continue; // Gone meanwhile.
    }
    tasks += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    rss += Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) * 1024;
  }
  return { tasks, rss };
}

/**
 * Bytes on disk of what the command wrote: its writable dirs, and with its own uid (root mode)
 * everything that uid owns in the shared scratch places (/tmp, /var/tmp, /dev/shm). `find`, so the
 * walk runs outside this process (which also relays the network).
 */
function diskUsage() {
  const roots = spec.uid === undefined ? spec.writable : [...new Set([...spec.writable, ...spec.scratch])].filter((p) => fs.existsSync(p));
  const args = [...roots, '-xdev', ...(spec.uid === undefined ? [] : ['-user', String(spec.uid)]), '-printf', '%b %i\n'];
  return new Promise((resolve) => {
    execFile('find', args, { maxBuffer: 256 * MiB }, (_error, stdout) => {
      const seen = new Set();
      let blocks = 0;
      for (const line of String(stdout).split('\n')) {
        const [b, inode] = line.split(' ');
        if (!inode || seen.has(inode)) continue;
        seen.add(inode);
        blocks += Number(b);
      }
      resolve(blocks * 512);
    });
  });
}

function diskMessage() {
  return `${limits.subject} wrote more than its ${Math.round(limits.diskBytes / MiB)} MiB of disk (${limits.hints.disk})`;
}

if (limits) {
  const watch = setInterval(() => {
    const { tasks, rss } = usage();
    // RLIMIT_NPROC refuses forks at the limit: a build that got there is stopped, not left retrying.
    if (tasks >= limits.processes) stopAll(`${limits.subject} reached its limit of ${limits.processes} processes and threads (${limits.hints.processes})`);
    else if (rss > limits.memoryBytes) stopAll(`${limits.subject} used more than its ${Math.round(limits.memoryBytes / MiB)} MiB of memory (${limits.hints.memory})`);
  }, limits.intervalMs);
  watch.unref();
  let measuring = false;
  const disk = setInterval(() => {
    if (measuring) return;
    measuring = true;
    void diskUsage().then((bytes) => {
      measuring = false;
      if (bytes >= limits.diskBytes) stopAll(diskMessage());
    });
  }, limits.diskIntervalMs);
  disk.unref();
}
