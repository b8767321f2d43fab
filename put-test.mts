import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createReadStream, writeFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { fetch } from 'undici';
const s3 = new S3Client({ endpoint: 'http://localhost:4566', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
await s3.send(new CreateBucketCommand({ Bucket: 'put-test' })).catch(() => {});
const file = '/tmp/put-test.bin';
writeFileSync(file, randomBytes(Number(process.env.SIZE ?? 30_000_000)));
const size = statSync(file).size;
for (let i = 0; i < Number(process.env.N ?? 5); i++) {
  const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'put-test', Key: `k${i}` }), { expiresIn: 600 });
  const t = performance.now();
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/gzip', 'content-length': String(size) }, body: Readable.toWeb(createReadStream(file)) as any, duplex: 'half', signal: AbortSignal.timeout(600_000) } as any);
  await res.arrayBuffer();
  console.log(i, res.status, Math.round(performance.now() - t), 'ms');
}
