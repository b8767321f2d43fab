import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../../local/emulator.ts';
import { startFakeGitHub, type FakeGitHub } from '../../../local/fake-github.ts';

/** `npm run admin -- push | delete-branch` against a fake GitHub, as a person runs them beside `npm start`. */

const repoRoot = path.resolve(import.meta.dirname, '../../..');
let fake: FakeGitHub;
let dir: string;

function admin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(repoRoot, 'node_modules/.bin/tsx'), ['local/admin.ts', ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  fake = await startFakeGitHub();
  dir = await mkdtemp(path.join(os.tmpdir(), 'admin-push-'));
  await mkdir(path.join(dir, 'assets'));
  await mkdir(path.join(dir, 'node_modules', 'dep'), { recursive: true });
  await mkdir(path.join(dir, 'dist'));
  await writeFile(path.join(dir, 'index.html'), '\uFEFF<h1>héllo</h1>');
  await writeFile(path.join(dir, 'assets', 'logo.bin'), Buffer.from([0, 0xff, 0xfe, 0x80]));
  await writeFile(path.join(dir, 'node_modules', 'dep', 'index.js'), 'junk');
  await writeFile(path.join(dir, 'dist', 'index.html'), 'build output');
  await symlink('/etc/hostname', path.join(dir, 'link'));
});

afterAll(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run admin -- push', () => {
  test("commits the folder's exact bytes, without dependencies, build output or links", async () => {
    const run = await admin(['push', '--repo', 'octo-org/site', '--dir', dir, '--fake', fake.url, '--message', 'From the CLI']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // The fake's sha covers parent, message and every file: the same tree committed directly gives it.
    const expected = fake.commit('octo-org/same-tree', 'main', { 'index.html': Buffer.from('\uFEFF<h1>héllo</h1>'), 'assets/logo.bin': Buffer.from([0, 0xff, 0xfe, 0x80]) }, 'From the CLI');
    expect(run.stdout).toContain(`Pushed 2 files to octo-org/site main (a new branch): ${expected.sha}`);
    // This fake was started without a webhook URL: the CLI says nothing will happen.
    expect(run.stdout).toContain('sends no webhooks');
  }, 30_000);

  test('names what the fake refused', async () => {
    const run = await admin(['push', '--repo', 'octo-org/site', '--dir', dir, '--branch', 'a..b', '--fake', fake.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('422 Validation Failed');
    expect(run.stderr).toContain('branch: is not a valid git branch name');
  }, 30_000);

  test('says to start npm start when no fake GitHub answers', async () => {
    const run = await admin(['push', '--repo', 'octo-org/site', '--dir', dir, '--fake', `http://127.0.0.1:${await freePort()}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is npm start running with the fake GitHub?');
  }, 30_000);

  test('refuses a --repo that is not owner/name, and unknown options', async () => {
    expect((await admin(['push', '--repo', 'site', '--dir', dir])).stderr).toContain('--repo must be owner/name');
    expect((await admin(['push', '--repo', 'octo-org/site', '--dir', dir, '--team', 'x'])).stderr).toContain("Unknown option '--team'");
  }, 30_000);
});

describe('npm run admin -- delete-branch', () => {
  test('deletes the branch on the fake', async () => {
    fake.commit('octo-org/branchy', 'main', { a: 'c' });
    const { sha } = fake.commit('octo-org/branchy', 'feature/x', { a: 'b' });
    const run = await admin(['delete-branch', '--repo', 'octo-org/branchy', '--branch', 'feature/x', '--fake', fake.url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Deleted octo-org/branchy feature/x (it was at ${sha}).`);
    const again = await admin(['delete-branch', '--repo', 'octo-org/branchy', '--branch', 'feature/x', '--fake', fake.url]);
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('422 Reference does not exist')]);
  }, 30_000);
});
