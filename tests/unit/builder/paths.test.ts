import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertSafeRelativePath, normalizeDirSetting, resolveInside, UnsafePathError } from '../../../functions/src/builder/paths.ts';
import { tempDir } from './helpers.ts';

describe('assertSafeRelativePath', () => {
  it.each(['index.html', 'a/b/c.js', '_next/static/chunk.js', '.well-known/security.txt', 'with space.html', 'ünïcødé.html', 'a'.repeat(1024)])(
    'accepts %s',
    (p) => expect(assertSafeRelativePath(p)).toBe(p),
  );

  it.each([
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['../secret', 'parent'],
    ['a/../../b', 'parent inside'],
    ['a/./b', 'dot segment'],
    ['a//b', 'empty segment'],
    ['a/', 'trailing slash'],
    ['a\0b', 'NUL'],
    ['a\\..\\b', 'backslash'],
    ['a'.repeat(1025), 'too long'],
  ])('rejects %j (%s)', (p) => {
    expect(() => assertSafeRelativePath(p)).toThrow(UnsafePathError);
  });
});

describe('normalizeDirSetting', () => {
  it.each([
    ['', '.'],
    ['.', '.'],
    ['./', '.'],
    ['apps/web', 'apps/web'],
    ['./apps/web/', 'apps/web'],
  ])('%j → %j', (input, expected) => expect(normalizeDirSetting(input, 'dir')).toBe(expected));

  it.each(['..', '../x', 'apps/../../x', 'apps/../web', '/abs'])('rejects %j', (input) => {
    expect(() => normalizeDirSetting(input, 'rootDirectory')).toThrow(UnsafePathError);
  });
});

describe('resolveInside (rootDirectory)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('resolves a subdirectory', async () => {
    await mkdir(path.join(dir, 'src', 'apps', 'web'), { recursive: true });
    expect(await resolveInside(path.join(dir, 'src'), 'apps/web', 'rootDirectory')).toBe(path.join(dir, 'src', 'apps', 'web'));
  });

  it('rejects .. even when the directory exists', async () => {
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await expect(resolveInside(path.join(dir, 'src'), '..', 'rootDirectory')).rejects.toThrow(UnsafePathError);
  });

  it('rejects a symlink that leads outside the source', async () => {
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await mkdir(path.join(dir, 'outside'));
    await symlink(path.join(dir, 'outside'), path.join(dir, 'src', 'web'));
    await expect(resolveInside(path.join(dir, 'src'), 'web', 'rootDirectory')).rejects.toThrow(/points outside the source/);
  });

  it('rejects a directory that does not exist', async () => {
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await expect(resolveInside(path.join(dir, 'src'), 'nope', 'rootDirectory')).rejects.toThrow(/does not exist/);
  });
});
