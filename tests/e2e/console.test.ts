import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createConsoleServer } from '../../local/console.ts';
import { freePort } from '../../local/emulator.ts';
import { newTeam, uniqueName, type Client, type TestTeam } from '../integration/api/harness.ts';
import { deployFiles, expectReady, startPlatform, visit, type Platform } from '../integration/builds/platform.ts';

/**
 * The console in a real browser (Debian's chromium, driven by playwright-core) against the whole
 * local platform in-process: real handlers, real builds, the local edge. Every page is checked
 * with axe-core; screenshots land in test-results/screenshots/.
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve('test-results/screenshots');
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };

let platform: Platform;
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
  platform = await startPlatform();
  team = await newTeam();
  c = platform.client(team.tokens.owner);
  consoleServer = await createConsoleServer({ apiUrl: platform.api, edgePort: Number(new URL(platform.edge).port) });
  const port = await freePort();
  await new Promise<void>((r) => consoleServer.listen(port, '127.0.0.1', r));
  base = `http://127.0.0.1:${port}`;
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
  await platform?.close();
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
    await page.getByRole('button', { name: 'Add variable' }).click();
    await expect.poll(() => page.locator('#vars tbody tr').count()).toBe(2);
    expect(await page.locator('#vars').textContent()).toMatch(/API_SECRET.*••••••••/);
    expect(await page.content()).not.toContain('s3cr3t-value-xyz');
    const listed = await c.get(`/v1/projects/${project}/env`);
    expect(listed.body.items.map((v: { masked: boolean; value?: string }) => [v.masked, v.value])).toEqual([
      [true, undefined],
      [true, undefined],
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

  test('signs out: the token is gone and pages lead to sign in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/signin\/$/);
    expect(await page.evaluate(() => sessionStorage.getItem('runway.token'))).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
