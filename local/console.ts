import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sirv from 'sirv';

const SITE_DIR = path.resolve('site');
const DIST_DIR = path.join(SITE_DIR, 'dist');

/**
 * Serves the console's static build the way the console stack does (plain files), plus the
 * run-time `/config.json` that tells it where the API is and, locally, which port the edge
 * listens on (deployment links are `http://<host>:<edgePort>/`; without it, `https://<host>/`).
 * Rebuilds the site first when a source file is newer than the build.
 */
export async function createConsoleServer(options: { apiUrl: string; edgePort?: number }): Promise<http.Server> {
  if (isStale()) await buildSite();
  const files = sirv(DIST_DIR, { etag: true, dev: false, single: false });
  const config = JSON.stringify({ apiUrl: options.apiUrl, ...(options.edgePort ? { edgePort: options.edgePort } : {}) });
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

/** Builds the console with Astro (`astro build` in site/). */
export function buildSite(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('astro', ['build'], {
      cwd: SITE_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`astro build exited with ${code}`))));
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
