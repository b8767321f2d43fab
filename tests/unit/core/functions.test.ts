import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { fsOutputTree } from '../../../functions/src/adapters/output-tree/fs.ts';
import { FunctionConfigError, type OutputTree, parseFunctionConfig, readFunctions, type TreeEntry } from '../../../functions/src/core/functions/index.ts';

const node = (extra: Record<string, unknown> = {}) => ({ runtime: 'nodejs22.x', handler: 'index.js', launcherType: 'Nodejs', ...extra });
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FunctionConfigError);
    return { code: (error as FunctionConfigError).code, message: (error as Error).message };
  }
  throw new Error('expected a FunctionConfigError');
};

describe('parseFunctionConfig', () => {
  test('a Node.js function gets Vercel defaults', () => {
    const { config, notes } = parseFunctionConfig('api/hello', node());
    expect(config).toEqual({
      runtime: 'nodejs22.x',
      handler: 'index.js',
      shouldAddHelpers: false,
      supportsResponseStreaming: false,
      memoryMb: 1024,
      maxDurationSeconds: 15,
      environment: {},
      filePathMap: {},
    });
    expect(notes).toEqual([]);
  });

  test.each(['nodejs20.x', 'nodejs22.x', 'nodejs24.x'])('%s is accepted', (runtime) => {
    expect(parseFunctionConfig('f', node({ runtime })).config.runtime).toBe(runtime);
  });

  test('explicit settings are kept; experimentalResponseStreaming is read as streaming', () => {
    const { config } = parseFunctionConfig('f', node({ memory: 3009, maxDuration: 900, shouldAddHelpers: true, experimentalResponseStreaming: true, environment: { A: '1' } }));
    expect(config).toMatchObject({ memoryMb: 3009, maxDurationSeconds: 900, shouldAddHelpers: true, supportsResponseStreaming: true, environment: { A: '1' } });
  });

  test('an Edge function is refused at deploy time, naming the function', () => {
    const { code, message } = codeOf(() => parseFunctionConfig('api/edge', { runtime: 'edge', entrypoint: 'index.js' }));
    expect(code).toBe('edge_runtime_unsupported');
    expect(message).toContain('"api/edge"');
  });

  test.each(['nodejs18.x', 'python3.12', 'provided.al2023'])('runtime %s is refused with the function name', (runtime) => {
    const { code, message } = codeOf(() => parseFunctionConfig('api/x', node({ runtime })));
    expect(code).toBe('unsupported_runtime');
    expect(message).toContain('"api/x"');
    expect(message).toContain(runtime);
  });

  test('a Node.js runtime without the Nodejs launcher is refused', () => {
    expect(codeOf(() => parseFunctionConfig('f', node({ launcherType: undefined }))).code).toBe('unsupported_launcher');
  });

  test.each([127, 10_241])('memory %d MB is outside Lambda limits', (memory) => {
    expect(codeOf(() => parseFunctionConfig('f', node({ memory }))).code).toBe('memory_out_of_range');
  });

  test.each([128, 10_240])('memory %d MB is at a Lambda limit and accepted', (memory) => {
    expect(parseFunctionConfig('f', node({ memory })).config.memoryMb).toBe(memory);
  });

  test.each([0, 901])('maxDuration %d s is outside Lambda limits', (maxDuration) => {
    expect(codeOf(() => parseFunctionConfig('f', node({ maxDuration }))).code).toBe('max_duration_out_of_range');
  });

  test.each(['_HANDLER', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY', 'LAMBDA_TASK_ROOT'])('environment %s (Lambda reserves it) is refused by name', (key) => {
    const { code, message } = codeOf(() => parseFunctionConfig('api/x', node({ environment: { OK: '1', [key]: 'x' } })));
    expect(code).toBe('function_env_reserved');
    expect(message).toContain(key);
    expect(message).toContain('api/x');
  });

  test('environment names Lambda leaves to the function (LD_PRELOAD, LD_LIBRARY_PATH, NODE_OPTIONS, PATH) are kept', () => {
    const environment = { LD_PRELOAD: './x.so', LD_LIBRARY_PATH: '/opt/lib', NODE_OPTIONS: '--enable-source-maps', PATH: '/opt/bin:/usr/bin' };
    expect(parseFunctionConfig('api/x', node({ environment })).config.environment).toEqual(environment);
  });

  test('regions and unknown fields are notes, not errors', () => {
    const { notes } = parseFunctionConfig('f', node({ regions: ['iad1'], framework: { slug: 'nextjs' }, operationType: 'Page' }));
    expect(notes.map((n) => n.message)).toEqual([expect.stringContaining('"regions" (iad1) is ignored'), expect.stringContaining('framework, operationType')]);
  });

  test.each([[{ handler: 1 }], [{ environment: { A: 1 } }], [{ memory: 'big' }], [null], ['text']])('malformed %j is invalid_function_config', (bad) => {
    const raw = bad === null || typeof bad === 'string' ? bad : node(bad);
    expect(codeOf(() => parseFunctionConfig('f', raw)).code).toBe('invalid_function_config');
  });
});

/** An in-memory tree: paths → file text, or `{ link }` for a symlink (target relative to the root). */
function memoryTree(files: Record<string, string | { link: string }>): OutputTree {
  const entries = (dir: string): TreeEntry[] => {
    const prefix = dir ? `${dir}/` : '';
    const found = new Map<string, TreeEntry['kind']>();
    for (const [p, v] of Object.entries(files)) {
      if (!p.startsWith(prefix)) continue;
      const [head, ...rest] = p.slice(prefix.length).split('/');
      found.set(head!, rest.length ? 'directory' : typeof v === 'string' ? 'file' : 'symlink');
    }
    return [...found].map(([name, kind]) => ({ name, kind }));
  };
  return {
    list: async (dir) => entries(dir),
    resolve: async (p) => {
      const v = files[p];
      return v && typeof v !== 'string' ? v.link : p;
    },
    readText: async (p) => {
      const v = files[p];
      if (typeof v !== 'string') throw new Error(`no file ${p}`);
      return v;
    },
  };
}

describe('readFunctions', () => {
  const cfg = JSON.stringify(node());

  test('every .func directory is a function named by its path; other files are not', async () => {
    const { functions } = await readFunctions(
      memoryTree({
        'config.json': '{}',
        'static/index.html': '<p>',
        'functions/api/hello.func/.vc-config.json': cfg,
        'functions/api/hello.func/index.js': '',
        'functions/index.func/.vc-config.json': cfg,
        'functions/blog/[slug].rsc.func/.vc-config.json': cfg,
      }),
    );
    expect(functions.map((f) => [f.name, f.dir])).toEqual([
      ['api/hello', 'functions/api/hello.func'],
      ['blog/[slug].rsc', 'functions/blog/[slug].rsc.func'],
      ['index', 'functions/index.func'],
    ]);
  });

  test('a symlinked .func is the same function under another path', async () => {
    const { functions } = await readFunctions(
      memoryTree({
        'functions/page.func/.vc-config.json': cfg,
        'functions/about.func': { link: 'functions/page.func' },
        'functions/contact.func': { link: 'functions/page.func' },
      }),
    );
    expect(functions).toHaveLength(1);
    expect(functions[0]!.paths).toEqual(['about', 'contact', 'page']);
  });

  test('a .func symlink leading out of the output is refused', async () => {
    await expect(readFunctions(memoryTree({ 'functions/x.func': { link: '../../etc' } }))).rejects.toMatchObject({ code: 'function_link_outside_output' });
  });

  test('no functions directory: no functions', async () => {
    expect((await readFunctions(memoryTree({ 'static/a.html': '' }))).functions).toEqual([]);
  });

  test('a function without .vc-config.json, or with broken JSON, is refused by name', async () => {
    await expect(readFunctions(memoryTree({ 'functions/a.func/index.js': '' }))).rejects.toMatchObject({ code: 'missing_function_config', details: { function: 'a' } });
    await expect(readFunctions(memoryTree({ 'functions/a.func/.vc-config.json': '{' }))).rejects.toMatchObject({ code: 'invalid_function_config', details: { function: 'a' } });
  });

  test.each([['../secret', 'node_modules/x/index.js'], ['ok.js', '../../etc/passwd'], ['ok.js', '/etc/passwd']])('filePathMap %s → %s is refused', async (inFn, inProject) => {
    const tree = memoryTree({ 'functions/a.func/.vc-config.json': JSON.stringify(node({ filePathMap: { [inFn]: inProject } })) });
    await expect(readFunctions(tree)).rejects.toMatchObject({ code: 'unsafe_file_path_map' });
  });

  test('a handler path leaving the function directory is refused', async () => {
    const tree = memoryTree({ 'functions/a.func/.vc-config.json': JSON.stringify(node({ handler: '../b.func/index.js' })) });
    await expect(readFunctions(tree)).rejects.toMatchObject({ code: 'invalid_function_config' });
  });

  test('the file-system tree follows real symlinks and refuses ones leaving the output', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-output-'));
    try {
      fs.mkdirSync(path.join(root, 'functions/api/a.func'), { recursive: true });
      fs.writeFileSync(path.join(root, 'functions/api/a.func/.vc-config.json'), cfg);
      fs.symlinkSync('a.func', path.join(root, 'functions/api/b.func'));
      const { functions } = await readFunctions(fsOutputTree(root));
      expect(functions.map((f) => [f.name, f.paths])).toEqual([['api/a', ['api/a', 'api/b']]]);

      fs.symlinkSync(os.tmpdir(), path.join(root, 'functions/out.func'));
      await expect(readFunctions(fsOutputTree(root))).rejects.toMatchObject({ code: 'function_link_outside_output' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
