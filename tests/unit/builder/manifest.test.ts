import { createHash } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManifest, collectOutput, contentTypeFor, hashFile, OutputError, readProjectConfig } from '../../../functions/src/builder/manifest.ts';
import { UnsafePathError } from '../../../functions/src/builder/paths.ts';
import { tempDir, writeTree } from './helpers.ts';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('collectOutput', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('hashes every file, sorted by POSIX path, with size and content type', async () => {
    const files = { 'index.html': '<h1>hi</h1>', 'assets/app.js': 'console.log(1)', 'assets/img/logo.svg': '<svg/>', 'empty.txt': '' };
    await writeTree(dir, files);
    const collected = await collectOutput(dir);
    expect(collected.map((f) => f.path)).toEqual(['assets/app.js', 'assets/img/logo.svg', 'empty.txt', 'index.html']);
    for (const file of collected) {
      const content = files[file.path as keyof typeof files];
      expect(file.sha).toBe(sha256(content));
      expect(file.size).toBe(Buffer.byteLength(content));
      expect(file.absPath).toBe(path.join(dir, file.path));
    }
    expect(collected.find((f) => f.path === 'index.html')?.contentType).toBe('text/html; charset=utf-8');
  });

  it('streams a large file to the right digest', async () => {
    const big = Buffer.alloc(12 * 1024 * 1024 + 7, 0x61);
    await writeFile(path.join(dir, 'big.bin'), big);
    expect(await hashFile(path.join(dir, 'big.bin'))).toEqual({ sha: sha256(big), size: big.length });
  });

  it('follows symlinks that stay inside the output', async () => {
    await writeTree(dir, { 'real/a.txt': 'A' });
    await symlink('real/a.txt', path.join(dir, 'link.txt'));
    await symlink('real', path.join(dir, 'linkdir'));
    const collected = await collectOutput(dir);
    expect(collected.map((f) => [f.path, f.sha])).toEqual([
      ['link.txt', sha256('A')],
      ['linkdir/a.txt', sha256('A')],
      ['real/a.txt', sha256('A')],
    ]);
  });

  it('a symlinked directory keeps every URL: latest -> v2 lists both trees (cases/builds/symlinked-dir)', async () => {
    await writeTree(dir, { 'index.html': '<p>index</p>', 'v2/index.html': '<p>v2 docs</p>' });
    await symlink('v2', path.join(dir, 'latest'));
    const collected = await collectOutput(dir);
    expect(collected.map((f) => [f.path, f.sha])).toEqual([
      ['index.html', sha256('<p>index</p>')],
      ['latest/index.html', sha256('<p>v2 docs</p>')],
      ['v2/index.html', sha256('<p>v2 docs</p>')],
    ]);
  });

  it('rejects a symlink to a file outside the output', async () => {
    await writeTree(dir, { 'secret.txt': 'nope', 'out/index.html': 'x' });
    await symlink(path.join(dir, 'secret.txt'), path.join(dir, 'out', 'leak.txt'));
    await expect(collectOutput(path.join(dir, 'out'))).rejects.toThrow(/leak.txt points outside the output directory/);
  });

  it('rejects a symlinked directory outside the output', async () => {
    await writeTree(dir, { 'elsewhere/x.txt': 'x', 'out/index.html': 'x' });
    await symlink('../elsewhere', path.join(dir, 'out', 'dir'));
    await expect(collectOutput(path.join(dir, 'out'))).rejects.toBeInstanceOf(OutputError);
  });

  it('rejects a dangling symlink', async () => {
    await mkdir(path.join(dir, 'out'));
    await symlink('missing.txt', path.join(dir, 'out', 'broken'));
    await expect(collectOutput(path.join(dir, 'out'))).rejects.toThrow(/dangling/);
  });

  it('cuts only real cycles, and says so', async () => {
    await writeTree(dir, { 'a/x.txt': 'x' });
    await symlink('..', path.join(dir, 'a', 'up'));
    await symlink('.', path.join(dir, 'a', 'self'));
    const cycles: Array<[string, string]> = [];
    const collected = await collectOutput(dir, { onCycle: (link, target) => cycles.push([link, target]) });
    expect(collected.map((f) => f.path)).toEqual(['a/x.txt']);
    expect(cycles.sort()).toEqual([['a/self', 'a'], ['a/up', '.']]);
  });

  it('rejects file names the manifest cannot hold', async () => {
    await writeTree(dir, { 'bad\\name.html': 'x' });
    await expect(collectOutput(dir)).rejects.toBeInstanceOf(UnsafePathError);
  });

  it('skips .git everywhere, and project files only when serving the project root', async () => {
    await writeTree(dir, {
      'index.html': 'x',
      '.git/config': 'x',
      'runway.json': '{}',
      'vercel.json': '{}',
      '.env.local': 'SECRET=1',
      'node_modules/a/index.js': 'x',
      'docs/runway.json': '{}',
    });
    expect((await collectOutput(dir, { isProjectRoot: true })).map((f) => f.path)).toEqual(['docs/runway.json', 'index.html']);
    expect((await collectOutput(dir)).map((f) => f.path)).toContain('runway.json');
  });

  it('enforces the file limit', async () => {
    await writeTree(dir, { a: '1', b: '2', c: '3' });
    await expect(collectOutput(dir, { maxFiles: 2 })).rejects.toThrow(/more than 2 files/);
  });
});

describe('contentTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['a/b.css', 'text/css; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['logo.svg', 'image/svg+xml; charset=utf-8'],
    ['photo.PNG', 'image/png'],
    ['font.woff2', 'font/woff2'],
    ['LICENSE', 'application/octet-stream'],
    ['archive.unknownext', 'application/octet-stream'],
  ])('%s → %s', (file, type) => expect(contentTypeFor(file)).toBe(type));
});

describe('buildManifest', () => {
  const file = (p: string) => ({ path: p, absPath: `/x/${p}`, sha: sha256(p), size: 1, contentType: 'text/plain' });

  it('produces the documented shape, with sorted keys', () => {
    const manifest = buildManifest({
      deploymentId: 'd1',
      framework: 'static',
      createdAt: new Date('2026-01-01T00:00:00Z'),
      files: [file('b.txt'), file('a.txt')],
      config: { runwayJson: { cleanUrls: true } },
    });
    expect(manifest).toEqual({
      version: 1,
      deploymentId: 'd1',
      framework: 'static',
      createdAt: '2026-01-01T00:00:00.000Z',
      files: { 'a.txt': { sha: sha256('a.txt'), size: 1, contentType: 'text/plain' }, 'b.txt': { sha: sha256('b.txt'), size: 1, contentType: 'text/plain' } },
      config: { runwayJson: { cleanUrls: true } },
    });
    expect(Object.keys(manifest.files)).toEqual(['a.txt', 'b.txt']);
  });

  it('keeps a file called __proto__ as a file', () => {
    const manifest = buildManifest({ deploymentId: 'd', framework: 'static', createdAt: new Date(), files: [file('__proto__')] });
    expect(JSON.parse(JSON.stringify(manifest)).files.__proto__.sha).toBe(sha256('__proto__'));
  });

  it.each(['../x', '/abs', 'a//b'])('rejects path %s', (p) => {
    expect(() => buildManifest({ deploymentId: 'd', framework: 'static', createdAt: new Date(), files: [file(p)] })).toThrow(UnsafePathError);
  });

  it('rejects duplicate paths', () => {
    expect(() => buildManifest({ deploymentId: 'd', framework: 'static', createdAt: new Date(), files: [file('a'), file('a')] })).toThrow(/duplicate/);
  });
});

describe('readProjectConfig', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('is undefined without config files', async () => {
    expect(await readProjectConfig(dir)).toBeUndefined();
  });

  it('includes both files parsed', async () => {
    await writeTree(dir, { 'runway.json': '{"redirects":[]}', 'vercel.json': '{"cleanUrls":true}' });
    expect(await readProjectConfig(dir)).toEqual({ runwayJson: { redirects: [] }, vercelJson: { cleanUrls: true } });
  });

  it('fails on invalid JSON', async () => {
    await writeTree(dir, { 'vercel.json': '{ nope' });
    await expect(readProjectConfig(dir)).rejects.toThrow(/vercel.json is not valid JSON/);
  });
});
