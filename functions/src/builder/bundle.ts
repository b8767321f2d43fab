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
  // CommonJS dependencies get `require`, and `__dirname`/`__filename` of the bundle: recheck's
  // synckit (via @pkgr/core) otherwise calls fileURLToPath(import.meta.url) on esbuild's empty
  // `import.meta` of a CommonJS module and the builder dies at start.
  banner: {
    js:
      "import { createRequire } from 'module';import { fileURLToPath as __rwFileURLToPath } from 'node:url';import { dirname as __rwDirname } from 'node:path';" +
      'const require = createRequire(import.meta.url);const __filename = __rwFileURLToPath(import.meta.url);const __dirname = __rwDirname(__filename);',
  },
};
