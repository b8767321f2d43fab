import fs from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = path.resolve('test-results/screenshots');

/** Starts headless chromium with the flags this machine needs; fails with what to install when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`No browser at ${CHROMIUM}: the console's end-to-end tests need Debian's chromium — apt-get install -y chromium`);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/**
 * axe-core on the current page: no serious or critical violations. With `findings`, every finding
 * (minor and moderate too) is kept under `label` and written to test-results/axe.json beside the
 * screenshots.
 */
export async function expectAccessible(page: Page, label: string, findings?: Record<string, unknown>): Promise<void> {
  await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(() => (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }));
  if (findings) {
    findings[label] = result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    fs.writeFileSync(path.join(SHOTS, '..', 'axe.json'), JSON.stringify(findings, null, 2));
  }
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${label}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}
