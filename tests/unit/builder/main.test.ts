import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsStore } from '../../../functions/src/builder/adapters/fs-store.ts';
import { readJobInput } from '../../../functions/src/builder/main.ts';
import { copyFixture, tempDir } from './helpers.ts';
import { startUploadServer, type UploadServer } from './upload-server.ts';

const MAIN = fileURLToPath(new URL('../../../functions/src/builder/main.ts', import.meta.url));

/** Runs the CLI the way CodeBuild and the local runner do: `node main.ts`, job and capability in env. */
function runCli(env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, lines: out.trimEnd().split('\n') }));
  });
}

const resultOf = (lines: string[]) => {
  const last = lines.at(-1) ?? '';
  expect(last).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z RUNWAY_RESULT \{/);
  return JSON.parse(last.slice(last.indexOf('{'))) as Record<string, unknown>;
};

describe('main.ts as a child process', () => {
  let server: UploadServer;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    server = await startUploadServer();
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await server.close();
    await cleanup();
  });

  /** Puts a fixture's files on the server as uploaded source and returns the job's `files` source. */
  async function uploadSource(fixture: string) {
    const source = await new FsStore(path.join(dir, 'import')).importSource(await copyFixture(fixture, path.join(dir, fixture)));
    for (const file of source.files) server.sources.set(file.sha, await readFile(path.join(dir, fixture, file.file)));
    return source;
  }

  const baseEnv = () => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    RUNWAY_UPLOAD_URL: server.baseUrl,
    RUNWAY_UPLOAD_TOKEN: server.token,
    AWS_SECRET_ACCESS_KEY: 'aws-secret-from-the-build-role',
  });

  it('builds the static fixture end to end over HTTP, with a scrubbed child env', async () => {
    const job = {
      deploymentId: 'dpl_1',
      projectId: 'prj_1',
      source: await uploadSource('static'),
      overrides: { buildCommand: 'env | cut -d= -f1 | sort' },
      env: { VISIBLE: 'yes' },
    };
    const { code, lines } = await runCli({ ...baseEnv(), RUNWAY_JOB: Buffer.from(JSON.stringify(job)).toString('base64') });
    expect(code, lines.join('\n')).toBe(0);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
    const text = lines.map((l) => l.slice(25));
    expect(text).toContain('VISIBLE');
    expect(text.filter((t) => /^(AWS_|RUNWAY_UPLOAD|RUNWAY_JOB)/.test(t))).toEqual([]);
    expect(lines.join('\n')).not.toContain(server.token);

    expect(resultOf(lines)).toMatchObject({ ok: true, deploymentId: 'dpl_1', framework: 'static', files: 4, uploadedFiles: 4 });
    const manifest = server.manifests[0] as { files: Record<string, { sha: string }> };
    expect(Object.keys(manifest.files)).toEqual(['404.html', 'about.html', 'css/style.css', 'index.html']);
    const index = await readFile(path.join(dir, 'static', 'index.html'));
    expect(server.blobs.get(createHash('sha256').update(index).digest('hex'))).toEqual(index);
  });

  it('exits 1 with a structured last line when the build fails (job from a file)', async () => {
    const job = { deploymentId: 'dpl_1', projectId: 'prj_1', source: await uploadSource('failing'), overrides: { installCommand: '' } };
    const jobFile = path.join(dir, 'job.json');
    await writeFile(jobFile, JSON.stringify(job));
    const { code, lines } = await runCli({ ...baseEnv(), RUNWAY_JOB: jobFile });
    expect(code).toBe(1);
    expect(resultOf(lines)).toMatchObject({ ok: false, step: 'build', error: expect.stringMatching(/exit code 1/) });
    expect(lines.join('\n')).toContain('error: something went wrong in the fixture build');
    expect(server.manifests).toEqual([]);
  });

  it('exits 2 on a job with unknown fields', async () => {
    const job = { deploymentId: 'dpl_1', projectId: 'prj_1', source: { type: 'files', files: [] }, surprise: true };
    const { code, lines } = await runCli({ ...baseEnv(), RUNWAY_JOB: Buffer.from(JSON.stringify(job)).toString('base64') });
    expect(code).toBe(2);
    expect(resultOf(lines)).toMatchObject({ ok: false, step: null, error: expect.stringMatching(/Unrecognized key/) });
  });

  it('exits 2 without an upload capability', async () => {
    const { code } = await runCli({ PATH: process.env.PATH ?? '', RUNWAY_JOB: 'e30=' });
    expect(code).toBe(2);
  });
});

describe('readJobInput', () => {
  it('decodes base64 JSON and reads a file path otherwise', async () => {
    expect(await readJobInput(Buffer.from('{"a":1}').toString('base64'))).toEqual({ a: 1 });
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(path.join(dir, 'job'), '{"b":2}');
      expect(await readJobInput(path.join(dir, 'job'))).toEqual({ b: 2 });
    } finally {
      await cleanup();
    }
  });
});
