import { describe, expect, test } from 'vitest';
import { backfillIndexes } from '../../../functions/src/core/build/backfill.ts';
import type { DeploymentInfo } from '../../../functions/src/core/deployment/index.ts';
import { deploymentIndexKey } from '../../../functions/src/core/routing/deployment-index.ts';
import { useDomain } from '../../support/domain.ts';

/**
 * The deployment index backfill on in-memory adapters: a deployment finalized before indexes (its
 * manifest holds the raw vercel.json / runway.json, no index, its host's edge value names a legacy
 * `c:` config) gets the index today's finalize would write; a second run writes nothing.
 */
const d = useDomain();

/** Puts a READY deployment back into the shape the older finalize left: no index, raw config in the manifest, `<id> <configKey>` at the edge. */
async function makeLegacy(deployment: DeploymentInfo, raw: Record<string, unknown> | undefined): Promise<void> {
  const { artifacts, edge } = d.ctx();
  artifacts.objects.delete(deploymentIndexKey(deployment.id));
  const key = `manifests/${deployment.id}.json`;
  const manifest = JSON.parse(artifacts.objects.get(key)!.text) as { config?: unknown };
  if (raw === undefined) delete manifest.config;
  else manifest.config = raw;
  artifacts.objects.set(key, { text: JSON.stringify(manifest) });
  await edge.put(deployment.url, `${deployment.id} cfg0123456789`);
  await edge.put('c:cfg0123456789', '{"r":[]}');
}

describe('backfillIndexes', () => {
  test('writes the index finalize writes today, from the manifest and its raw config; a second run is a no-op', async () => {
    const project = await d.newProject();
    const runwayJson = { cleanUrls: true, redirects: [{ source: '/old/:path*', destination: '/docs/:path*', permanent: false }] };
    const files = { 'index.html': '<h1>home</h1>', 'docs/index.html': '<h1>docs</h1>', 'about.html': '<h1>about</h1>' };
    const legacy = await d.ready(await d.filesDeployment(project, { target: 'production' }), files, { runwayJson });
    const current = await d.ready(await d.filesDeployment(project));
    const expected = d.ctx().artifacts.objects.get(deploymentIndexKey(legacy.id))!.text;
    await makeLegacy(legacy, { runwayJson });

    const first = await backfillIndexes();
    expect(first).toMatchObject({ written: [legacy.id], defaulted: [], skipped: [], present: 1, deployments: 2, complete: true });
    expect(JSON.parse(d.ctx().artifacts.objects.get(deploymentIndexKey(legacy.id))!.text)).toEqual(JSON.parse(expected));
    expect(d.ctx().artifacts.objects.has(deploymentIndexKey(current.id))).toBe(true);

    const second = await backfillIndexes();
    expect(second).toMatchObject({ written: [], skipped: [], present: 2, deployments: 2, complete: true });
  });

  test('a config today\'s compiler refuses gets the platform defaults and is reported; no manifest is skipped, nothing written', async () => {
    const project = await d.newProject();
    const refused = await d.ready(await d.filesDeployment(project));
    // `routes` mixed with `redirects`: the older edge compiler took it, Vercel (and today's) refuse it.
    await makeLegacy(refused, { vercelJson: { routes: [{ src: '/a', dest: '/index.html' }], redirects: [{ source: '/b', destination: '/' }] } });
    const orphan = await d.ready(await d.filesDeployment(project));
    await makeLegacy(orphan, undefined);
    d.ctx().artifacts.objects.delete(`manifests/${orphan.id}.json`);

    const report = await backfillIndexes();
    expect(report.written).toEqual([refused.id]);
    expect(report.defaulted).toEqual([refused.id]);
    expect(report.skipped).toEqual([{ deploymentId: orphan.id, reason: 'no manifest' }]);
    const index = JSON.parse(d.ctx().artifacts.objects.get(deploymentIndexKey(refused.id))!.text) as { config: unknown; files: Record<string, unknown> };
    expect(index.config).toEqual({ version: 3 });
    expect(Object.keys(index.files)).toEqual(['index.html']);
    expect(d.ctx().artifacts.objects.has(deploymentIndexKey(orphan.id))).toBe(false);
  });

  test('stops at the deadline without writing, and says it did not finish', async () => {
    const project = await d.newProject();
    const legacy = await d.ready(await d.filesDeployment(project));
    await makeLegacy(legacy, undefined);
    const report = await backfillIndexes(Date.now() - 1);
    expect(report).toMatchObject({ written: [], complete: false });
    expect(d.ctx().artifacts.objects.has(deploymentIndexKey(legacy.id))).toBe(false);
  });
});
