/**
 * `npm run bench:router` — the router's cost per request, printed and written to
 * bench/results/router.json and the "Router" section of bench/RESULTS.md. Importable:
 * `bench:edge` can call {@link benchRouter} and report the same figures.
 *
 * Two deployments, both with ≥ 2,000 files:
 * - Next-sized: 203 routes (a realistic vercel.json compiled by @vercel/routing-utils plus the
 *   phases @vercel/next writes, tests/support/next-routes.ts) — redirects, header rules, `has`
 *   conditions, dynamic routes with `check`, hit and error phases;
 * - a plain static site: no routes, only the filesystem (pages, assets, 404s).
 * Each request is timed alone (process.hrtime) over a mix of paths cycling through redirects,
 * files, dynamic pages, misses and 404s; the config is prepared once per deployment, as the edge
 * keeps it in memory. Also timed: preparing the Next-sized config, and the deploy-time pattern
 * check (recheck, pure JS) of its routes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseBuildOutputConfig } from '../functions/src/core/routing/config.ts';
import { checkPatterns } from '../functions/src/core/routing/guards.ts';
import { prepareRoutes, route, type RouteRequest } from '../functions/src/core/routing/router.ts';
import { nextSizedDeployment } from '../tests/support/next-routes.ts';
import { writeResultsSection } from './results-md.ts';

const RESULTS_JSON = path.resolve(import.meta.dirname, 'results/router.json');

export interface RouterFigures {
  routes: number;
  files: number;
  requests: number;
  p50_us: number;
  p99_us: number;
  mean_us: number;
}

export interface RouterBenchResult {
  date: string;
  next_sized: RouterFigures & { prepare_ms: number; pattern_check_ms?: number; patterns_checked?: number };
  static_site: RouterFigures;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

function measure(config: ReturnType<typeof prepareRoutes>, files: Set<string>, paths: string[], requests: number): Omit<RouterFigures, 'routes' | 'files'> {
  const reqs: RouteRequest[] = paths.map((p) => {
    const [pathname, query = ''] = p.split('?') as [string, string?];
    return { method: 'GET', path: pathname, query, host: 'app.example.com', headers: { accept: 'text/html', cookie: 'session=abc' } };
  });
  for (let i = 0; i < Math.min(requests, 5_000); i++) route(config, files, reqs[i % reqs.length]!); // warm-up (JIT)
  const times = new Float64Array(requests);
  for (let i = 0; i < requests; i++) {
    const start = process.hrtime.bigint();
    route(config, files, reqs[i % reqs.length]!);
    times[i] = Number(process.hrtime.bigint() - start) / 1_000;
  }
  const sorted = Array.from(times).sort((a, b) => a - b);
  return { requests, p50_us: round(percentile(sorted, 50)), p99_us: round(percentile(sorted, 99)), mean_us: round(sorted.reduce((a, b) => a + b, 0) / requests) };
}

/**
 * Run the router bench.
 * @param options.requests timed requests per deployment (default 50,000)
 * @param options.checkPatterns also time the deploy-time pattern check (default true; ~15 s of CPU)
 */
export async function benchRouter(options: { requests?: number; checkPatterns?: boolean } = {}): Promise<RouterBenchResult> {
  const requests = options.requests ?? 50_000;
  const next = nextSizedDeployment();
  const prepareStart = performance.now();
  const nextConfig = prepareRoutes(parseBuildOutputConfig(next.config));
  const prepareMs = performance.now() - prepareStart;
  const nextFiles = new Set(next.files);
  const nextPaths = [...next.paths, ...next.files.filter((_, i) => i % 97 === 0).map((f) => `/${f.replace(/\.html$/, '')}`)];
  const nextFigures = { routes: nextConfig.routeCount, files: nextFiles.size, ...measure(nextConfig, nextFiles, nextPaths, requests), prepare_ms: round(prepareMs) };

  let check: { pattern_check_ms: number; patterns_checked: number } | undefined;
  if (options.checkPatterns !== false) {
    const start = performance.now();
    const report = await checkPatterns(parseBuildOutputConfig(next.config));
    check = { pattern_check_ms: Math.round(performance.now() - start), patterns_checked: report.checked };
  }

  const staticFiles = new Set<string>(['index.html', '404.html']);
  for (let i = 0; i < 400; i++) staticFiles.add(`posts/post-${i}/index.html`);
  for (let i = 0; i < 1_600; i++) staticFiles.add(`assets/chunk-${i.toString(36)}-${(i * 7919).toString(16)}.js`);
  const staticPaths = [...staticFiles].filter((_, i) => i % 41 === 0).flatMap((f) => [`/${f.replace(/index\.html$/, '')}`, `/${f}`]);
  staticPaths.push('/no/such/page', '/assets/missing.js', '/posts/post-7');
  const staticConfig = prepareRoutes(parseBuildOutputConfig({ version: 3 }));
  const staticFigures = { routes: 0, files: staticFiles.size, ...measure(staticConfig, staticFiles, staticPaths, requests) };

  return { date: new Date().toISOString(), next_sized: { ...nextFigures, ...check }, static_site: staticFigures };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const result = await benchRouter();
  const n = result.next_sized;
  const s = result.static_site;
  const rows: Array<[string, string]> = [
    [`Next-sized (${n.routes} routes, ${n.files} files)`, `p50 ${n.p50_us} µs, p99 ${n.p99_us} µs, mean ${n.mean_us} µs per request`],
    [`plain static site (no routes, ${s.files} files)`, `p50 ${s.p50_us} µs, p99 ${s.p99_us} µs, mean ${s.mean_us} µs per request`],
    ['preparing the Next-sized config (once per deployment)', `${n.prepare_ms} ms`],
    ['deploy-time pattern check of the Next-sized routes (recheck, pure JS)', `${n.pattern_check_ms} ms for ${n.patterns_checked} distinct patterns`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
  fs.mkdirSync(path.dirname(RESULTS_JSON), { recursive: true });
  fs.writeFileSync(RESULTS_JSON, `${JSON.stringify(result, null, 2)}\n`);
  writeResultsSection(
    'router',
    'Router',
    [
      '`npm run bench:router` — raw figures in `bench/results/router.json`.',
      '',
      '| figure | value |',
      '|---|---|',
      ...rows.map(([k, v]) => `| ${k} | ${v} |`),
      '',
      `Each of ${n.requests.toLocaleString('en')} requests per deployment is timed alone in one process (no I/O: the router is pure), ` +
        'cycling through redirects, files, dynamic pages, misses and 404s.',
      '',
    ],
    result.date,
  );
}
