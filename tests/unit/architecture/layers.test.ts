import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** dependency-cruiser over the control plane, the local stand-ins and the benches, with the rules of .dependency-cruiser.cjs. */
function cruise(): Violation[] {
  const bin = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
  const args = [bin, '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'functions/src', 'local', 'bench'];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (!run.stdout) throw new Error(`dependency-cruiser did not run: ${run.stderr}`);
  const result = JSON.parse(run.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  // A resolver that silently resolved nothing would pass every rule: make sure it saw the code.
  expect(result.summary.totalCruised).toBeGreaterThan(150);
  return result.summary.violations.filter((v) => (v as { rule: { severity?: string } }).rule.severity !== 'ignore');
}

test('the layers hold: core imports no adapter, lib, handler, SDK, ElectroDB or Powertools; adapters no handlers; the builder only the build contract and the routing compiler', () => {
  const violations = cruise().map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  expect(violations).toEqual([]);
});

/** Every handler module (Lambda entry points). */
function handlerSources(): Array<[string, string]> {
  const dir = path.join(ROOT, 'functions/src/handlers');
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [`handlers/${f}`, fs.readFileSync(path.join(dir, f), 'utf8')]);
}

const REPOSITORIES = ['teams', 'members', 'tokens', 'rateLimits', 'projects', 'env', 'deployments', 'aliases', 'edgeKeys', 'builds', 'installations', 'claims', 'gitDeployments'];

test('handlers hold no domain decisions: they change no deployment state and read no repository', () => {
  const found = handlerSources().flatMap(([file, source]) => [
    ...(/\.transition\(/.test(source) ? [`${file}: a state transition (belongs to the build lifecycle)`] : []),
    ...[...source.matchAll(new RegExp(String.raw`context\(\)\.(${REPOSITORIES.join('|')})\b`, 'g'))].map((m) => `${file}: reads the ${m[1]} repository`),
  ]);
  expect(handlerSources().length).toBeGreaterThan(10);
  expect(found).toEqual([]);
});
