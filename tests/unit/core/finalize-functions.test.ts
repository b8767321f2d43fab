import { describe, expect, test } from 'vitest';
import { Build } from '../../../functions/src/core/build/index.ts';
import { override } from '../../../functions/src/core/context.ts';
import { Deployment, type DeploymentInfo } from '../../../functions/src/core/deployment/index.ts';
import { Env } from '../../../functions/src/core/env/index.ts';
import { useDomain } from '../../support/domain.ts';

/**
 * finalize with functions: the manifest's function configs validated again (the build is
 * untrusted), their zips checked to be stored, the index and the deployment record list them, and
 * the FunctionDeployer port gets them with the target's runtime env before READY.
 */
const domain = useDomain();
const { sha, newProject, filesDeployment, buildOutput } = domain;
const ctx = () => domain.ctx();

const VC = { runtime: 'nodejs22.x', handler: 'index.mjs', launcherType: 'Nodejs', shouldAddHelpers: true, supportsResponseStreaming: true, memory: 512, maxDuration: 30, environment: {} };

/** Adds functions to the manifest `buildOutput` wrote, each zip stored as a blob unless `stored` is false. */
function withFunctions(d: DeploymentInfo, functions: Record<string, { paths: string[]; config: unknown; zip?: string; stored?: boolean }>): void {
  const key = `manifests/${d.id}.json`;
  const manifest = JSON.parse(ctx().artifacts.objects.get(key)!.text);
  manifest.functions = {};
  for (const [name, fn] of Object.entries(functions)) {
    const zip = fn.zip ?? `zip of ${name}`;
    if (fn.stored !== false) void ctx().blobs.put(d.teamId, sha(zip), Buffer.from(zip));
    manifest.functions[name] = { sha: sha(zip), size: zip.length, unzippedSize: zip.length * 3, paths: fn.paths, config: fn.config };
  }
  ctx().artifacts.objects.set(key, { text: JSON.stringify(manifest) });
}

describe('finalize with functions', () => {
  test('deploys them with the target runtime env before READY; the index and the API object list them', async () => {
    const project = await newProject();
    await Env.create(project, { key: 'API_KEY', value: 'prod-secret', target: ['production'], sensitive: true }, 'owner');
    await Env.create(project, { key: 'GREETING', value: 'hello preview', target: ['preview'], sensitive: false }, 'owner');
    const d = await filesDeployment(project, { target: 'preview' });
    buildOutput(d, { 'index.html': 'home' }, { buildOutput: { version: 3, routes: [{ handle: 'filesystem' }] } });
    withFunctions(d, {
      'api/hello': { paths: ['api/hello', 'api/hi'], config: VC },
      'api/users/[id]': { paths: ['api/users/[id]'], config: { ...VC, memory: undefined, maxDuration: undefined, supportsResponseStreaming: false } },
    });

    const done = await Build.finalize(d.id);
    expect(done.state).toBe('READY');
    expect(done.functions).toEqual([
      { name: 'api/hello', paths: ['/api/hello', '/api/hi'], runtime: 'nodejs22.x', memory: 512, maxDuration: 30, size: 'zip of api/hello'.length },
      { name: 'api/users/[id]', paths: ['/api/users/[id]'], runtime: 'nodejs22.x', memory: 1024, maxDuration: 15, size: 'zip of api/users/[id]'.length },
    ]);
    expect((await Deployment.get(d.id)).functions).toEqual(done.functions);

    const deployed = ctx().functions.deployed.get(d.id);
    expect(deployed).toMatchObject({ deploymentId: d.id, teamId: d.teamId, projectId: project.id, env: { GREETING: 'hello preview' } });
    // The production var stays out of a preview deployment's functions.
    expect(deployed?.env).not.toHaveProperty('API_KEY');
    expect(deployed?.functions.map((f) => [f.name, f.sha, f.config.memoryMb])).toEqual([
      ['api/hello', sha('zip of api/hello'), 512],
      ['api/users/[id]', sha('zip of api/users/[id]'), 1024],
    ]);

    const index = JSON.parse(ctx().artifacts.objects.get(`routes/${d.id}.json`)!.text);
    expect(index.functions).toEqual({
      'api/hello': { sha: sha('zip of api/hello'), paths: ['api/hello', 'api/hi'], runtime: 'nodejs22.x', supportsResponseStreaming: true, maxDurationSeconds: 30 },
      'api/users/[id]': { sha: sha('zip of api/users/[id]'), paths: ['api/users/[id]'], runtime: 'nodejs22.x', supportsResponseStreaming: false, maxDurationSeconds: 15 },
    });
  });

  test('a production deployment gets the production vars, sensitive ones decrypted', async () => {
    const project = await newProject();
    await Env.create(project, { key: 'API_KEY', value: 'prod-secret', target: ['production'], sensitive: true }, 'owner');
    const d = await filesDeployment(project, { target: 'production' });
    buildOutput(d, { 'index.html': 'home' });
    withFunctions(d, { 'api/hello': { paths: ['api/hello'], config: VC } });
    expect((await Build.finalize(d.id)).state).toBe('READY');
    expect(ctx().functions.deployed.get(d.id)?.env).toEqual({ API_KEY: 'prod-secret' });
  });

  test.each([
    ['the Edge runtime', { runtime: 'edge', entrypoint: 'index.js' }, 'Function "api/hello" uses the Edge runtime'],
    ['memory over Lambda\'s limit', { ...VC, memory: 20_000 }, 'Function "api/hello" asks for 20000 MB of memory'],
    ['a handler with a ".." segment', { ...VC, handler: '../../etc/passwd' }, 'Function "api/hello": handler "../../etc/passwd" has a ".." segment'],
    ['no config at all', 'not an object', 'Function "api/hello": .vc-config.json is not valid'],
  ])('a manifest function with %s: ERROR at step config naming it, nothing deployed or published', async (_, config, message) => {
    const d = await filesDeployment(await newProject());
    buildOutput(d, { 'index.html': 'home' });
    withFunctions(d, { 'api/hello': { paths: ['api/hello'], config } });
    const failed = await Build.finalize(d.id);
    expect(failed).toMatchObject({ state: 'ERROR', errorStep: 'config' });
    expect(failed.errorMessage).toContain(message);
    expect(ctx().functions.deployed.has(d.id)).toBe(false);
    expect(ctx().artifacts.objects.has(`routes/${d.id}.json`)).toBe(false);
    expect(ctx().edge.entries.has(d.url)).toBe(false);
  });

  test('two functions serving one path: ERROR at step config', async () => {
    const d = await filesDeployment(await newProject());
    buildOutput(d, { 'index.html': 'home' });
    withFunctions(d, { 'api/a': { paths: ['api/a', 'api/x'], config: VC }, 'api/b': { paths: ['api/b', 'api/x'], config: VC } });
    const failed = await Build.finalize(d.id);
    expect(failed).toMatchObject({ state: 'ERROR', errorStep: 'config', errorMessage: 'Functions "api/a" and "api/b" both serve /api/x' });
  });

  test('a function zip never uploaded: ERROR at step finalize, nothing deployed', async () => {
    const d = await filesDeployment(await newProject());
    buildOutput(d, { 'index.html': 'home' });
    withFunctions(d, { 'api/hello': { paths: ['api/hello'], config: VC, stored: false } });
    expect(await Build.finalize(d.id)).toMatchObject({ state: 'ERROR', errorStep: 'finalize' });
    expect(ctx().functions.deployed.has(d.id)).toBe(false);
  });

  test('an installation without a function deployer: ERROR at step functions, nothing published', async () => {
    const d = await filesDeployment(await newProject());
    buildOutput(d, { 'index.html': 'home' });
    withFunctions(d, { 'api/hello': { paths: ['api/hello'], config: VC } });
    const restore = override({ functionDeployer: undefined as never });
    try {
      expect(await Build.finalize(d.id)).toMatchObject({ state: 'ERROR', errorStep: 'functions', errorMessage: 'This deployment has functions, which this Runway installation cannot run yet' });
    } finally {
      restore();
    }
    expect(ctx().edge.entries.has(d.url)).toBe(false);
  });

  test('a static deployment lists no functions and deploys none', async () => {
    const d = await filesDeployment(await newProject());
    buildOutput(d, { 'index.html': 'home' });
    const done = await Build.finalize(d.id);
    expect(done).toMatchObject({ state: 'READY', functions: [] });
    expect(ctx().functions.deployed.size).toBe(0);
    expect(JSON.parse(ctx().artifacts.objects.get(`routes/${d.id}.json`)!.text)).not.toHaveProperty('functions');
  });
});
