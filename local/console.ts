import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sirv from 'sirv';
import type { ConsoleConfig } from '../site/src/lib/api.ts';
import { buildConsoleSite } from '../infra/lib/console-build.ts';

const SITE_DIR = path.resolve('site');
const DIST_DIR = path.join(SITE_DIR, 'dist');

/**
 * Serves the console's static build the way the console stack does (plain files), plus the
 * run-time `/config.json` that tells it where the API is and, locally, which port the edge
 * listens on (deployment links are `http://<host>:<edgePort>/`; without it, `https://<host>/`).
 * In AWS the same build and config are published by `ConsoleSite` (infra/lib/constructs).
 * Rebuilds the site first when a source file is newer than the build.
 */
export async function createConsoleServer(options: { apiUrl: string; edgePort?: number }): Promise<http.Server> {
  if (isStale()) await buildConsoleSite();
  const files = sirv(DIST_DIR, { etag: true, dev: false, single: false });
  const config = JSON.stringify({ apiUrl: options.apiUrl, ...(options.edgePort ? { edgePort: options.edgePort } : {}) } satisfies ConsoleConfig);
  return http.createServer((req, res) => {
    if (req.url === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(config);
      return;
    }
    files(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not found');
    });
  });
}

function isStale(): boolean {
  const built = mtime(path.join(DIST_DIR, 'index.html'));
  if (built === 0) return true;
  return newest(path.join(SITE_DIR, 'src')) > built || mtime(path.join(SITE_DIR, 'astro.config.mjs')) > built;
}

function newest(dir: string): number {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, mtime(path.join(entry.parentPath, entry.name)));
  }
  return latest;
}

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
