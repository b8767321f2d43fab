import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DetectionError, detect, GENERIC_OUTPUT_CANDIDATES, resolveOutputDirectory } from '../../../functions/src/builder/detect.ts';
import { VERCEL_CLI_VERSION } from '../../../functions/src/builder/vercel-build.ts';
import { fixturePath, tempDir, writeTree } from './helpers.ts';

const noBinaries = { hasBinary: () => false };

describe('detect: fixtures', () => {
  it.each([
    ['static', { framework: 'static', packageManager: null, lockfile: null, installCommand: null, buildCommand: null, outputDirectory: '.' }],
    ['vite-react', { framework: 'vite', packageManager: 'npm', lockfile: 'package-lock.json', installCommand: 'npm ci', buildCommand: 'npm run build', outputDirectory: 'dist' }],
    ['vite-vue', { framework: 'vite', packageManager: 'npm', lockfile: 'package-lock.json', installCommand: 'npm ci', buildCommand: 'npm run build', outputDirectory: 'dist' }],
    ['vite-svelte', { framework: 'vite', packageManager: 'npm', lockfile: 'package-lock.json', installCommand: 'npm ci', buildCommand: 'npm run build', outputDirectory: 'dist' }],
    ['astro', { framework: 'astro', packageManager: 'npm', lockfile: 'package-lock.json', installCommand: 'npm ci', buildCommand: 'npm run build', outputDirectory: 'dist' }],
    ['next-export', { framework: 'nextjs', packageManager: 'npm', lockfile: 'package-lock.json', installCommand: 'npm ci', buildCommand: 'npm run build', outputDirectory: 'out' }],
    ['eleventy', { framework: 'eleventy', packageManager: 'npm', lockfile: 'package-lock.json', installCommand: 'npm ci', buildCommand: 'npm run build', outputDirectory: '_site' }],
    ['build-script', { framework: 'build-script', packageManager: 'npm', lockfile: 'package-lock.json', installCommand: 'npm ci', buildCommand: 'npm run build', outputDirectory: null }],
    ['failing', { framework: 'build-script', packageManager: 'npm', lockfile: 'package-lock.json', installCommand: 'npm ci', buildCommand: 'npm run build', outputDirectory: null }],
  ] as const)('%s', async (name, expected) => {
    const plan = await detect(fixturePath(name), {}, noBinaries);
    expect(plan).toMatchObject(expected);
  });

  it('gives generic projects the candidate output directories in order', async () => {
    const plan = await detect(fixturePath('build-script'), {}, noBinaries);
    expect(plan.outputCandidates).toEqual(['dist', 'build', 'out', 'public']);
  });
});

describe('detect: temp projects', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  const pkg = (body: object): string => JSON.stringify(body);

  /** The .vercel/project.json a `vercel build` command writes, parsed back out of the shell command. */
  const projectJsonOf = (command: string | null) => JSON.parse(/printf '%s' '(.*?)' > \.vercel\/project\.json/.exec(command ?? '')![1]!.replaceAll(`'\\''`, "'"));

  it('builds Next.js server output with vercel build, offline: project.json written first, the CLI from PATH', async () => {
    await writeTree(dir, {
      'package.json': pkg({ scripts: { build: 'next build' }, dependencies: { next: '16.0.0' } }),
      'package-lock.json': '{}',
      'next.config.mjs': 'export default { reactStrictMode: true };',
    });
    const plan = await detect(dir, {}, { hasBinary: (name) => name === 'vercel' });
    expect(plan).toMatchObject({ framework: 'nextjs', installCommand: 'npm ci', outputDirectory: '.vercel/output/static' });
    expect(plan.buildCommand).toMatch(/^mkdir -p \.vercel && printf '%s' '.*' > \.vercel\/project\.json && VERCEL_TELEMETRY_DISABLED=1 NO_UPDATE_NOTIFIER=1 vercel build --yes --standalone$/);
    // installCommand '' makes @vercel/next skip its own install: the builder has installed already.
    expect(projectJsonOf(plan.buildCommand)).toMatchObject({ settings: { framework: 'nextjs', installCommand: '', buildCommand: null } });
  });

  it('an output: "export" in a comment does not make a static export', async () => {
    await writeTree(dir, {
      'package.json': pkg({ dependencies: { next: '16.0.0' } }),
      'next.config.mjs': "/** not output: 'export' */\n// output: 'export'\nexport default { images: { path: 'https://cdn.example/x' } };",
    });
    expect((await detect(dir, {}, noBinaries)).buildCommand).toContain('vercel@');
  });

  it('runs the pinned Vercel CLI through npx when the builder has none, and hands a Build Command override to vercel build', async () => {
    await writeTree(dir, { 'package.json': pkg({ dependencies: { next: '16.0.0' } }) });
    const plan = await detect(dir, { buildCommand: "echo 'hi' && next build" }, noBinaries);
    expect(plan.buildCommand).toContain(`npx --yes vercel@${VERCEL_CLI_VERSION} build --yes --standalone`);
    expect(plan.buildCommand).not.toContain('vercel@latest');
    expect(projectJsonOf(plan.buildCommand).settings.buildCommand).toBe("echo 'hi' && next build");
  });

  it('builds Nuxt with the vercel Nitro preset unless the project names another', async () => {
    await writeTree(dir, { 'package.json': pkg({ scripts: { build: 'nuxt build' }, dependencies: { nuxt: '4.6.4', vue: '3.5.0' } }) });
    expect(await detect(dir, {}, noBinaries)).toMatchObject({ framework: 'nuxt', buildCommand: 'NITRO_PRESET="${NITRO_PRESET:-vercel}" npm run build' });
  });

  it('detects SvelteKit before Vite', async () => {
    await writeTree(dir, { 'package.json': pkg({ scripts: { build: 'vite build' }, devDependencies: { '@sveltejs/kit': '2.70.4', vite: '8.0.0' } }) });
    expect(await detect(dir, {}, noBinaries)).toMatchObject({ framework: 'sveltekit', buildCommand: 'npm run build', outputDirectory: null });
  });

  it('accepts Astro server output with @astrojs/vercel', async () => {
    await writeTree(dir, {
      'package.json': pkg({ dependencies: { astro: '7.0.0', '@astrojs/vercel': '11.0.0' } }),
      'astro.config.mjs': "import vercel from '@astrojs/vercel';\nexport default { output: 'server', adapter: vercel() };",
    });
    expect(await detect(dir, {}, noBinaries)).toMatchObject({ framework: 'astro', buildCommand: 'astro build' });
  });

  it.each(['next.config.js', 'next.config.mjs', 'next.config.ts'])('accepts output: "export" in %s', async (file) => {
    await writeTree(dir, {
      'package.json': pkg({ dependencies: { next: '16.0.0' } }),
      [file]: 'const nextConfig = {\n  output: "export",\n};\nexport default nextConfig;\n',
    });
    const plan = await detect(dir, {}, noBinaries);
    expect(plan).toMatchObject({ framework: 'nextjs', buildCommand: 'next build', outputDirectory: 'out', installCommand: 'npm install' });
  });

  it('rejects Astro server output without the Vercel adapter, naming it', async () => {
    await writeTree(dir, {
      'package.json': pkg({ dependencies: { astro: '7.0.0' } }),
      'astro.config.mjs': "export default { output: 'server' };",
    });
    await expect(detect(dir, {}, noBinaries)).rejects.toThrow(/Astro server output needs Vercel's adapter: add @astrojs\/vercel/);
  });

  it('uses the framework default build command when there is no build script', async () => {
    await writeTree(dir, { 'package.json': pkg({ devDependencies: { vite: '8.0.0' } }) });
    expect(await detect(dir, {}, noBinaries)).toMatchObject({ framework: 'vite', buildCommand: 'vite build', outputDirectory: 'dist' });
  });

  it('treats a package.json without build script or framework as static', async () => {
    await writeTree(dir, { 'package.json': pkg({ name: 'x' }), 'index.html': '<h1>x</h1>' });
    expect(await detect(dir, {}, noBinaries)).toMatchObject({ framework: 'static', installCommand: null, buildCommand: null, outputDirectory: '.' });
  });

  it('fails clearly on an invalid package.json', async () => {
    await writeTree(dir, { 'package.json': '{ nope' });
    await expect(detect(dir, {}, noBinaries)).rejects.toThrow(/package.json is not valid JSON/);
  });

  describe('package manager', () => {
    const buildPkg = pkg({ scripts: { build: 'node b.js' } });

    it.each([
      ['package-lock.json', 'npm', 'npm ci', 'npm run build'],
      ['pnpm-lock.yaml', 'pnpm', 'npx --yes pnpm@9 install --frozen-lockfile', 'npx --yes pnpm@9 run build'],
      ['yarn.lock', 'yarn', 'npx --yes yarn@1 install --frozen-lockfile', 'npx --yes yarn@1 run build'],
    ])('%s → %s', async (lockfile, manager, install, build) => {
      await writeTree(dir, { 'package.json': buildPkg, [lockfile]: '# lockfile\n' });
      expect(await detect(dir, {}, noBinaries)).toMatchObject({ packageManager: manager, lockfile, installCommand: install, buildCommand: build });
    });

    it('uses npm install without a lockfile', async () => {
      await writeTree(dir, { 'package.json': buildPkg });
      expect(await detect(dir, {}, noBinaries)).toMatchObject({ packageManager: 'npm', lockfile: null, installCommand: 'npm install' });
    });

    it('prefers package-lock.json when several lockfiles exist', async () => {
      await writeTree(dir, { 'package.json': buildPkg, 'yarn.lock': '', 'package-lock.json': '{}' });
      expect((await detect(dir, {}, noBinaries)).packageManager).toBe('npm');
    });

    it('uses pnpm and yarn from PATH when they are installed', async () => {
      await writeTree(dir, { 'package.json': buildPkg, 'pnpm-lock.yaml': '' });
      expect((await detect(dir, {}, { hasBinary: (b) => b === 'pnpm' })).installCommand).toBe('pnpm install --frozen-lockfile');
      await rm(path.join(dir, 'pnpm-lock.yaml'));
      await writeTree(dir, { 'yarn.lock': '# yarn lockfile v1\n' });
      expect((await detect(dir, {}, { hasBinary: (b) => b === 'yarn' })).installCommand).toBe('yarn install --frozen-lockfile');
    });

    it('honors a packageManager pin', async () => {
      await writeTree(dir, { 'package.json': pkg({ scripts: { build: 'x' }, packageManager: 'pnpm@10.4.1+sha512.abc' }), 'pnpm-lock.yaml': '' });
      expect((await detect(dir, {}, { hasBinary: () => true })).installCommand).toBe('npx --yes pnpm@10.4.1 install --frozen-lockfile');
    });

    it('ignores a packageManager pin with shell characters', async () => {
      await writeTree(dir, { 'package.json': pkg({ scripts: { build: 'x' }, packageManager: 'pnpm@9;rm -rf /' }), 'pnpm-lock.yaml': '' });
      expect((await detect(dir, {}, noBinaries)).installCommand).toBe('npx --yes pnpm@9 install --frozen-lockfile');
    });

    it('runs Yarn Berry through corepack', async () => {
      await writeTree(dir, { 'package.json': buildPkg, 'yarn.lock': '__metadata:\n  version: 8\n' });
      expect(await detect(dir, {}, noBinaries)).toMatchObject({ installCommand: 'corepack yarn install --immutable', buildCommand: 'corepack yarn run build' });
    });
  });

  describe('monorepo: the lockfile of the workspace root', () => {
    const app = (deps: object = { vite: '8.0.0' }) => pkg({ name: 'site', scripts: { build: 'vite build' }, devDependencies: deps });
    const detectIn = (rel: string, options: object = {}) => detect(path.join(dir, rel), {}, { ...noBinaries, rootDir: dir, ...options });

    it('npm workspaces: installs with npm ci from the root that holds package-lock.json', async () => {
      await writeTree(dir, {
        'package.json': pkg({ name: 'mono', private: true, workspaces: ['apps/*', 'packages/*'] }),
        'package-lock.json': '{"lockfileVersion":3}',
        'apps/site/package.json': app(),
      });
      expect(await detectIn('apps/site')).toMatchObject({
        framework: 'vite',
        packageManager: 'npm',
        lockfile: path.join('..', '..', 'package-lock.json'),
        installDirectory: path.join('..', '..'),
        installCommand: 'npm ci',
        buildCommand: 'npm run build',
      });
    });

    it("pnpm workspaces: pnpm-workspace.yaml's packages, with the root's packageManager pin", async () => {
      await writeTree(dir, {
        'package.json': pkg({ name: 'mono', private: true, packageManager: 'pnpm@9.15.9' }),
        'pnpm-workspace.yaml': "packages:\n  - 'apps/**'\n  - '!apps/legacy'\n",
        'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
        'apps/web/site/package.json': app(),
        'apps/legacy/package.json': app(),
      });
      expect(await detectIn('apps/web/site')).toMatchObject({
        packageManager: 'pnpm',
        installDirectory: path.join('..', '..', '..'),
        installCommand: 'npx --yes pnpm@9.15.9 install --frozen-lockfile',
        buildCommand: 'npx --yes pnpm@9.15.9 run build',
      });
      // Excluded by `!apps/legacy`: the root's lockfile does not describe it.
      expect(await detectIn('apps/legacy')).toMatchObject({ packageManager: 'npm', lockfile: null, installDirectory: '.', installCommand: 'npm install' });
    });

    it("Yarn's workspaces object form", async () => {
      await writeTree(dir, {
        'package.json': pkg({ private: true, workspaces: { packages: ['./sites/*/'] } }),
        'yarn.lock': '# yarn lockfile v1\n',
        'sites/docs/package.json': app(),
      });
      expect(await detectIn('sites/docs')).toMatchObject({ packageManager: 'yarn', installDirectory: path.join('..', '..'), installCommand: 'npx --yes yarn@1 install --frozen-lockfile' });
    });

    it('a pnpm workspace without a lockfile yet installs from its root', async () => {
      await writeTree(dir, { 'package.json': pkg({ private: true }), 'pnpm-workspace.yaml': 'packages: [apps/*]\n', 'apps/a/package.json': app() });
      expect(await detectIn('apps/a')).toMatchObject({ packageManager: 'pnpm', lockfile: null, installDirectory: path.join('..', '..'), installCommand: 'npx --yes pnpm@9 install' });
    });

    it("a parent's lockfile that is not a workspace of it does not describe the project", async () => {
      await writeTree(dir, { 'package.json': pkg({ name: 'tools', devDependencies: { prettier: '3.0.0' } }), 'package-lock.json': '{}', 'site/package.json': app() });
      expect(await detectIn('site')).toMatchObject({ packageManager: 'npm', lockfile: null, installDirectory: '.', installCommand: 'npm install' });
    });

    it("the project's own lockfile wins over the root's", async () => {
      await writeTree(dir, {
        'package.json': pkg({ workspaces: ['apps/*'] }),
        'yarn.lock': '',
        'apps/site/package.json': app(),
        'apps/site/package-lock.json': '{}',
      });
      expect(await detectIn('apps/site')).toMatchObject({ packageManager: 'npm', lockfile: 'package-lock.json', installDirectory: '.', installCommand: 'npm ci' });
    });

    it('never looks above the repository root', async () => {
      await writeTree(dir, { 'package.json': pkg({ workspaces: ['repo'] }), 'package-lock.json': '{}', 'repo/package.json': app() });
      expect(await detect(path.join(dir, 'repo'), {}, { ...noBinaries, rootDir: path.join(dir, 'repo') })).toMatchObject({ lockfile: null, installCommand: 'npm install' });
      // Without a root the walk does not start at all: the project dir is the whole source.
      expect(await detect(path.join(dir, 'repo'), {}, noBinaries)).toMatchObject({ lockfile: null, installDirectory: '.' });
    });

    it('an install command override runs in the project dir', async () => {
      await writeTree(dir, { 'package.json': pkg({ workspaces: ['apps/*'] }), 'package-lock.json': '{}', 'apps/site/package.json': app() });
      const plan = await detect(path.join(dir, 'apps/site'), { installCommand: 'npm install --no-save' }, { ...noBinaries, rootDir: dir });
      expect(plan).toMatchObject({ installCommand: 'npm install --no-save', installDirectory: '.' });
    });

    it('a package manager the builder does not run (bun) falls back to npm install in the project', async () => {
      await writeTree(dir, { 'package.json': pkg({ workspaces: ['apps/*'] }), 'bun.lock': '{}', 'apps/site/package.json': app() });
      expect(await detectIn('apps/site')).toMatchObject({ packageManager: 'npm', lockfile: null, installDirectory: '.' });
    });
  });

  describe('overrides', () => {
    it('override every field', async () => {
      const plan = await detect(
        fixturePath('vite-react'),
        { installCommand: 'npm install --legacy-peer-deps', buildCommand: 'npm run build:prod', outputDirectory: './web/', framework: 'build-script' },
        noBinaries,
      );
      expect(plan).toMatchObject({
        framework: 'build-script',
        installCommand: 'npm install --legacy-peer-deps',
        buildCommand: 'npm run build:prod',
        outputDirectory: 'web',
        outputCandidates: [],
      });
    });

    it('an empty command skips the step', async () => {
      const plan = await detect(fixturePath('vite-react'), { installCommand: '', buildCommand: '  ' }, noBinaries);
      expect(plan).toMatchObject({ installCommand: null, buildCommand: null, outputDirectory: 'dist' });
    });

    it('a build command makes a plain static site build', async () => {
      const plan = await detect(fixturePath('static'), { buildCommand: 'sh build.sh', outputDirectory: 'public' }, noBinaries);
      expect(plan).toMatchObject({ framework: 'static', installCommand: null, buildCommand: 'sh build.sh', outputDirectory: 'public' });
    });

    it('a framework override skips detection but keeps safety checks', async () => {
      await writeTree(dir, { 'package.json': pkg({ scripts: { build: 'x' } }), 'astro.config.mjs': "export default { output: 'server' };" });
      await expect(detect(dir, { framework: 'astro' }, noBinaries)).rejects.toBeInstanceOf(DetectionError);
    });

    it.each(['../elsewhere', 'dist/../../x', '/etc'])('rejects outputDirectory %s', async (outputDirectory) => {
      await expect(detect(fixturePath('vite-react'), { outputDirectory }, noBinaries)).rejects.toBeInstanceOf(DetectionError);
    });
  });

  describe('resolveOutputDirectory', () => {
    it('picks the first existing candidate', async () => {
      await writeTree(dir, { 'package.json': pkg({ scripts: { build: 'x' } }), 'public/favicon.ico': '', 'build/index.html': '' });
      const plan = await detect(dir, {}, noBinaries);
      expect(plan.outputCandidates).toEqual([...GENERIC_OUTPUT_CANDIDATES]);
      expect(await resolveOutputDirectory(dir, plan)).toBe('build');
    });

    it('fails when the configured directory was not produced', async () => {
      await writeTree(dir, { 'package.json': pkg({ devDependencies: { vite: '8' } }) });
      const plan = await detect(dir, {}, noBinaries);
      await expect(resolveOutputDirectory(dir, plan)).rejects.toThrow(/"dist" does not exist after the build/);
    });
  });
});
