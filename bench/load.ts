/**
 * The benches' load generator: bounded concurrent keep-alive GETs from a child process (its own
 * CPU time, so the server measured keeps the bench's), loopback only. A warm-up first, then
 * `requests` requests or `maxSeconds`, whichever ends first. A request counts as an error unless
 * it answers 200 with exactly `expectBytes` bytes.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';

export interface LoadOptions {
  requests: number;
  warmup: number;
  concurrency: number;
  maxSeconds: number;
}

export interface LoadTarget {
  port: number;
  /** The Host header (the deployment's host at the edge). */
  host: string;
  path: string;
  expectBytes: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

/** Runs the load generator in a child process, one target at a time. */
export function runLoad(target: LoadTarget, load: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, JSON.stringify({ target, load })], {
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: (load.maxSeconds + 30) * 1000,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load child exited ${code}`))));
  });
}

/** The child: a warm-up, then bounded concurrent keep-alive GETs; prints one JSON line. */
async function loadChild(target: LoadTarget, load: LoadOptions): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: load.concurrency });
  const once = () =>
    new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: target.port, path: target.path, headers: { host: target.host }, agent }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve(res.statusCode === 200 && bytes === target.expectBytes));
        res.on('error', () => resolve(false));
      });
      req.on('error', () => resolve(false));
    });
  const run = async (count: number, deadline: number) => {
    const latencies: number[] = [];
    let issued = 0;
    let errors = 0;
    const worker = async () => {
      while (issued < count && performance.now() < deadline) {
        issued++;
        const started = performance.now();
        if (!(await once())) errors++;
        latencies.push(performance.now() - started);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: load.concurrency }, worker));
    return { latencies, errors, seconds: (performance.now() - started) / 1000 };
  };
  await run(load.warmup, performance.now() + 10_000);
  const { latencies, errors, seconds } = await run(load.requests, performance.now() + load.maxSeconds * 1000);
  latencies.sort((x, y) => x - y);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))]!;
  const result: LoadResult = { requests: latencies.length, errors, seconds, rps: latencies.length / seconds, p50_ms: pct(50), p99_ms: pct(99) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  agent.destroy();
}

if (process.argv[1] === import.meta.filename) {
  const { target, load } = JSON.parse(process.argv[2]!) as { target: LoadTarget; load: LoadOptions };
  await loadChild(target, load);
}
