import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildOptionsOf, deployableEntries, type DeployableEntry, type SdkMode } from '../infra/lib/bundling.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BundleFigures {
  entry: DeployableEntry;
  /** The bundle file (kept until `dir` is removed). */
  file: string;
  bytes: number;
  /** Largest packages in the bundle, bytes. */
  top: Record<string, number>;
}

/**
 * Bundles every deployable entry exactly as the stacks do (infra/lib/bundling.ts) into `dir`,
 * which should sit inside the repository so that packages left external resolve from its
 * node_modules, as they do from the Lambda runtime's.
 */
export async function bundleAll(dir: string, sdk: SdkMode, include: (entry: DeployableEntry) => boolean = () => true): Promise<BundleFigures[]> {
  const entries = deployableEntries().filter(include);
  return Promise.all(
    entries.map(async (entry) => {
      const outfile = path.join(dir, sdk, entry.name.replace(/\//g, '__'), 'index.mjs');
      const result = await esbuild.build({ ...buildOptionsOf(entry, sdk), outfile, metafile: true, logLevel: 'error', write: true });
      const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1];
      const top: Record<string, number> = {};
      for (const [file, input] of Object.entries(output?.inputs ?? {})) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? '(runway)';
        top[pkg] = (top[pkg] ?? 0) + input.bytesInOutput;
      }
      const largest = Object.fromEntries(Object.entries(top).sort((a, b) => b[1] - a[1]).slice(0, 5));
      return { entry, file: outfile, bytes: fs.statSync(outfile).size, top: largest };
    }),
  );
}

/** A scratch directory for bundles inside the repository (see {@link bundleAll}). */
export function bundleDir(): string {
  const base = path.join(ROOT, 'node_modules/.cache/runway-bundles');
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, 'run-'));
}
