import { spawn, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Astro console's project directory. */
export const SITE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../site');

/**
 * How the console is built, the one definition `npm start` (local/console.ts) and `cdk deploy`
 * (ConsoleSite's asset bundling) share: `astro build` in site/, into `outDir` or site/dist.
 */
export function astroBuild(outDir?: string): { command: string; args: string[]; options: SpawnOptions } {
  return {
    command: 'astro',
    args: ['build', ...(outDir ? ['--outDir', outDir] : [])],
    options: { cwd: SITE_DIR, env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' } },
  };
}

/** Builds the console into `outDir`, or site/dist. @throws Error when astro fails */
export function buildConsoleSite(outDir?: string): Promise<void> {
  const { command, args, options } = astroBuild(outDir);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`astro build exited with ${code}`))));
  });
}
