import { link, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { packDir, unpackFile } from '../../../functions/src/builder/archive.ts';
import { tempDir } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

it('packs hard links across directories (a pnpm node_modules) and unpacks them with their content', async () => {
  // The layout of isaacs/node-tar#458, on which node-tar's async packer never finishes.
  const src = path.join(dir, 'src');
  for (let i = 0; i < 20; i++) {
    await mkdir(path.join(src, `dir${String(i).padStart(3, '0')}`), { recursive: true });
    await writeFile(path.join(src, `dir${String(i).padStart(3, '0')}`, 'file.txt'), `content-${i}`);
  }
  await writeFile(path.join(src, 'dir000', 'target.txt'), 'the link target');
  for (let i = 1; i < 15; i++) await link(path.join(src, 'dir000', 'target.txt'), path.join(src, `dir${String(i).padStart(3, '0')}`, 'hardlink.txt'));

  const archive = path.join(dir, 'cache.tar.gz');
  expect(await packDir(src, archive)).toBe((await stat(archive)).size);
  const out = path.join(dir, 'out');
  await unpackFile(archive, out);
  for (let i = 1; i < 15; i++) expect(await readFile(path.join(out, `dir${String(i).padStart(3, '0')}`, 'hardlink.txt'), 'utf8')).toBe('the link target');
  expect(await readFile(path.join(out, 'dir019', 'file.txt'), 'utf8')).toBe('content-19');
});
