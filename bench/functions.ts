/**
 * `npm run bench:functions` — the local function runner's figures, printed and written to
 * bench/results/functions.json: a trivial Node `(req, res)` function with Vercel's helpers,
 * - cold start: the first request to a new worker process (spawn, load, answer), 5 times;
 * - warm p50/p99 of sequential requests through the runner (a worker process over its Unix socket)
 *   against the same handler called in-process through the launcher (the overhead ratio).
 * Not yet through the local edge: routing to functions lands with the router.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFunctionConfig } from '../functions/src/core/functions/index.ts';
import { loadFunction } from '../functions/src/launcher/launcher.ts';
import { eventFromRequest } from '../functions/src/launcher/protocol.ts';
import { FunctionRunner } from '../local/functions/runner.ts';
import { writeResultsSection } from './results-md.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WARM = 2_000;
const COLD = 5;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-bench-fn-'));
fs.writeFileSync(path.join(dir, 'index.mjs'), 'export default (req, res) => res.json({ hello: req.query.name });');
const { config } = parseFunctionConfig('api/hello', { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', shouldAddHelpers: true });
const event = () => eventFromRequest({ method: 'GET', url: '/api/hello?name=bench', headers: { host: 'bench.localhost' }, body: Buffer.alloc(0), requestId: 'b' });

const ms = (ns: bigint) => Number(ns) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
async function drain(body: NodeJS.ReadableStream) {
  for await (const _ of body) void _;
}

const runner = new FunctionRunner();
// Build the worker bundle once (not part of a cold start: it is built once per platform start).
await drain((await runner.invoke({ key: 'warmup', dir, config, env: {} }, event())).body);

const cold: number[] = [];
for (let i = 0; i < COLD; i++) {
  const t = process.hrtime.bigint();
  const r = await runner.invoke({ key: `cold-${i}`, dir, config, env: {} }, event());
  await drain(r.body);
  cold.push(ms(process.hrtime.bigint() - t));
}

const fn = { key: 'warm', dir, config, env: {} };
await drain((await runner.invoke(fn, event())).body);
const viaRunner: number[] = [];
for (let i = 0; i < WARM; i++) {
  const t = process.hrtime.bigint();
  await drain((await runner.invoke(fn, event())).body);
  viaRunner.push(ms(process.hrtime.bigint() - t));
}
await runner.close();

const direct = await loadFunction(dir, config);
const inProcess: number[] = [];
for (let i = 0; i < WARM; i++) {
  const t = process.hrtime.bigint();
  await drain((await direct.invoke(event())).body);
  inProcess.push(ms(process.hrtime.bigint() - t));
}
await direct.close();
fs.rmSync(dir, { recursive: true, force: true });

const round = (x: number) => Math.round(x * 1000) / 1000;
const results = {
  measured_at: new Date().toISOString(),
  node: process.version,
  cold_start_ms: { runs: cold.map(round), p50: round(pct(cold, 50)) },
  warm_runner_ms: { requests: WARM, p50: round(pct(viaRunner, 50)), p99: round(pct(viaRunner, 99)) },
  warm_in_process_ms: { requests: WARM, p50: round(pct(inProcess, 50)), p99: round(pct(inProcess, 99)) },
  overhead_ratio_p50: round(pct(viaRunner, 50) / pct(inProcess, 50)),
};
console.log(JSON.stringify(results, null, 2));
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench/results/functions.json'), `${JSON.stringify(results, null, 2)}\n`);
writeResultsSection(
  'functions',
  'Functions, local runner (`npm run bench:functions`)',
  [
    'A trivial Node `(req, res)` function with Vercel\'s helpers; not yet through the local edge (routing to functions lands with the router).',
    '',
    '| figure | value |',
    '|---|---|',
    `| cold start (new worker process: spawn, load, answer), p50 of ${COLD} | ${results.cold_start_ms.p50} ms |`,
    `| warm, through the runner (worker process, Unix socket), p50 / p99 of ${WARM} | ${results.warm_runner_ms.p50} / ${results.warm_runner_ms.p99} ms |`,
    `| warm, the same handler through the launcher in-process, p50 / p99 | ${results.warm_in_process_ms.p50} / ${results.warm_in_process_ms.p99} ms |`,
    `| overhead ratio (runner / in-process, p50) | ${results.overhead_ratio_p50} |`,
  ],
  results.measured_at,
);
