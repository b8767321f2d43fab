import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createConsoleServer } from '../../local/console.ts';
import { freePort } from '../../local/emulator.ts';
import type { DeploymentFunction, FunctionLogLine } from '../../site/src/lib/types.ts';
import { newTeam, uniqueName, type TestTeam } from '../integration/api/harness.ts';
import { deployFiles, startPlatform, visit, type Platform } from '../integration/builds/platform.ts';
import { expectAccessible as checkAccessible, launchChromium, SHOTS } from './browser.ts';

/**
 * The deployment page's Functions table and Logs panel in Debian's chromium. The first part runs
 * against a fake API that answers as `GET /v1/deployments/{id}/logs` does, so the
 * page's own behaviour — the table, filters, the live tail's `since`, pause, a hidden tab, never a
 * line twice — is checked deterministically (the browser's clock is Playwright's). The second runs
 * against the whole local platform: `api/hello.ts` built by the real builder, called through the
 * local edge, its log line read back from the emulator's CloudWatch Logs into the tail.
 */
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
const TOKEN = 'rwy_fake-token';

const FUNCTIONS: DeploymentFunction[] = [
  { name: 'api/hello', paths: ['/api/hello'], runtime: 'nodejs22.x', memory: 1024, maxDuration: 10, size: 2345 },
  { name: 'api/users/[id]', paths: ['/api/users/[id]', '/api/users/[id]/index'], runtime: 'nodejs20.x', memory: 512, maxDuration: 60, size: 1_500_000 },
];
const DEPLOYMENT = {
  id: 'dpl_fake1',
  shortId: 'fake1',
  teamId: 'team_fake',
  projectId: 'prj_fake',
  projectName: 'shop',
  target: 'preview',
  state: 'READY',
  url: 'shop-fake1.localhost',
  source: { type: 'files', fileCount: 2, totalBytes: 300, filesSha: '0'.repeat(64) },
  createdAt: '2026-12-06T20:00:00.000Z',
  buildingAt: '2026-12-06T20:00:01.000Z',
  readyAt: '2026-12-06T20:00:09.000Z',
  version: 3,
  functions: FUNCTIONS,
};

/** The fake API: the routes the deployment page reads, with CORS as the real gateway answers it. */
class FakeApi {
  readonly lines: FunctionLogLine[] = [];
  readonly logRequests: URLSearchParams[] = [];
  server = http.createServer((req, res) => this.answer(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  add(message: string, extra: Partial<FunctionLogLine> = {}, time = new Date().toISOString()): FunctionLogLine {
    const line = { time, function: 'api/hello', level: 'info' as const, message, ...extra };
    this.lines.push(line);
    this.lines.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    return line;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-headers': 'authorization, content-type', 'access-control-allow-methods': 'GET, POST' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { error: { code: 'unauthorized', message: 'no token' } });
    if (url.pathname === '/v1/teams') return json(200, { items: [{ id: 'team_fake', name: 'fake team', createdAt: DEPLOYMENT.createdAt }], next: null });
    if (url.pathname === `/v1/deployments/${DEPLOYMENT.id}`) return json(200, DEPLOYMENT);
    if (url.pathname === `/v1/projects/${DEPLOYMENT.projectId}/aliases`) return json(200, { items: [], next: null });
    if (url.pathname === `/v1/deployments/${DEPLOYMENT.id}/events`) return json(200, { state: 'READY', items: [{ type: 'log', timestamp: DEPLOYMENT.readyAt, text: 'build done' }], next: 'end', done: true });
    if (url.pathname === `/v1/deployments/${DEPLOYMENT.id}/logs`) {
      const q = url.searchParams;
      this.logRequests.push(q);
      for (const key of q.keys()) if (!['function', 'level', 'since', 'limit', 'cursor'].includes(key)) return json(400, { error: { code: 'bad_request', message: `unknown ${key}` } });
      const since = q.get('since');
      // `since` is inclusive, as CloudWatch Logs' startTime is: the newest line comes again.
      const matching = this.lines.filter(
        (l) => (!q.get('function') || l.function === q.get('function')) && (!q.get('level') || l.level === q.get('level')) && (!since || Date.parse(l.time) >= Date.parse(since)),
      );
      // `next` whenever a line matched, also on the last page, as the real API answers.
      const from = Number(q.get('cursor') ?? 0);
      const items = matching.slice(from, from + Number(q.get('limit') ?? 100));
      return json(200, { items, ...(matching.length > 0 ? { next: String(from + items.length) } : {}) });
    }
    json(404, { error: { code: 'not_found', message: `no ${url.pathname}` } });
  }
}

let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

/** A console server for `apiUrl` (on `port`, else a free one), and a page signed in with `token` of `team`. */
async function openConsole(apiUrl: string, team: { id: string; name: string; token: string }, options: { port?: number; edgePort?: number } = {}) {
  const { edgePort } = options;
  const port = options.port ?? (await freePort());
  const server = await createConsoleServer({ apiUrl, ...(edgePort ? { edgePort } : {}) });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  page = await browser.newPage({ viewport: DESKTOP });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.addInitScript((t) => {
    sessionStorage.setItem('runway.token', t.token);
    sessionStorage.setItem('runway.teams', JSON.stringify([{ teamId: t.id, teamName: t.name, token: t.token }]));
  }, team);
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

const expectAccessible = (label: string) => checkAccessible(page, label);

async function shoot(name: string, viewport = DESKTOP): Promise<void> {
  await page.setViewportSize(viewport);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

const shownLines = () => page.locator('#fn-log .line .msg').allTextContents();
/** Waits until no poll is in flight (the log region is aria-busy while one is). */
const idle = () => expect.poll(() => page.locator('#fn-log').getAttribute('aria-busy')).toBe('false');
/**
 * Moves the page's (paused) clock on in steps until `check` holds: polls happen only when the test
 * moves the clock, and each next one is scheduled only once the one before has answered.
 */
const advanceUntil = <T>(value: () => Promise<T> | T, stepMs = 500) =>
  expect.poll(async () => {
    await page.clock.runFor(stepMs);
    return value();
  });
/** Makes the page believe its tab was hidden or shown again (`visibilitychange`). */
const setVisibility = (state: 'hidden' | 'visible') =>
  page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);

describe('the deployment page: functions and their logs (fake API answering as the real one)', () => {
  let fake: FakeApi;
  let base: string;
  let closeConsole: () => Promise<unknown>;
  beforeAll(async () => {
    fake = new FakeApi();
    await fake.start();
    ({ base, close: closeConsole } = await openConsole(fake.url, { id: 'team_fake', name: 'fake team', token: TOKEN }));
  });
  afterAll(async () => {
    await page?.close();
    await closeConsole?.();
    if (fake) await new Promise((r) => fake.server.close(r));
  });
  const logPolls = () => fake.logRequests.length;

  test('lists every function with its paths, runtime, memory, max duration and size', async () => {
    const t0 = Date.now() - 60_000;
    fake.add('cold start', {}, new Date(t0).toISOString());
    fake.add('GET /api/hello', { requestId: 'r1' }, new Date(t0 + 1000).toISOString());
    fake.add('user 42 not found', { function: 'api/users/[id]', level: 'warn' }, new Date(t0 + 2000).toISOString());
    fake.add('TypeError: boom', { function: 'api/users/[id]', level: 'error' }, new Date(t0 + 2000).toISOString());
    fake.add('GET /api/hello', { requestId: 'r2' }, new Date(t0 + 3000).toISOString());
    // The page's timers run only when the test moves its clock.
    await page.clock.install();
    await page.goto(`${base}/deployment/?id=${DEPLOYMENT.id}`);
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    const rows = page.locator('#functions-table tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const cells = async (i: number) => (await rows.nth(i).locator('th, td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(await cells(0)).toEqual(['api/hello', '/api/hello', 'nodejs22.x', '1024 MB', '10 s', '2.3 KB']);
    expect(await cells(1)).toEqual(['api/users/[id]', '/api/users/[id] /api/users/[id]/index', 'nodejs20.x', '512 MB', '60 s', '1.4 MB']);
    expect(await page.locator('#fn-log-function option').allTextContents()).toEqual(['All functions', 'api/hello', 'api/users/[id]']);
  });

  test('the Logs panel shows every line once, oldest first, then tails new ones with since = the newest line', async () => {
    await advanceUntil(shownLines, 1).toEqual(['cold start', 'GET /api/hello', 'user 42 not found', 'TypeError: boom', 'GET /api/hello']);
    // The page was not full, so its `next` was not followed: no request carried a cursor.
    expect(fake.logRequests.map((q) => q.get('cursor')).filter(Boolean)).toEqual([]);
    await idle();
    expect(await page.locator('#fn-log-state').textContent()).toBe('(live)');
    const newest = fake.lines.at(-1)!.time;
    // A line in the same millisecond as the newest one shown, and a later one.
    fake.add('same millisecond', { requestId: 'r3' }, newest);
    fake.add('GET /api/hello?name=tail', { requestId: 'r4' });
    const polls = logPolls();
    await page.clock.runFor(2000);
    await expect.poll(shownLines).toEqual(['cold start', 'GET /api/hello', 'user 42 not found', 'TypeError: boom', 'GET /api/hello', 'same millisecond', 'GET /api/hello?name=tail']);
    expect(fake.logRequests[polls]?.get('since')).toBe(newest);
    // Three more polls, each getting the newest line again: nothing is shown twice.
    await idle();
    await advanceUntil(logPolls).toBeGreaterThanOrEqual(polls + 4);
    await idle();
    expect(fake.logRequests.at(-1)?.get('since')).toBe(fake.lines.at(-1)!.time);
    expect(await shownLines()).toHaveLength(7);
    const line = page.locator('#fn-log .line').last();
    expect(await line.locator('.fn').textContent()).toBe('api/hello');
    expect(await line.locator('.lvl').textContent()).toBe('INFO');
    expect(await line.locator('time').getAttribute('datetime')).toBe(fake.lines.at(-1)!.time);
    expect(await page.locator('#fn-log').getAttribute('aria-live')).toBe('polite');
    expect(await page.locator('#fn-log').getAttribute('role')).toBe('log');
    // axe and screenshots need the page's timers: time flows for them, then stops again.
    await page.clock.resume();
    await expectAccessible('deployment with functions');
    await shoot('functions-deployment');
    await shoot('functions-deployment-phone', PHONE);
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    await idle();
  });

  test('filters by function and level, from the keyboard', async () => {
    await page.locator('#fn-log-function').focus();
    await page.keyboard.press('ArrowDown'); // api/hello
    await page.keyboard.press('ArrowDown'); // api/users/[id]
    await advanceUntil(shownLines, 1).toEqual(['user 42 not found', 'TypeError: boom']);
    expect(fake.logRequests.at(-1)?.get('function')).toBe('api/users/[id]');
    await page.locator('#fn-log-level').selectOption('error');
    await advanceUntil(shownLines, 1).toEqual(['TypeError: boom']);
    const q = fake.logRequests.at(-1)!;
    expect([q.get('function'), q.get('level'), q.get('since')]).toEqual(['api/users/[id]', 'error', null]);
    expect(await page.locator('#fn-log .line.lvl-error .lvl').textContent()).toBe('ERROR');
    await page.locator('#fn-log-level').selectOption('warn');
    await page.locator('#fn-log-function').selectOption('api/hello');
    await advanceUntil(() => page.locator('#fn-log .empty').textContent(), 1).toMatch(/No log lines match yet/);
    await page.locator('#fn-log-level').selectOption('');
    await page.locator('#fn-log-function').selectOption('');
    await advanceUntil(shownLines, 1).toHaveLength(7);
    await idle();
  });

  test('pause stops polling and keeps the lines; resume continues where it stopped (keyboard)', async () => {
    const toggle = page.getByRole('button', { name: 'Pause live tail' });
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Resume live tail' }).waitFor();
    expect(await page.locator('#fn-log-state').textContent()).toBe('(paused)');
    const polls = logPolls();
    fake.add('while paused');
    await page.clock.runFor(10_000);
    await idle();
    expect(logPolls()).toBe(polls);
    expect(await shownLines()).not.toContain('while paused');
    expect(await shownLines()).toHaveLength(7);
    await page.keyboard.press('Space');
    await page.getByRole('button', { name: 'Pause live tail' }).waitFor();
    await advanceUntil(shownLines, 1).toContain('while paused');
    expect(logPolls()).toBe(polls + 1);
    expect((await shownLines()).filter((m) => m === 'while paused')).toHaveLength(1);
    await idle();
  });

  test('a hidden tab is not polled; shown again, it catches up at once', async () => {
    await setVisibility('hidden');
    expect(await page.locator('#fn-log-state').textContent()).toBe('(paused while this tab is hidden)');
    const polls = logPolls();
    fake.add('while hidden', { level: 'warn' });
    await page.clock.runFor(20_000);
    await idle();
    expect(logPolls()).toBe(polls);
    expect(await shownLines()).not.toContain('while hidden');
    await setVisibility('visible');
    await advanceUntil(shownLines, 1).toContain('while hidden');
    expect(logPolls()).toBe(polls + 1);
    expect(await page.locator('#fn-log-state').textContent()).toBe('(live)');
    expect(pageErrors).toEqual([]);
  });
});

describe('the deployment page against the whole local platform', () => {
  let platform: Platform;
  let team: TestTeam;
  let base: string;
  let closeConsole: () => Promise<unknown>;
  const project = uniqueName('fnlogs');
  beforeAll(async () => {
    const port = await freePort();
    platform = await startPlatform({ consoleOrigins: [`http://127.0.0.1:${port}`] });
    team = await newTeam();
    ({ base, close: closeConsole } = await openConsole(platform.api, { id: team.id, name: team.name, token: team.tokens.owner }, { port, edgePort: Number(new URL(platform.edge).port) }));
  });
  afterAll(async () => {
    await page?.close();
    await closeConsole?.();
    await platform?.close();
  });

  test('a deployment with api/hello.ts lists the function; a call through the edge shows its log lines in the tail', async () => {
    const c = platform.client(team.tokens.owner);
    expect((await c.post('/v1/projects', { name: project })).status).toBe(201);
    const handler = [
      'export default function handler(req: any, res: any) {',
      '  console.log(`hello ${req.query.name}`);',
      "  if (req.query.fail) console.error(`failing for ${req.query.name}`);",
      '  res.status(200).json({ hello: req.query.name });',
      '}',
      '',
    ].join('\n');
    const { deployment } = await deployFiles(c, project, { 'api/hello.ts': handler, 'index.html': '<!doctype html><title>fn</title><h1>with a function</h1>' });
    await page.goto(`${base}/deployment/?id=${deployment.id}`);
    await page.locator('#state .badge-ready').waitFor({ timeout: 170_000 });
    const row = page.locator('#functions-table tbody tr[data-function="api/hello"]');
    await row.waitFor();
    const cells = (await row.locator('th, td').allInnerTexts()).map((t) => t.trim());
    expect(cells.slice(0, 2)).toEqual(['api/hello', '/api/hello']);
    expect(cells[2]).toMatch(/^nodejs\d+\.x$/);
    expect(cells[3]).toMatch(/^\d+ MB$/);
    expect(cells[4]).toMatch(/^\d+ s$/);
    expect(cells[5]).toMatch(/^\d+(\.\d)? (B|KB|MB)$/);
    await expect.poll(() => page.locator('#fn-log-state').textContent(), { timeout: 30_000 }).toBe('(live)');

    const host = new URL(await page.locator('#deployment-url').getAttribute('href') ?? '').hostname;
    const name = `e2e-${Date.now().toString(36)}`;
    const called = await visit(platform.edge, host, `/api/hello?name=${name}&fail=1`);
    expect(called.status, called.body.toString()).toBe(200);
    expect(JSON.parse(called.body.toString())).toEqual({ hello: name });
    await expect.poll(() => page.locator('#fn-log .line .msg').allTextContents(), { timeout: 60_000 }).toEqual(expect.arrayContaining([`hello ${name}`, `failing for ${name}`]));
    const errorLine = page.locator('#fn-log .line.lvl-error', { hasText: `failing for ${name}` });
    expect(await errorLine.locator('.lvl').textContent()).toBe('ERROR');
    expect(await errorLine.locator('.fn').textContent()).toBe('api/hello');
    // Each line once, however many polls read it since.
    const messages = await page.locator('#fn-log .line .msg').allTextContents();
    expect(messages.filter((m) => m === `hello ${name}`)).toHaveLength(1);

    await page.locator('#fn-log-level').selectOption('error');
    await expect.poll(() => page.locator('#fn-log .line .msg').allTextContents(), { timeout: 30_000 }).toEqual([`failing for ${name}`]);
    await page.locator('#fn-log-level').selectOption('');
    await expect.poll(() => page.locator('#fn-log .line .msg').allTextContents(), { timeout: 30_000 }).toContain(`hello ${name}`);
    await expectAccessible('deployment with a function (whole platform)');
    await shoot('functions-e2e');
    expect(pageErrors).toEqual([]);
  });
});
