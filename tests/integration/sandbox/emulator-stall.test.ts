import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { detectSandbox, spawnSandboxed, type Forward, type Sandboxed } from '../../../local/sandbox/index.ts';

/**
 * The emulator serves one request at a time (local/moto_server.py, for DynamoDB's conditional
 * writes). A sandboxed build reaches it only through its broker, with the presigned URLs it was
 * handed: a build that trickles an upload, or reads a download slowly, must hold only its own
 * broker, never the emulator — every team's API calls go through it.
 */
const endpoint = new URL(process.env.AWS_ENDPOINT_URL!);
const port = Number(endpoint.port);
const bucket = `runway-stall-${process.pid}-${Date.now()}`;
const big = 'big-object';
// maxAttempts 1: a stalled emulator shows as this call's timeout, not hidden by retries.
const s3 = new S3Client({ forcePathStyle: true, maxAttempts: 1 });
let dir: string;
const running: Sandboxed[] = [];

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: big, Body: Buffer.alloc(48 * 2 ** 20, 1) }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-stall-test-'));
});
afterAll(async () => {
  for (const sandboxed of running) {
    try {
      process.kill(-sandboxed.child.pid!, 'SIGKILL');
    } catch {
      // Already ended.
    }
    await sandboxed.close();
  }
  for (const key of [big, 'trickled']) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `script` in a root/userns sandbox whose only forward is the emulator's port (every request allowed, as if presigned). */
async function start(script: string, forward: Partial<Forward> = {}) {
  const work = fs.mkdtempSync(path.join(dir, 'work-'));
  const forwards = [{ kind: 'http', port, upstream: endpoint.origin, allow: () => true, ...forward } as Forward];
  const sandboxed = await spawnSandboxed(detectSandbox(), { command: process.execPath, args: ['-e', script], env: { PATH: process.env.PATH! }, cwd: work, writable: [work], forwards });
  running.push(sandboxed);
  let out = '';
  sandboxed.child.stdout!.on('data', (d) => (out += d));
  sandboxed.child.stderr!.on('data', (d) => (out += d));
  return { sandboxed, output: () => out };
}

/** A raw request to the emulator's port from inside: `head`, then the body one byte every 100 ms. */
const trickle = (head: string, bytes: number) => `
const s = require('node:net').connect(${port}, '127.0.0.1', () => {
  s.write(${JSON.stringify(head)});
  let sent = 0;
  const t = setInterval(() => { s.write('x'); if (++sent === 1) console.log('TRICKLING'); if (sent === ${bytes}) clearInterval(t); }, 100);
});
let answer = ''; s.on('data', (d) => (answer += d)); s.on('close', () => console.log('ANSWER', answer.split('\\r\\n')[0]));`;

describe.runIf(process.platform === 'linux' && detectSandbox().mode !== 'none')('a slow build does not stall the emulator', () => {
  test('an upload trickled to a presigned URL holds only the broker: the emulator answers meanwhile', async () => {
    const { sandboxed, output } = await start(trickle(`PUT /${bucket}/trickled HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: 600\r\n\r\n`, 600));
    await expect.poll(output, { timeout: 30_000 }).toContain('TRICKLING');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(20_000) });
    expect(listed.Contents?.map((o) => o.Key)).toContain(big);
    // It answered while the upload was still arriving.
    expect(sandboxed.child.exitCode).toBeNull();
    expect(output()).not.toContain('ANSWER');
  });

  test('a download read slowly holds only the broker: the emulator answers meanwhile', async () => {
    const presigned = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: big }), { expiresIn: 900 }));
    const head = `GET ${presigned.pathname}${presigned.search} HTTP/1.1\r\nhost: ${presigned.host}\r\n\r\n`;
    const { sandboxed, output } = await start(`
      const s = require('node:net').connect(${port}, '127.0.0.1', () => s.write(${JSON.stringify(head)}));
      s.once('data', (d) => { console.log('HEADERS', String(d).split('\\r\\n')[0]); s.pause(); });
      setInterval(() => {}, 1000);`);
    await expect.poll(output, { timeout: 30_000 }).toContain('HEADERS HTTP/1.1 200');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(20_000) });
    expect(listed.Contents?.map((o) => o.Key)).toContain(big);
    expect(sandboxed.child.exitCode).toBeNull();
  });

  test('a body that does not arrive in time is a 408, one over the size limit a 413, and neither reaches the emulator', async () => {
    const slow = await start(trickle(`PUT /${bucket}/late HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: 600\r\n\r\n`, 600), { bodyTimeoutMs: 1000 });
    await expect.poll(slow.output, { timeout: 30_000 }).toContain('ANSWER HTTP/1.1 408');
    const large = await start(trickle(`PUT /${bucket}/large HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: 2000\r\n\r\n`, 1), { maxBodyBytes: 1000 });
    await expect.poll(large.output, { timeout: 30_000 }).toContain('ANSWER HTTP/1.1 413');
    const keys = (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((o) => o.Key);
    expect(keys).not.toContain('late');
    expect(keys).not.toContain('large');
  });
});
