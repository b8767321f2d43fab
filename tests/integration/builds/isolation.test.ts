import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dynamoClient } from '../../../functions/src/adapters/aws/clients.ts';
import { detectSandbox } from '../../../local/sandbox/index.ts';
import { newTeam, uniqueName, type Client } from '../api/harness.ts';
import { buildLog, deployFiles, expectReady, startPlatform, visit, type Platform } from './platform.ts';

/**
 * Invariant 8: a build runs untrusted code and reaches nothing of the platform. An attacker's
 * build script tries what worked before the sandbox — DynamoDB Scan of the control-plane table,
 * Secrets Manager GetSecretValue, KMS Decrypt of another team's sensitive env var, moto's
 * unauthenticated `/moto-api/data.json`, the platform process's `/proc/<pid>/environ` — on every
 * loopback address; the same script run outside the sandbox proves each probe gets data there.
 * That real builds with real npm dependencies still install and deploy in the same sandbox is
 * what tests/integration/builds/frameworks.test.ts shows, framework by framework.
 */
let platform: Platform;
let attacker: Client;
let victim: { project: string; plaintext: string; ciphertext: { CiphertextBlob: string; EncryptionContext: Record<string, string> }; secretId: string; secretValue: string; teamId: string };
const secrets = new SecretsManagerClient({});

beforeAll(async () => {
  platform = await startPlatform();
  const victimTeam = await newTeam();
  const v = platform.client(victimTeam.tokens.owner);
  const project = uniqueName('victim');
  expect((await v.post('/v1/projects', { name: project })).status).toBe(201);
  const plaintext = `victim-plaintext-${uniqueName('p')}`;
  expect((await v.post(`/v1/projects/${project}/env`, { key: 'DATABASE_PASSWORD', value: plaintext, sensitive: true, target: ['production', 'preview'] })).status).toBe(201);
  const items = await dynamoClient().send(new ScanCommand({ TableName: process.env.RUNWAY_TABLE_NAME, FilterExpression: 'teamId = :t AND attribute_exists(ciphertext)', ExpressionAttributeValues: { ':t': victimTeam.id } }));
  const item = items.Items![0]!;
  // What an attacker who scanned the table would send: the stored ciphertext with its context.
  const ciphertext = { CiphertextBlob: item.ciphertext as string, EncryptionContext: { teamId: item.teamId, projectId: item.projectId, key: item.key } };
  expect(ciphertext.CiphertextBlob).toBeTruthy();
  // Like the GitHub App's private key: a secret only the platform's handlers read.
  const secretValue = `-----BEGIN PRIVATE KEY-----${uniqueName('k')}`;
  const created = await secrets.send(new CreateSecretCommand({ Name: uniqueName('app-key'), SecretString: secretValue }));
  victim = { project, plaintext, ciphertext, secretId: created.ARN!, secretValue, teamId: victimTeam.id };
  attacker = platform.client((await newTeam()).tokens.owner);
});
afterAll(async () => {
  await secrets.send(new DeleteSecretCommand({ SecretId: victim.secretId, ForceDeleteWithoutRecovery: true }));
  secrets.destroy();
  await platform?.close();
});

/** The attacker's build script: every probe prints `PROBE <name> <what came back>`. */
function attackScript(): string {
  const port = new URL(process.env.AWS_ENDPOINT_URL!).port;
  const settings = { port, table: process.env.RUNWAY_TABLE_NAME, secretId: victim.secretId, ciphertext: victim.ciphertext, platformPid: process.pid };
  return `
import fs from 'node:fs';
const s = ${JSON.stringify(settings)};
const print = (name, text) => console.log('PROBE', name, String(text).replace(/\\s+/g, ' ').slice(0, 8000));
const aws = (service, target, json, body) => ({
  method: 'POST',
  headers: {
    'content-type': json, 'x-amz-target': target, 'x-amz-date': '20260101T000000Z',
    authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/' + service + '/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
  },
  body: JSON.stringify(body),
});
const probes = {
  scan: ['/', aws('dynamodb', 'DynamoDB_20120810.Scan', 'application/x-amz-json-1.0', { TableName: s.table })],
  secret: ['/', aws('secretsmanager', 'secretsmanager.GetSecretValue', 'application/x-amz-json-1.1', { SecretId: s.secretId })],
  decrypt: ['/', aws('kms', 'TrentService.Decrypt', 'application/x-amz-json-1.1', s.ciphertext)],
  dump: ['/moto-api/data.json', { method: 'GET' }],
};
for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
  for (const [name, [pathname, init]] of Object.entries(probes)) {
    try {
      const res = await fetch('http://' + host + ':' + s.port + pathname, { ...init, signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      let plaintext = '';
      try { plaintext = JSON.parse(text).Plaintext ? ' plaintext=' + Buffer.from(JSON.parse(text).Plaintext, 'base64') : ''; } catch {}
      print(name + '@' + host, res.status + ' ' + text + plaintext);
    } catch (error) {
      print(name + '@' + host, 'failed: ' + (error.cause?.code ?? error.message));
    }
  }
}
for (const pid of [s.platformPid, process.ppid, 1]) {
  try {
    print('environ@' + pid, fs.readFileSync('/proc/' + pid + '/environ', 'utf8').replaceAll('\\0', ' '));
  } catch (error) {
    print('environ@' + pid, 'failed: ' + error.code);
  }
}
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/index.html', '<p>attacker</p>');
`;
}

/** What the probes printed of the platform's data: a table item, the secret, the plaintext. */
function leaks(text: string): string[] {
  const markers = [victim.plaintext, victim.secretValue, victim.teamId, process.env.RUNWAY_TABLE_NAME!, '"Items"'];
  return markers.filter((m) => text.includes(m));
}

/** The probe line that read the platform process's environment (its pid is the test worker's: the platform runs in it). */
const platformEnviron = (text: string) => text.split('\n').find((l) => l.includes(`PROBE environ@${process.pid} `)) ?? '';

describe('a build reaches nothing of the platform', () => {
  test('control: outside the sandbox the same probes read the table, the secret, the plaintext and the environment', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-probe-'));
    try {
      fs.writeFileSync(path.join(dir, 'probe.mjs'), attackScript());
      const child = spawn(process.execPath, ['probe.mjs'], { cwd: dir, env: { PATH: process.env.PATH! } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise((r) => child.once('close', r));
      // (The victim's own item may lie beyond what a probe prints of a large table: any item will do.)
      expect(leaks(out)).toEqual(expect.arrayContaining(['"Items"', process.env.RUNWAY_TABLE_NAME!, victim.plaintext, victim.secretValue]));
      expect(platformEnviron(out)).toMatch(/PATH=/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('inside a build every probe gets nothing, and the build still deploys', async () => {
    expect(detectSandbox().mode, 'this machine runs builds without a sandbox').not.toBe('none');
    const name = uniqueName('attacker');
    expect((await attacker.post('/v1/projects', { name })).status).toBe(201);
    const files = {
      'package.json': JSON.stringify({ name: 'site', private: true, type: 'module', scripts: { build: 'node attack.mjs' } }),
      'attack.mjs': attackScript(),
    };
    const { deployment } = await deployFiles(attacker, name, files);
    const done = await expectReady(attacker, deployment.id);
    const log = (await buildLog(attacker, deployment.id)).join('\n');
    const probes = log.split('\n').filter((l) => l.includes('PROBE '));
    expect(probes.length).toBe(15);
    expect(leaks(log)).toEqual([]);
    // Not in its PID namespace at all.
    expect(platformEnviron(log)).toMatch(/failed: ENOENT$/);
    for (const line of probes.filter((l) => !l.includes('environ@'))) expect(line).toMatch(/PROBE \S+ (403 Runway's build sandbox does not allow|failed: )/);
    expect((await visit(platform.edge, done.url, '/')).body.toString()).toBe('<p>attacker</p>');
  });
});

/**
 * The sandbox's network policy learns the URLs the build API hands out (presigned URLs, tarball
 * links) and lets the build follow exactly those. A tenant controls some strings the build API
 * returns — its env vars are in the job — so it plants URLs of the platform there, then its build
 * asks the sandbox to follow them: plain HTTP on the emulator's port, and CONNECT tunnels through
 * the package proxy to every loopback spelling (names, IPv6, 0.0.0.0, decimal and hex forms).
 */
function plantedScript(ports: { emulator: string; api: string }): string {
  const settings = { ...ports, table: process.env.RUNWAY_TABLE_NAME };
  return `
import net from 'node:net';
const s = ${JSON.stringify(settings)};
const print = (name, text) => console.log('PROBE', name, String(text).replace(/\\s+/g, ' ').slice(0, 8000));
try {
  const res = await fetch('http://127.0.0.1:' + s.emulator + '/moto-api/data.json', { signal: AbortSignal.timeout(5000) });
  print('planted-http', res.status + ' ' + (await res.text()));
} catch (error) {
  print('planted-http', 'failed: ' + (error.cause?.code ?? error.message));
}
const proxy = new URL(process.env.HTTPS_PROXY);
const scan = JSON.stringify({ TableName: s.table });
const raw = (port) => 'POST / HTTP/1.1\\r\\nhost: 127.0.0.1:' + port + '\\r\\ncontent-type: application/x-amz-json-1.0\\r\\nx-amz-target: DynamoDB_20120810.Scan\\r\\n'
  + 'authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00\\r\\n'
  + 'content-length: ' + Buffer.byteLength(scan) + '\\r\\nconnection: close\\r\\n\\r\\n' + scan;
const tunnel = (target, port) => new Promise((resolve) => {
  const socket = net.connect(Number(proxy.port), proxy.hostname, () => socket.write('CONNECT ' + target + ' HTTP/1.1\\r\\nhost: ' + target + '\\r\\n\\r\\n'));
  let data = '';
  let sent = false;
  socket.on('data', (d) => {
    data += d;
    if (!sent && /^HTTP\\/1\\.1 200/.test(data) && data.includes('\\r\\n\\r\\n')) { sent = true; socket.write(raw(port)); }
  });
  socket.on('error', (e) => resolve('failed: ' + e.code));
  socket.on('close', () => resolve(data));
  setTimeout(() => { socket.destroy(); resolve(data + ' (timeout)'); }, 5000);
});
for (const [name, host] of [['v4', '127.0.0.1'], ['name', 'localhost'], ['v6', '[::1]'], ['any', '0.0.0.0'], ['decimal', '2130706433'], ['hex', '0x7f.1'], ['mapped', '[::ffff:127.0.0.1]']]) {
  for (const [service, port] of [['emulator', s.emulator], ['api', s.api]]) print('tunnel-' + name + '-' + service, await tunnel(host + ':' + port, port));
}
import('node:fs').then((fs) => { fs.mkdirSync('dist', { recursive: true }); fs.writeFileSync('dist/index.html', '<p>planted</p>'); });
`;
}

describe('URLs a tenant plants in what the build API returns are not capabilities', () => {
  test('env var values naming the emulator, the API or loopback in any spelling open nothing', async () => {
    const emulator = new URL(process.env.AWS_ENDPOINT_URL!).port;
    const api = new URL(platform.api).port;
    const name = uniqueName('planter');
    expect((await attacker.post('/v1/projects', { name })).status).toBe(201);
    const planted = [
      `http://127.0.0.1:${emulator}/moto-api/data.json`,
      ...['127.0.0.1', 'localhost', '[::1]', '0.0.0.0', '2130706433', '0x7f.1', '[::ffff:127.0.0.1]'].flatMap((host) => [`https://${host}:${emulator}/`, `https://${host}:${api}/`]),
    ];
    for (const [i, value] of planted.entries()) {
      expect((await attacker.post(`/v1/projects/${name}/env`, { key: `PLANTED_${i}`, value, target: ['production', 'preview'] })).status).toBe(201);
    }
    const files = {
      'package.json': JSON.stringify({ name: 'site', private: true, type: 'module', scripts: { build: 'node planted.mjs' } }),
      'planted.mjs': plantedScript({ emulator, api }),
    };
    const { deployment } = await deployFiles(attacker, name, files);
    await expectReady(attacker, deployment.id);
    const log = (await buildLog(attacker, deployment.id)).join('\n');
    const probes = log.split('\n').filter((l) => l.includes('PROBE '));
    expect(probes.length).toBe(15);
    expect(leaks(log)).toEqual([]);
    for (const line of probes) expect(line).toMatch(/PROBE \S+ (403 |HTTP\/1\.1 403 Forbidden|failed: )/);
  });
});
