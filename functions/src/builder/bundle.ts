import type { BuildOptions } from 'esbuild';
import path from 'node:path';

/**
 * How the builder program is bundled into one ESM file — the same for CodeBuild (the builds
 * stack's asset) and the local runner, so both run the identical program.
 */
export const BUILDER_BUNDLE: BuildOptions = {
  entryPoints: [path.resolve(import.meta.dirname, 'main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  minify: true,
  banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
};
