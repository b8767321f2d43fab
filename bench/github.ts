/**
 * `npm run bench:github` — the GitHub App path against a private emulator and the fake GitHub:
 * 1. webhook answer time: signed push deliveries → 202 (signature check, payload check,
 *    idempotency record, enqueue), one at a time and 8 at a time; GitHub gives up after 10 s;
 * 2. push → live: a signed push of a static site's commit on a branch until READY, until the
 *    branch URL serves the commit through the local edge, and until GitHub has the success status;
 * 3. a burst of 20 pushes to one branch: how many builds ran to the end, how many were canceled,
 *    and when the branch served the last commit.
 * Prints a table, writes bench/results/github.json and the section in bench/RESULTS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { freePort } from '../local/emulator.ts';
import { startLocalAws } from '../local/environment.ts';
import { writeResultsSection } from './results-md.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const WEBHOOK_SAMPLES = Number(process.env.BENCH_WEBHOOKS ?? 200);
const PUSH_RUNS = Number(process.env.BENCH_PUSHES ?? 5);

const local = await startLocalAws({ port: await freePort(), mode: 'private' });
Object.assign(process.env, local.env, { RUNWAY_RATE_LIMIT_PER_MINUTE: '1000000' });
// Imported after the environment is set: the handlers read it once. The benchmark seeds through
// the domain too, wired to the emulator as the tests are.
await import('../tests/support/aws-context.ts');
const { newTeam, uniqueName } = await import('../tests/integration/api/harness.ts');
const { startPlatform, expectReady, visit, waitForEnd } = await import('../tests/integration/builds/platform.ts');
const { deliver, githubId, pushPayload } = await import('../tests/support/github.ts');

const platform = await startPlatform({ github: true });
const log = (message: string) => process.stdout.write(`[bench:github] ${message}\n`);

try {
  const github = platform.github!;
  const fake = github.fake!;
  const c = platform.client((await newTeam()).tokens.owner);
  const send = (payload: Record<string, unknown>) => deliver(platform.api, github.webhookSecret, 'push', payload);

  // An installation of the App for the team, as the console's Connect GitHub leaves it.
  const repo = { id: githubId(), fullName: `bench/${uniqueName('site')}` };
  const unlinkedRepo = { id: githubId(), fullName: `bench/${uniqueName('other')}` };
  fake.commit(repo.fullName, 'main', { 'index.html': 'first' });
  const state = new URL((await c.post('/v1/git/install', {})).body.url).searchParams.get('state')!;
  const installationId = githubId();
  fake.addInstallation({ id: installationId, account: { login: 'bench' }, repositories: [repo, unlinkedRepo] });
  await c.post('/v1/git/installations', { installationId, state, code: fake.authorize() });
  const project = uniqueName('gh');
  const created = await c.post('/v1/projects', { name: project, gitRepository: { provider: 'github', repo: repo.fullName } });
  if (created.status !== 201) throw new Error(`project: ${created.status} ${created.text}`);

  // 1. Webhook answer time, on pushes of a repository without a project (the worker then has
  // little to do, so the queue does not back up into the measurement).
  log(`${WEBHOOK_SAMPLES} deliveries one at a time…`);
  const sha = fake.commit(unlinkedRepo.fullName, 'main', { 'index.html': 'x' }).sha;
  const payload = pushPayload({ installationId, repo: unlinkedRepo, branch: 'main', sha });
  const serial = await timeAll(WEBHOOK_SAMPLES, 1, () => send(payload));
  log(`${WEBHOOK_SAMPLES} deliveries 8 at a time…`);
  const parallel = await timeAll(WEBHOOK_SAMPLES, 8, () => send(payload));
  await github.queue.drain();

  // 2. Push → READY → the branch URL serves it → GitHub has the success status.
  const runs: Array<{ accepted: number; ready: number; served: number; reported: number }> = [];
  for (let i = 0; i < PUSH_RUNS; i++) {
    const marker = `run ${i} ${uniqueName('m')}`;
    const commit = fake.commit(repo.fullName, 'preview', { 'index.html': marker, 'app.js': `console.log(${i})` });
    const started = performance.now();
    const reply = await send(pushPayload({ installationId, repo, branch: 'preview', sha: commit.sha }));
    const accepted = performance.now() - started;
    if (reply.status !== 202) throw new Error(`push: ${reply.status} ${JSON.stringify(reply.body)}`);
    await github.queue.drain();
    const deployment = (await c.get(`/v1/deployments?projectId=${project}&limit=1`)).body.items[0];
    await expectReady(c, deployment.id);
    const ready = performance.now() - started;
    while ((await visit(platform.edge, `${project}-git-preview.localhost`, '/')).body.toString() !== marker) await sleep(20);
    const served = performance.now() - started;
    while (!fake.callsTo('POST', `/repos/${repo.fullName}/statuses/${commit.sha}`).some((s) => (s.body as { state: string }).state === 'success')) await sleep(20);
    runs.push({ accepted, ready, served, reported: performance.now() - started });
  }

  // 3. A burst of 20 pushes to one branch.
  log('20 pushes to one branch…');
  const commits = Array.from({ length: 20 }, (_, i) => fake.commit(repo.fullName, 'burst', { 'index.html': `burst ${i}` }));
  const burstStart = performance.now();
  await Promise.all(commits.map((commit) => send(pushPayload({ installationId, repo, branch: 'burst', sha: commit.sha }))));
  await github.queue.drain();
  while ((await visit(platform.edge, `${project}-git-burst.localhost`, '/')).body.toString() !== 'burst 19') await sleep(50);
  const burstServed = performance.now() - burstStart;
  const burst = (await c.get(`/v1/deployments?projectId=${project}&branch=burst&limit=100`)).body.items as Array<{ id: string; state: string }>;
  for (const d of burst) await waitForEnd(c, d.id, 180_000);
  const ended = (await c.get(`/v1/deployments?projectId=${project}&branch=burst&limit=100`)).body.items as Array<{ state: string }>;
  const count = (state: string) => ended.filter((d) => d.state === state).length;

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const results = {
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    date: new Date().toISOString(),
    webhook: { samples: WEBHOOK_SAMPLES, serial: stats(serial), concurrency8: stats(parallel) },
    pushToLive: {
      runs: runs.length,
      acceptedMs: round(median(runs.map((r) => r.accepted))),
      readyMs: round(median(runs.map((r) => r.ready))),
      servedMs: round(median(runs.map((r) => r.served))),
      reportedMs: round(median(runs.map((r) => r.reported))),
    },
    burst: { pushes: 20, deployments: ended.length, ready: count('READY'), canceled: count('CANCELED'), error: count('ERROR'), lastServedMs: round(burstServed) },
  };
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench/results/github.json'), `${JSON.stringify(results, null, 2)}\n`);

  const lines = [
    '| figure | value |',
    '|---|---|',
    `| webhook → 202, one at a time (${WEBHOOK_SAMPLES}) | p50 ${results.webhook.serial.p50} ms, p99 ${results.webhook.serial.p99} ms, max ${results.webhook.serial.max} ms |`,
    `| webhook → 202, 8 in flight (${WEBHOOK_SAMPLES}) | p50 ${results.webhook.concurrency8.p50} ms, p99 ${results.webhook.concurrency8.p99} ms, max ${results.webhook.concurrency8.max} ms |`,
    `| push → 202 / READY / branch URL serves it / GitHub success status (median of ${runs.length}) | ${results.pushToLive.acceptedMs} / ${results.pushToLive.readyMs} / ${results.pushToLive.servedMs} / ${results.pushToLive.reportedMs} ms |`,
    `| 20 pushes to one branch | ${20 - results.burst.deployments} skipped (commit no longer the branch head); ${results.burst.deployments} deployment(s): ${results.burst.ready} READY, ${results.burst.canceled} CANCELED, ${results.burst.error} ERROR; last commit served after ${results.burst.lastServedMs} ms |`,
    '',
    'GitHub waits 10 s for a webhook answer. The webhook verifies the signature, validates the payload, writes the',
    'idempotency record and enqueues; everything else happens in the worker. Times are the emulator\'s (moto, one',
    'request at a time) and the fake GitHub\'s on loopback; the static site needs no install or build.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  writeResultsSection('github', 'GitHub App (`npm run bench:github`)', lines, results.date);
} finally {
  await platform.close();
  await local.emulator.stop();
}

async function timeAll(count: number, concurrency: number, fn: () => Promise<{ status: number }>): Promise<number[]> {
  const limit = pLimit(concurrency);
  return Promise.all(
    Array.from({ length: count }, () =>
      limit(async () => {
        const started = performance.now();
        const reply = await fn();
        if (reply.status !== 202) throw new Error(`webhook answered ${reply.status}`);
        return performance.now() - started;
      }),
    ),
  );
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { p50: at(0.5), p99: at(0.99), max: round(sorted.at(-1)!) };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
