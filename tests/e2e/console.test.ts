import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createConsoleServer } from '../../local/console.ts';
import { startDnsServer, type LocalDnsServer } from '../../local/dns-server.ts';
import { freePort } from '../../local/emulator.ts';
import type { FakeGitHub } from '../../local/fake-github.ts';
import { useLocalGitHub, type LocalGitHub } from '../../local/github.ts';
import * as apiLimits from '../../functions/src/core/deployment/files.ts';
import { MAX_NAME_LENGTH } from '../../functions/src/core/schemas.ts';
import { gitHubAppSecret } from '../../functions/src/lib/github-app.ts';
import { context } from '../../functions/src/core/context.ts';
import { projectNameFor } from '../../site/src/lib/git.ts';
import * as consoleLimits from '../../site/src/lib/upload.ts';
import { newTeam, sha256, uniqueName, type Client, type TestTeam } from '../integration/api/harness.ts';
import { deployFiles, expectReady, startPlatform, visit, type Platform } from '../integration/builds/platform.ts';

/**
 * The console in a real browser (Debian's chromium, driven by playwright-core) against the whole
 * local platform in-process: real handlers, real builds, the local edge. Every page is checked
 * with axe-core; screenshots land in test-results/screenshots/.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve('test-results/screenshots');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-e2e-'));
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let platform: Platform;
let dns: LocalDnsServer;
/** The routing endpoint custom domains point at, as `npm start` names it (a name in the local zone). */
const DOMAIN_TARGET = 'edge.runway.localhost';
let github: LocalGitHub;
let fake: FakeGitHub;
let consoleServer: http.Server;
let base: string;
let browser: Browser;
let page: Page;
let team: TestTeam;
let c: Client;
const project = uniqueName('web');
const deployments: Array<{ id: string; url: string }> = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`No browser at ${CHROMIUM}: the console's end-to-end tests need Debian's chromium — apt-get install -y chromium`);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  // Wired as `npm start` wires it (local/start.ts): the API allows this console's origin (CORS),
  // links the platform writes point at this console, and the fake GitHub's install page sends the
  // browser back to its setup page. Never a developer's .env.github: the tests need the fake.
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // Custom domains as `npm start` wires them: a real DNS server on loopback the checks resolve
  // through, where the routing endpoint resolves to the local edge.
  dns = await startDnsServer();
  dns.set(DOMAIN_TARGET, 'A', ['127.0.0.1']);
  platform = await startPlatform({ consoleOrigins: [base], domains: { dnsServers: [dns.address], target: DOMAIN_TARGET } });
  team = await newTeam();
  c = platform.client(team.tokens.owner);
  process.env.RUNWAY_CONSOLE_URL = base;
  github = await useLocalGitHub({ envFile: '/nonexistent/.env.github', setupUrl: `${base}/git/setup/` });
  if (!github.fake) throw new Error('useLocalGitHub did not start the fake GitHub');
  fake = github.fake;
  // The App secret has one fixed name in the emulator, which a concurrent integration run may
  // overwrite with its own fake's key: read it now, so this process caches the key of this fake.
  await gitHubAppSecret();
  consoleServer = await createConsoleServer({ apiUrl: platform.api, edgePort: Number(new URL(platform.edge).port) });
  await new Promise<void>((r) => consoleServer.listen(port, '127.0.0.1', r));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: DESKTOP });
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  if (consoleServer) await new Promise((r) => consoleServer.close(r));
  await github?.close();
  await platform?.close();
  await dns?.close();
  fs.rmSync(TMP, { recursive: true, force: true });
});

const pageErrors: string[] = [];
const axeFindings: Record<string, unknown> = {};

/** axe-core on the current page: no serious or critical violations. */
async function expectAccessible(label: string): Promise<void> {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }));
  // Every finding (minor and moderate too) is kept as an artifact beside the screenshots.
  axeFindings[label] = result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  fs.writeFileSync(path.join(SHOTS, '..', 'axe.json'), JSON.stringify(axeFindings, null, 2));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${label}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

async function shoot(name: string, viewport = DESKTOP): Promise<void> {
  await page.setViewportSize(viewport);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

/** Opens the team switcher in the header. */
async function openTeamMenu(): Promise<void> {
  await page.getByRole('button', { name: /^Team:/ }).click();
  await page.locator('#team-menu').waitFor();
}

/** Clicks the confirm button of the page's confirmation dialog. */
async function confirm(): Promise<void> {
  await page.getByRole('dialog').waitFor();
  await page.locator('#confirm-ok').click();
}

describe('the console in a real browser', () => {
  test('the console type-checks against the API schema types it imports', async () => {
    await promisify(execFile)('tsc', ['-p', 'site/tsconfig.json'], { env: process.env });
  });

  test('signed out, every page leads to sign in; a wrong token is refused with what to do', async () => {
    await page.goto(`${base}/project/?name=${project}`);
    await page.waitForURL(/\/signin\/\?next=/);
    await page.getByLabel('API token').fill('rwy_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#signin-status').textContent()).toMatch(/not accepted/);
    await expectAccessible('sign in');
    await shoot('signin');
  });

  test('signs in with a token: the team name shows and the token stays out of the URL', async () => {
    await page.goto(`${base}/signin/`);
    await page.getByLabel('API token').fill(team.tokens.owner);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('#team-name').textContent()).toBe(team.name);
    await page.getByText('No projects yet').waitFor();
    expect(page.url()).not.toContain(team.tokens.owner);
    expect(await page.evaluate(() => sessionStorage.getItem('runway.token'))).toBe(team.tokens.owner);
    await expectAccessible('projects (empty)');
  });

  test('creates a project, which opens with an empty deployments list', async () => {
    await page.getByLabel(/^Name/).fill('Not Valid!');
    await page.getByRole('button', { name: 'Create project' }).click();
    await expect.poll(() => page.locator('#create-status').textContent()).toMatch(/lowercase/);
    await page.getByLabel(/^Name/).fill(project);
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/project\/\?name=/);
    await page.getByText('No deployments yet').waitFor();
    await expect.poll(() => page.locator('h1').textContent()).toBe(project);
    await expectAccessible('project (empty)');
  });

  test('a deployment uploaded through the API streams its build log to READY on the deployment page', async () => {
    const { deployment } = await deployFiles(c, project, { 'index.html': `<!doctype html><title>v1</title><h1>version one of ${project}</h1>` }, 'production');
    deployments.push(deployment);
    // Records every state the badge shows, to see the page follow the build rather than load its end.
    await page.addInitScript(() => {
      const seen: string[] = ((window as unknown as { __states: string[] }).__states = []);
      document.addEventListener('DOMContentLoaded', () => {
        const badge = document.getElementById('state');
        if (!badge) return;
        new MutationObserver(() => {
          const text = badge.textContent ?? '';
          if (text && seen.at(-1) !== text) seen.push(text);
        }).observe(badge, { childList: true, subtree: true, characterData: true });
      });
    });
    await page.goto(`${base}/deployment/?id=${deployment.id}`);
    await page.locator('#state .badge-ready').waitFor({ timeout: 120_000 });
    const states = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
    expect(states[0]).toMatch(/QUEUED|BUILDING/);
    expect(states.at(-1)).toBe('READY');
    await expect.poll(() => page.locator('#log-state').textContent(), { timeout: 30_000 }).toMatch(/complete/);
    const log = (await page.locator('#log').textContent()) ?? '';
    expect(log.split('\n').length).toBeGreaterThan(3);
    expect(log).toMatch(/detect/i);
    await page.getByRole('button', { name: 'Roll back production' }).waitFor();
    await expectAccessible('deployment');
    await shoot('deployment');
    await shoot('deployment-phone', PHONE);
  });

  test('the deployment URL opens the site through the local edge', async () => {
    const link = page.locator('#deployment-url');
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toMatch(new RegExp(`^http://${project}-[a-z0-9]+\\.localhost:${new URL(platform.edge).port}/$`));
    await link.click();
    await page.waitForURL(href);
    await expect.poll(() => page.locator('h1').textContent()).toBe(`version one of ${project}`);
    await page.goBack();
  });

  test('the project page lists deployments with state, target and duration; the list shows production', async () => {
    const second = await deployFiles(c, project, { 'index.html': `<!doctype html><title>v2</title><h1>version two of ${project}</h1>` }, 'production');
    deployments.push(second.deployment);
    await expectReady(c, second.deployment.id);
    await page.goto(`${base}/project/?name=${project}`);
    const rows = page.locator('#deployments tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.first().textContent()).toMatch(/READY.*production/);
    expect(await rows.first().locator('td').last().textContent()).toMatch(/^\d+(s|m \d+s)$/);
    await expect.poll(() => page.locator('#summary').textContent()).toContain(`${project}.localhost`);
    await expectAccessible('project');
    await shoot('project');
    await shoot('project-phone', PHONE);

    await page.goto(`${base}/`);
    const row = page.getByRole('row', { name: new RegExp(project) });
    await expect.poll(() => row.textContent()).toMatch(new RegExp(`READY.*${project}\\.localhost`));
    await expectAccessible('projects');
    await shoot('projects');
    await shoot('projects-phone', PHONE);
  });

  test('rolls production back from the live deployment, with confirmation and a visible result', async () => {
    const [first, second] = deployments;
    if (!first || !second) throw new Error('the earlier tests deploy twice before this one');
    await page.goto(`${base}/deployment/?id=${second.id}`);
    await page.getByRole('button', { name: 'Roll back production' }).click();
    await confirm();
    await expect.poll(() => page.locator('#action-status').textContent()).toContain(`now serves ${first.id}`);
    // Now the older deployment is live; this one can be promoted again.
    await page.getByRole('button', { name: 'Promote to production' }).waitFor();
    const served = await visit(platform.edge, `${project}.localhost`, '/');
    expect(served.body.toString()).toContain('version one');
  });

  test('a READY deployment whose host was refused says which host and why, never plain READY', async () => {
    const [first] = deployments;
    if (!first) throw new Error('the earlier tests deploy before this one');
    // What finalize records when another project owns a host (core/alias/alias.ts `follow`); a
    // collision needs projects from before host ownership, so the record is written as it would be.
    const refused = { host: `${project}-git-main.localhost`, code: 'alias_host_taken', message: `${project}-git-main.localhost belongs to another project, so it does not serve this deployment` };
    expect(await context().deployments.update(first.id, { aliasError: refused }, ['READY'])).toBeDefined();
    await page.goto(`${base}/deployment/?id=${first.id}`);
    const notice = page.locator('#alias-error');
    await expect.poll(() => notice.textContent()).toContain(refused.host);
    expect(await notice.textContent()).toContain('alias_host_taken');
    expect(await page.locator('#state').textContent()).toContain('READY');
    await expectAccessible('deployment-alias-error');
    await shoot('deployment-alias-error');
  });

  test('the deployments list pages with a cursor; redeploy shows a link to the new deployment', async () => {
    const more = [];
    for (let i = 0; i < 9; i++) more.push((await deployFiles(c, project, { 'index.html': `<h1>preview ${i}</h1>` })).deployment);
    for (const d of more) await expectReady(c, d.id);
    await page.goto(`${base}/project/?name=${project}`);
    const rows = page.locator('#deployments tbody tr');
    await expect.poll(() => rows.count()).toBe(10);
    await page.getByRole('button', { name: 'Load older deployments' }).click();
    await expect.poll(() => rows.count()).toBe(11);
    expect(await page.getByRole('button', { name: 'Load older deployments' }).isHidden()).toBe(true);

    const last = more.at(-1)!;
    await page.goto(`${base}/deployment/?id=${last.id}`);
    await page.getByRole('button', { name: 'Redeploy' }).click();
    await confirm();
    const link = page.locator('#action-status a');
    await link.waitFor();
    const redeployed = new URL((await link.getAttribute('href')) ?? '', base).searchParams.get('id')!;
    expect(redeployed).not.toBe(last.id);
    expect((await expectReady(c, redeployed)).redeployOf).toBe(last.id);
  });

  test('sets a sensitive env var: masked in the list, never in the page or the API', async () => {
    await page.goto(`${base}/env/?project=${project}`);
    await page.getByText('No variables yet').waitFor();
    await page.getByLabel(/^Key/).fill('API_SECRET');
    await page.getByLabel('Sensitive (write-only, masked)').check();
    expect(await page.getByLabel('Value', { exact: true }).getAttribute('type')).toBe('password');
    await page.getByLabel('Value', { exact: true }).fill('s3cr3t-value-xyz');
    await page.getByLabel('development').uncheck();
    // Build-only (Netlify's scopes): the functions never get it.
    await page.getByLabel('functions (at run time').uncheck();
    await page.getByRole('button', { name: 'Add variable' }).click();
    await expect.poll(() => page.locator('#vars tbody tr').count()).toBe(2);
    expect(await page.locator('#vars').textContent()).toMatch(/API_SECRET.*builds only.*••••••••/);
    expect(await page.content()).not.toContain('s3cr3t-value-xyz');
    const listed = await c.get(`/v1/projects/${project}/env`);
    expect(listed.body.items.map((v: { masked: boolean; value?: string; scopes: string[] }) => [v.masked, v.value, v.scopes])).toEqual([
      [true, undefined, ['builds']],
      [true, undefined, ['builds']],
    ]);
    // Editing a sensitive var asks for a new value; the old one is never filled in.
    await page.getByRole('button', { name: 'Edit API_SECRET (preview)' }).click();
    expect(await page.getByLabel('New value of API_SECRET (preview)').inputValue()).toBe('');
    await page.keyboard.press('Escape');
    await expectAccessible('env');
    await shoot('env');
  });

  test('saves settings, then deletes the project only after its name is typed', async () => {
    await page.goto(`${base}/project/?name=${project}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe(project);
    await page.getByLabel(/^Build command/).fill('echo built');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('#settings-status').textContent()).toMatch(/Settings saved/);
    expect((await c.get(`/v1/projects/${project}`)).body.buildCommand).toBe('echo built');

    const del = page.getByRole('button', { name: 'Delete this project' });
    await page.getByLabel('Type the project name to confirm').fill('wrong');
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel('Type the project name to confirm').fill(project);
    await del.click();
    await page.waitForURL(`${base}/`);
    expect((await c.get(`/v1/projects/${project}`)).status).toBe(404);
  });

  test('deploys a folder picked in the browser: hashed, only missing files uploaded with progress, served by the edge', async () => {
    const name = uniqueName('upload');
    expect((await c.post('/v1/projects', { name })).status).toBe(201);
    const marker = `uploaded from the browser ${name}`;
    const dir = path.join(TMP, 'my-site');
    const files: Record<string, string> = {
      'index.html': `<!doctype html><title>upload</title><h1>${marker}</h1><script src="/assets/app.js"></script>`,
      'assets/app.js': `console.log(${JSON.stringify(name)});`,
      'assets/style.css': 'h1 { color: rebeccapurple; }',
      // Never deployed: the picker sends them, the console leaves them out.
      '.git/HEAD': 'ref: refs/heads/main',
      'node_modules/left-out/index.js': 'module.exports = 1;',
    };
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    // One file is already on the platform: only the other two may be uploaded.
    const css = Buffer.from(files['assets/style.css']!);
    const pre = await c.request('POST', '/v1/files', { raw: css, headers: { 'content-type': 'application/octet-stream', 'x-runway-digest': `sha256=${sha256(css)}` } });
    expect(pre.status).toBe(200);

    // Bytes go from the browser straight to storage (a cross-origin PUT to a presigned URL), never through the API.
    const uploads: Array<{ url: string; checksum: string }> = [];
    let throughApi = 0;
    const onRequest = async (req: import('playwright-core').Request) => {
      if (req.method() === 'PUT') uploads.push({ url: req.url(), checksum: (await req.allHeaders())['x-amz-checksum-sha256'] ?? '' });
      if (req.method() === 'POST' && req.url().endsWith('/v1/files')) throughApi++;
    };
    page.on('request', onRequest);
    // The progress text flashes by before the page moves on: keep each one it shows.
    await page.addInitScript(() => {
      document.addEventListener('DOMContentLoaded', () => {
        const count = document.getElementById('upload-count');
        if (!count) return;
        new MutationObserver(() => {
          const seen = JSON.parse(sessionStorage.getItem('e2e.progress') ?? '[]') as string[];
          if (count.textContent && seen.at(-1) !== count.textContent) sessionStorage.setItem('e2e.progress', JSON.stringify([...seen, count.textContent]));
        }).observe(count, { childList: true, characterData: true, subtree: true });
      });
    });

    await page.goto(`${base}/project/?name=${name}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe(name);
    expect(await page.getByRole('button', { name: 'Deploy files' }).isDisabled()).toBe(true);
    await page.getByLabel('Choose a folder to deploy…').setInputFiles(dir);
    await expect.poll(() => page.locator('#picked').textContent()).toMatch(/^3 files, .*\(2 left out\): assets\/app\.js, assets\/style\.css, index\.html$/);
    await page.getByLabel('Production', { exact: true }).check();
    await expectAccessible('project (folder picked)');
    await shoot('project-upload');
    await shoot('project-upload-phone', PHONE);

    await page.getByRole('button', { name: 'Deploy files' }).click();
    await page.waitForURL(/\/deployment\/\?id=/);
    page.off('request', onRequest);
    const id = new URL(page.url()).searchParams.get('id')!;
    await page.locator('#state .badge-ready').waitFor({ timeout: 120_000 });

    const progress = JSON.parse((await page.evaluate(() => sessionStorage.getItem('e2e.progress'))) ?? '[]') as string[];
    expect(progress).toContain('Hashing 3 of 3 files');
    expect(progress).toContain('2 of 2 uploaded');
    const checksum = (f: string) => Buffer.from(sha256(Buffer.from(files[f]!)), 'hex').toString('base64');
    expect(uploads.map((u) => u.checksum).sort()).toEqual(['assets/app.js', 'index.html'].map(checksum).sort());
    for (const { url } of uploads) expect([new URL(url).origin !== new URL(base).origin, new URL(url).pathname]).toEqual([true, expect.stringMatching(/\/uploads\/team_/)]);
    expect(throughApi).toBe(0);

    const done = await expectReady(c, id);
    expect(done.target).toBe('production');
    expect(done.source).toMatchObject({ type: 'files', fileCount: 3 });
    const link = page.locator('#deployment-url');
    const href = (await link.getAttribute('href')) ?? '';
    await link.click();
    await page.waitForURL(href);
    await expect.poll(() => page.locator('h1').textContent()).toBe(marker);
    // Paths are relative to the picked folder (its name stripped), as on the production host.
    await expect.poll(async () => (await visit(platform.edge, `${name}.localhost`, '/assets/app.js')).body.toString(), { timeout: 20_000 }).toBe(files['assets/app.js']);
  });

  test('a folder with nothing to deploy is refused before any upload, saying what to pick; dropped files are taken', async () => {
    const empty = path.join(TMP, 'only-git');
    fs.mkdirSync(path.join(empty, '.git'), { recursive: true });
    fs.writeFileSync(path.join(empty, '.git', 'HEAD'), 'ref: refs/heads/main');
    const name = uniqueName('upload');
    await c.post('/v1/projects', { name });
    await page.goto(`${base}/project/?name=${name}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe(name);
    await page.getByLabel('Choose a folder to deploy…').setInputFiles(empty);
    await expect.poll(() => page.locator('#upload-status').textContent()).toMatch(/nothing to deploy/);
    expect(await page.getByRole('button', { name: 'Deploy files' }).isDisabled()).toBe(true);

    // Dropping files works too (a real folder drag cannot be synthesized; dropped files can).
    await page.evaluate(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['<h1>dropped</h1>'], 'index.html', { type: 'text/html' }));
      transfer.items.add(new File(['about'], 'about.html', { type: 'text/html' }));
      document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => page.locator('#picked').textContent()).toMatch(/^2 files, 21 B: about\.html, index\.html$/);
    expect(await page.getByRole('button', { name: 'Deploy files' }).isEnabled()).toBe(true);
    await c.request('DELETE', `/v1/projects/${name}`);
  });

  test("the console's restated API rules match the API's", () => {
    expect([consoleLimits.MAX_FILE_BYTES, consoleLimits.MAX_FILES]).toEqual([apiLimits.MAX_FILE_BYTES, apiLimits.MAX_FILES]);
    expect(projectNameFor('octo-org/My_Site.v2')).toBe('my-site-v2');
    expect(projectNameFor('octo-org/---')).toBe('project');
    const long = projectNameFor(`octo-org/${'a'.repeat(39)}-b`);
    expect(long.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect(long).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
  });

  const repo = `octo-org/${uniqueName('Site')}_Repo`;
  let imported = '';
  let commitSha = '';

  test('without GitHub connected, the import page offers Connect GitHub; a bad setup link says what to do', async () => {
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Import Git repository' }).click();
    await page.waitForURL(`${base}/new/`);
    await page.getByText('No GitHub account is connected').waitFor();
    await page.getByRole('button', { name: 'Connect GitHub' }).waitFor();
    await expectAccessible('import (not connected)');
    await shoot('import-connect');

    await page.goto(`${base}/git/setup/?installation_id=999999&code=not-a-code&state=${'x'.repeat(32)}`);
    await page.getByRole('alert').getByText('This install link has expired or was already used').waitFor();
    await page.getByRole('button', { name: 'Connect GitHub again' }).waitFor();
    await expectAccessible('git setup (expired link)');
    await shoot('git-setup-error');
    await shoot('git-setup-error-phone', PHONE);

    await page.goto(`${base}/git/setup/`);
    await page.getByText('This page needs an installation from GitHub').waitFor();
  });

  test('Connect GitHub installs the App, the setup page links it, and the repository list shows what it can import', async () => {
    commitSha = fake.commit(repo, 'main', { 'index.html': `<!doctype html><title>git</title><h1>imported from GitHub ${repo}</h1>` }, 'Initial site').sha;
    await page.goto(`${base}/new/`);
    await page.getByRole('button', { name: 'Connect GitHub' }).click();
    // GitHub's install page (the fake) sends the browser back to /git/setup/, which links and moves on.
    await page.waitForURL(/\/new\/\?linked=\d+$/);
    expect(fake.callsTo('GET', /^\/app\/installations\/\d+$/).length).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#page-status').textContent()).toBe('Connected GitHub account octo-org. Choose a repository to import.');
    const row = page.getByRole('listitem').filter({ hasText: repo });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Public.*default branch main/);
    expect((await c.get('/v1/git/installations')).body.items.map((i: { accountLogin: string }) => i.accountLogin)).toEqual(['octo-org']);
    await expectAccessible('import (repositories)');
    await shoot('import');
    await shoot('import-phone', PHONE);
  });

  test('Import creates the project from the repository and deploys its production branch; the log streams to READY', async () => {
    await page.goto(`${base}/new/`);
    await page.getByRole('button', { name: `Import ${repo}` }).click();
    imported = projectNameFor(repo);
    expect(await page.getByLabel(/^Project name/).inputValue()).toBe(imported);
    expect(await page.getByLabel(/^Production branch/).inputValue()).toBe('main');
    await expectAccessible('import (configure)');
    await shoot('import-configure');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.waitForURL(/\/deployment\/\?id=/);
    const id = new URL(page.url()).searchParams.get('id')!;
    await page.locator('#state .badge-ready').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.locator('#log-state').textContent(), { timeout: 30_000 }).toMatch(/complete/);
    expect(((await page.locator('#log').textContent()) ?? '').split('\n').length).toBeGreaterThan(3);
    expect(await page.locator('#summary').textContent()).toContain(commitSha.slice(0, 7));

    const project = (await c.get(`/v1/projects/${imported}`)).body;
    expect(project.gitRepository).toMatchObject({ provider: 'github', repo });
    expect(project.gitRepository.installationId).toBeGreaterThan(0);
    const deployment = await expectReady(c, id);
    expect(deployment).toMatchObject({ target: 'production', branch: 'main', commitSha, projectName: imported });

    const link = page.locator('#deployment-url');
    const href = (await link.getAttribute('href')) ?? '';
    await link.click();
    await page.waitForURL(href);
    await expect.poll(() => page.locator('h1').textContent()).toBe(`imported from GitHub ${repo}`);

    await page.goto(`${base}/new/`);
    await expect.poll(() => page.getByRole('listitem').filter({ hasText: repo }).textContent()).toContain(`Imported as ${imported}`);
  });

  test('a taken project name is refused in words and the form stays to fix it', async () => {
    await page.goto(`${base}/new/`);
    await page.getByRole('button', { name: `Import ${repo}` }).click();
    await page.getByLabel(/^Project name/).fill(imported);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expect.poll(() => page.locator('.import-form [role=status]').textContent()).toBe(`This team already has a project named ${imported}: choose another name.`);
    expect(await page.getByLabel(/^Project name/).getAttribute('aria-invalid')).toBe('true');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.import-form').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(`Import ${repo}`);
  });

  let other: TestTeam;
  const otherProject = uniqueName('bproj');

  test('adds a second team: the switcher lists both by name and shows the added team', async () => {
    other = await newTeam();
    expect((await platform.client(other.tokens.owner).post('/v1/projects', { name: otherProject })).status).toBe(201);
    await page.goto(`${base}/`);
    await openTeamMenu();
    expect(await page.locator('#team-list').textContent()).toBe(`${team.name}✓ (current team)`);
    await page.getByRole('link', { name: 'Add a team' }).click();
    await page.waitForURL(`${base}/signin/`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Add a team');
    await page.getByLabel('API token').fill(other.tokens.owner);
    await page.getByRole('button', { name: 'Add team' }).click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('#team-name').textContent()).toBe(other.name);
    await page.getByRole('row', { name: new RegExp(otherProject) }).waitFor();
    expect(await page.getByRole('row', { name: new RegExp(imported) }).count()).toBe(0);
    expect(page.url()).not.toContain(other.tokens.owner);
    const kept = await page.evaluate(() => ({ token: sessionStorage.getItem('runway.token'), teams: JSON.parse(sessionStorage.getItem('runway.teams') ?? '[]') }));
    expect(kept.token).toBe(other.tokens.owner);
    expect(kept.teams.map((t: { teamName: string; token: string }) => [t.teamName, t.token])).toEqual([
      [team.name, team.tokens.owner],
      [other.name, other.tokens.owner],
    ]);

    await openTeamMenu();
    const items = page.locator('#team-list button');
    expect(await items.allTextContents()).toEqual([team.name, `${other.name}✓ (current team)`]);
    expect(await page.getByRole('button', { name: 'Sign out of all 2 teams' }).isVisible()).toBe(true);
    await expectAccessible('team switcher (open)');
    await shoot('team-switcher');
    await shoot('team-switcher-phone', PHONE);
    // Escape closes the menu and gives focus back to its button.
    await page.keyboard.press('Escape');
    expect(await page.locator('#team-menu').isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('team-button');
  });

  test('switches back and forth: each team sees its own projects', async () => {
    await openTeamMenu();
    await page.getByRole('button', { name: team.name, exact: true }).click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('#team-name').textContent()).toBe(team.name);
    await page.getByRole('row', { name: new RegExp(imported) }).waitFor();
    expect(await page.getByRole('row', { name: new RegExp(otherProject) }).count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('runway.token'))).toBe(team.tokens.owner);

    await openTeamMenu();
    await page.getByRole('button', { name: other.name, exact: true }).click();
    await expect.poll(() => page.locator('#team-name').textContent()).toBe(other.name);
    await page.getByRole('row', { name: new RegExp(otherProject) }).waitFor();
  });

  test('signing out of one team keeps the others; Sign out then forgets every token', async () => {
    await openTeamMenu();
    await page.getByRole('button', { name: `Sign out of ${other.name} only` }).click();
    await page.waitForURL(`${base}/`);
    await expect.poll(() => page.locator('#team-name').textContent()).toBe(team.name);
    expect(await page.evaluate(() => sessionStorage.getItem('runway.teams'))).not.toContain(other.tokens.owner);

    await openTeamMenu();
    expect(await page.locator('#forget-team').isHidden()).toBe(true);
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(/\/signin\/$/);
    expect(await page.evaluate(() => [sessionStorage.getItem('runway.token'), sessionStorage.getItem('runway.teams')])).toEqual([null, null]);
    await page.goto(`${base}/new/`);
    await page.waitForURL(/\/signin\/\?next=/);
    expect(pageErrors).toEqual([]);
  });
});

describe('the Domains page', () => {
  const owner = uniqueName('dom');
  const www = `www.${owner}.test`;
  // A Unicode name: stored as punycode, shown as people read it.
  const shop = `läden.${owner}.test`;
  let shopAscii = '';

  /** Signs this tab in with the team's token (these tests may run alone, with `-t`). */
  async function signIn(): Promise<void> {
    await page.goto(`${base}/signin/`);
    if ((await page.evaluate(() => sessionStorage.getItem('runway.token'))) === team.tokens.owner) return;
    await page.getByLabel('API token').fill(team.tokens.owner);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
  }

  /** The page scrolls sideways nowhere at phone width. */
  async function expectNoSidewaysScroll(): Promise<void> {
    await page.setViewportSize(PHONE);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await page.setViewportSize(DESKTOP);
  }

  const card = (name: string) => page.locator('article.domain', { has: page.getByRole('heading', { name, exact: true }) });

  test('Domains: add a domain, the exact records to create with copy buttons, publish them, Verify now → Active and served', async () => {
    expect((await c.post('/v1/projects', { name: owner })).status).toBe(201);
    const { deployment } = await deployFiles(c, owner, { 'index.html': `<!doctype html><title>d</title><h1>production of ${owner}</h1>` }, 'production');
    await expectReady(c, deployment.id);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await signIn();
    await page.goto(`${base}/project/?name=${owner}`);
    await page.getByRole('link', { name: 'Manage domains' }).click();
    await page.waitForURL(`${base}/domains/?project=${owner}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe(`Domains of ${owner}`);
    await page.getByText('No domains yet').waitFor();
    await expectAccessible('domains (empty)');
    await shoot('domains-empty');

    await page.getByRole('textbox', { name: /^Domain/ }).fill(www);
    await page.getByRole('button', { name: 'Add domain' }).click();
    await expect.poll(() => page.locator('#add-status').textContent()).toContain(`Added ${www}`);
    const added = (await c.get(`/v1/projects/${owner}/domains/${www}`)).body;
    expect(added.status).toBe('pending_verification');
    const txt = added.records.find((r: { type: string }) => r.type === 'TXT');
    const cname = added.records.find((r: { type: string }) => r.type === 'CNAME');
    expect([txt.name, cname.name, cname.value]).toEqual([`_runway-challenge.${www}`, www, DOMAIN_TARGET]);
    const www$ = card(www);
    expect(await www$.locator('[data-status]').textContent()).toBe('pending verification');
    // Each record exactly as the API says it, each with its copy buttons.
    for (const r of [txt, cname]) {
      const row = www$.locator(`tr[data-record="${r.type} ${r.name}"]`);
      expect((await row.locator('code').allTextContents())).toEqual([r.name, r.value]);
    }
    await www$.getByRole('button', { name: `Copy the value of the TXT record ${txt.name}` }).click();
    await expect.poll(() => page.locator('#domains-status').textContent()).toBe(`Copied the value of the TXT record ${txt.name}.`);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(txt.value);
    await expectAccessible('domains (pending)');
    await shoot('domains-pending');
    await shoot('domains-pending-phone', PHONE);
    await expectNoSidewaysScroll();

    // The TXT proof appears and a check runs elsewhere (the API, as the scheduled check would): the
    // page, polling while the domain is on its way, shows the new status without a reload.
    dns.set(txt.name, 'TXT', [txt.value]);
    expect((await c.post(`/v1/projects/${owner}/domains/${www}/verify`)).body.status).toBe('verified');
    await expect.poll(() => www$.locator('[data-status]').textContent(), { timeout: 10_000 }).toBe('verified');
    expect(await www$.locator(`tr[data-record="TXT ${txt.name}"]`).textContent()).toContain('✓ found');
    // Then the routing record, and Verify now.
    dns.set(cname.name, 'CNAME', [cname.value]);
    await www$.getByRole('button', { name: `Verify now: ${www}` }).click();
    await expect.poll(() => www$.locator('[data-status]').textContent()).toBe('active');
    expect(await www$.textContent()).toContain(`Live: https://${www}/`);
    expect((await c.get(`/v1/projects/${owner}/domains/${www}`)).body.status).toBe('active');
    await expect.poll(async () => (await visit(platform.edge, www, '/')).body.toString(), { timeout: 10_000 }).toContain(`production of ${owner}`);
    // Serve a branch, then production again.
    await www$.getByRole('button', { name: `Edit ${www}` }).click();
    const editor = page.getByRole('form', { name: `Edit ${www}` });
    await editor.getByLabel(/^Git branch/).fill('staging');
    await editor.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => www$.locator('.serves').textContent()).toContain('Serves the newest ready deployment of branch staging');
    expect((await c.get(`/v1/projects/${owner}/domains/${www}`)).body.gitBranch).toBe('staging');
    await www$.getByRole('button', { name: `Edit ${www}` }).click();
    expect(await editor.getByLabel(/^Git branch/).inputValue()).toBe('staging');
    await editor.getByLabel(/^Git branch/).fill('');
    await editor.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => www$.locator('.serves').textContent()).toContain('Serves production');
    expect((await c.get(`/v1/projects/${owner}/domains/${www}`)).body.gitBranch).toBeUndefined();
    await expectAccessible('domains (active)');
    await shoot('domains-active');
    await shoot('domains-active-phone', PHONE);
    await expectNoSidewaysScroll();
  });

  test('Domains: a wrong routing record shows misconfigured with what DNS answered; the redirect is edited; remove asks first', async () => {
    await signIn();
    await page.goto(`${base}/domains/?project=${owner}`);
    await card(www).waitFor();
    // A name that is no domain is refused in words, and nothing is added.
    await page.getByRole('textbox', { name: /^Domain/ }).fill('not a domain!');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await expect.poll(() => page.locator('#add-status.error').textContent()).toMatch(/not a domain!/);
    expect(await page.getByRole('textbox', { name: /^Domain/ }).getAttribute('aria-invalid')).toBe('true');
    expect((await c.get(`/v1/projects/${owner}/domains`)).body.items).toHaveLength(1);
    await expectAccessible('domains (invalid name)');
    await page.getByRole('textbox', { name: /^Domain/ }).fill(shop);
    await page.getByRole('button', { name: 'Add domain' }).click();
    await expect.poll(() => page.locator('#add-status').textContent()).toContain(`Added ${shop}`);
    const listed = (await c.get(`/v1/projects/${owner}/domains`)).body.items as Array<{ name: string; displayName: string; records: Array<{ type: string; name: string; value: string }> }>;
    const added = listed.find((d) => d.displayName === shop)!;
    shopAscii = added.name;
    expect(shopAscii).toMatch(/^xn--/);
    const shop$ = card(shop);
    expect(await shop$.textContent()).toContain(`In DNS: ${shopAscii}`);

    const txt = added.records.find((r) => r.type === 'TXT')!;
    const cname = added.records.find((r) => r.type === 'CNAME')!;
    dns.set(txt.name, 'TXT', [txt.value]);
    dns.set(cname.name, 'CNAME', ['parked.example.net']);
    await shop$.getByRole('button', { name: `Verify now: ${shop}` }).click();
    await expect.poll(() => shop$.locator('[data-status]').textContent()).toBe('misconfigured');
    expect(await shop$.locator('.notice.error').textContent()).toContain(`CNAME ${shopAscii}: DNS answered parked.example.net; set it to ${DOMAIN_TARGET}.`);
    await expectAccessible('domains (misconfigured)');
    await shoot('domains-misconfigured');
    await expectNoSidewaysScroll();

    // Redirect it to the www domain with a 301.
    await shop$.getByRole('button', { name: `Edit ${shop}` }).click();
    const editor = page.getByRole('form', { name: `Edit ${shop}` });
    await editor.getByLabel(/^Redirect to/).fill(www);
    await editor.getByLabel('Redirect status code').selectOption('301');
    await expectAccessible('domains (editing)');
    await editor.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#domains-status').textContent()).toBe(`Saved ${shop}: redirects to ${www} (301).`);
    await expect.poll(() => shop$.locator('.serves').textContent()).toContain(`Redirects to ${www} (301)`);
    expect((await c.get(`/v1/projects/${owner}/domains/${shopAscii}`)).body).toMatchObject({ redirect: www, redirectStatusCode: 301 });

    // Fixed DNS: the page polls while the domain is misconfigured, and Verify now moves it to active.
    dns.set(cname.name, 'CNAME', [DOMAIN_TARGET]);
    await shop$.getByRole('button', { name: `Verify now: ${shop}` }).click();
    await expect.poll(() => shop$.locator('[data-status]').textContent()).toBe('active');
    await expect.poll(async () => (await visit(platform.edge, shopAscii, '/a?b=1')).status, { timeout: 10_000 }).toBe(301);

    // Remove asks first: cancel keeps it, confirm removes it.
    await shop$.getByRole('button', { name: `Remove ${shop}` }).click();
    await page.getByRole('dialog').waitFor();
    expect(await page.locator('#confirm-title').textContent()).toBe(`Remove ${shop}?`);
    await expectAccessible('domains (remove dialog)');
    await shoot('domains-remove-dialog');
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect((await c.get(`/v1/projects/${owner}/domains/${shopAscii}`)).status).toBe(200);
    await shop$.getByRole('button', { name: `Remove ${shop}` }).click();
    await confirm();
    await expect.poll(() => page.locator('#domains-status').textContent()).toBe(`Removed ${shop}.`);
    await expect.poll(() => card(shop).count()).toBe(0);
    expect((await c.get(`/v1/projects/${owner}/domains/${shopAscii}`)).status).toBe(404);
    await expect.poll(async () => (await visit(platform.edge, shopAscii, '/')).status, { timeout: 10_000 }).not.toBe(301);
    await expectAccessible('domains (after remove)');
    expect(pageErrors).toEqual([]);
  });

  test('Domains: a domain another team proved shows detached with the notice; a failed certificate shows why', async () => {
    const rival = await newTeam();
    const b = platform.client(rival.tokens.owner);
    const rivalProject = uniqueName('rival');
    expect((await b.post('/v1/projects', { name: rivalProject })).status).toBe(201);
    const refused = await b.post(`/v1/projects/${rivalProject}/domains`, { name: www });
    expect(refused.status).toBe(409);
    const proof = refused.body.error.records[0];
    const ours = (await c.get(`/v1/projects/${owner}/domains/${www}`)).body.records.find((r: { type: string }) => r.type === 'TXT');
    dns.set(proof.name, 'TXT', [ours.value, proof.value]);
    expect((await b.post(`/v1/projects/${rivalProject}/domains`, { name: www })).status).toBe(201);
    await b.post(`/v1/projects/${rivalProject}/domains/${www}/verify`);
    const detached = (await c.get(`/v1/projects/${owner}/domains/${www}`)).body;
    expect(detached.status).toBe('detached');
    // A second domain, on its way while the page is open (so the page keeps polling).
    const other = `api.${owner}.test`;
    expect((await c.post(`/v1/projects/${owner}/domains`, { name: other })).status).toBe(201);

    await signIn();
    await page.goto(`${base}/domains/?project=${owner}`);
    const www$ = card(www);
    await expect.poll(() => www$.locator('[data-status]').textContent()).toBe('detached');
    expect(await www$.locator('.notice.error').textContent()).toContain(detached.notice);
    await expectAccessible('domains (detached)');
    await shoot('domains-detached');

    // What the domain check records when CloudFront reports a certificate it could not issue (the
    // local twin always issues, so the record is written as the check would write it).
    const stored = await context().domains.get(detached.projectId, other);
    const reason = 'CAA records at api.example do not allow Amazon to issue certificates';
    await context().domains.put({ ...stored!, status: 'certificate_failed', certificate: { status: 'failed', reason } });
    const api$ = card(other);
    await expect.poll(() => api$.locator('[data-status]').textContent(), { timeout: 10_000 }).toBe('certificate failed');
    expect(await api$.locator('.notice.error').textContent()).toContain(reason);
    await expectAccessible('domains (certificate failed)');
    await shoot('domains-certificate-failed');
    await shoot('domains-certificate-failed-phone', PHONE);
    await expectNoSidewaysScroll();
    expect(pageErrors).toEqual([]);
  });
});
