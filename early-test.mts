import http from 'node:http';
import { createReadStream, writeFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { fetch } from 'undici';
const mode = process.env.MODE ?? 'early-close';
const server = http.createServer((req, res) => {
  if (mode === 'early-close') { res.writeHead(403, { connection: 'close', 'content-length': '2' }); res.end('no'); req.socket.destroySoon?.(); }
  else if (mode === 'destroy') { req.socket.destroy(); }
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
server.unref();
const port = (server.address() as any).port;
const file = '/tmp/early-test.bin';
writeFileSync(file, randomBytes(30_000_000));
const size = statSync(file).size;
try {
  const res = await fetch(`http://127.0.0.1:${port}/x`, { method: 'PUT', headers: { 'content-length': String(size) }, body: Readable.toWeb(createReadStream(file)) as any, duplex: 'half', signal: AbortSignal.timeout(600_000) } as any);
  console.log('status', res.status, await res.text());
} catch (e) { console.log('rejected', (e as Error).message, (e as any).cause?.message); }
console.log('done');
