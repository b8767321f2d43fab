// The first process inside a sandbox's namespaces (see ./index.ts). Plain JavaScript with no
// dependencies, so the node binary runs it without a loader. It reads its spec as JSON on stdin:
//
//   { forwards: [{ port, socket }], command, args, env, cwd, setpriv: [...options] }
//
// 1. brings up the loopback interface of the fresh network namespace (down when created);
// 2. for each forward, listens on 127.0.0.1:<port> and [::1]:<port> and pipes every connection
//    to the unix socket <socket>, where the broker outside decides what may pass;
// 3. runs the command through `setpriv` (another uid, no new privileges, no capabilities), in a
//    process group of its own, and exits with its status. As PID 1 of the namespace, its exit
//    takes every process the command left behind with it.
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';

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
const child = spawn('setpriv', [...spec.setpriv, '--', spec.command, ...spec.args], {
  cwd: spec.cwd,
  env: spec.env,
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
child.once('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
