import fs from 'node:fs/promises';
import path from 'node:path';
import type { OutputTree, TreeEntry } from '#core/functions/index';

/** The `OutputTree` port over a `.vercel/output` directory on disk. */
export function fsOutputTree(root: string): OutputTree {
  const absolute = (rel: string) => path.join(root, ...rel.split('/').filter(Boolean));
  return {
    async list(dir) {
      const entries = await fs.readdir(absolute(dir), { withFileTypes: true });
      return entries
        .filter((e) => e.isFile() || e.isDirectory() || e.isSymbolicLink())
        .map((e): TreeEntry => ({ name: e.name, kind: e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'directory' : 'file' }));
    },
    async resolve(rel) {
      try {
        const [realRoot, real] = await Promise.all([fs.realpath(root), fs.realpath(absolute(rel))]);
        const inside = path.relative(realRoot, real);
        return inside.startsWith('..') || path.isAbsolute(inside) ? undefined : inside.split(path.sep).join('/');
      } catch (error) {
        // A dangling or looping link resolves nowhere; the caller reports it as not leading to a function.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ELOOP') return undefined;
        throw error;
      }
    },
    readText: (rel) => fs.readFile(absolute(rel), 'utf8'),
  };
}
