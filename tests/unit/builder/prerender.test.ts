import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materializePrerenderFallbacks } from '../../../functions/src/builder/prerender.ts';
import { tempDir, writeTree } from './helpers.ts';

describe('prerender fallbacks become static files at their function paths', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  const fnFiles = (name: string) => ({ [`functions/${name}.func/.vc-config.json`]: '{}' });

  it("serves Next.js' HTML fallbacks (FileFsRef), the root page at index.html, and leaves .rsc payloads to the function", async () => {
    await writeTree(dir, {
      'static/_next/static/a.js': 'js',
      ...fnFiles('isr'),
      'functions/isr.prerender-config.json': JSON.stringify({ expiration: 60, fallback: { type: 'FileFsRef', mode: 33188, fsPath: 'isr.prerender-fallback.html' } }),
      'functions/isr.prerender-fallback.html': '<p>built</p>',
      'functions/isr.rsc.prerender-config.json': JSON.stringify({ fallback: { type: 'FileFsRef', fsPath: 'isr.rsc.prerender-fallback.rsc' } }),
      'functions/isr.rsc.prerender-fallback.rsc': '0:rsc',
      ...fnFiles('index'),
      'functions/index.prerender-config.json': JSON.stringify({ fallback: 'index.prerender-fallback.html' }),
      'functions/index.prerender-fallback.html': '<p>home</p>',
      ...fnFiles('blog/post'),
      'functions/blog/post.prerender-config.json': JSON.stringify({ fallback: 'post.prerender-fallback.html' }),
      'functions/blog/post.prerender-fallback.html': '<p>post</p>',
    });
    expect(await materializePrerenderFallbacks(dir)).toEqual([
      { name: 'blog/post', path: 'blog/post/index.html' },
      { name: 'index', path: 'index.html' },
      { name: 'isr', path: 'isr/index.html' },
    ]);
    expect(await readFile(path.join(dir, 'static/isr/index.html'), 'utf8')).toBe('<p>built</p>');
    expect(await readFile(path.join(dir, 'static/index.html'), 'utf8')).toBe('<p>home</p>');
    expect(await readFile(path.join(dir, 'static/blog/post/index.html'), 'utf8')).toBe('<p>post</p>');
  });

  it('a prerender without a fallback (SvelteKit ISR without prerendering) stays a function; a static file already there wins', async () => {
    await writeTree(dir, {
      'static/page.html': 'x',
      'static/kept': 'the static file',
      'functions/isr.prerender-config.json': JSON.stringify({ expiration: 60, allowQuery: ['__pathname'] }),
      'functions/kept.prerender-config.json': JSON.stringify({ fallback: 'kept.prerender-fallback.html' }),
      'functions/kept.prerender-fallback.html': 'fallback',
    });
    expect(await materializePrerenderFallbacks(dir)).toEqual([]);
    expect(await readFile(path.join(dir, 'static/kept'), 'utf8')).toBe('the static file');
  });

  it('refuses a fallback outside functions/ and an unreadable config, naming it', async () => {
    await writeTree(dir, { 'functions/x.prerender-config.json': JSON.stringify({ fallback: '../../secret.html' }) });
    await expect(materializePrerenderFallbacks(dir)).rejects.toThrow('the prerender fallback of x (../../secret.html) is outside functions/');
    await writeTree(dir, { 'functions/x.prerender-config.json': '{' });
    await expect(materializePrerenderFallbacks(dir)).rejects.toThrow('functions/x.prerender-config.json is not valid JSON');
  });

  it('an output without functions has nothing to do', async () => {
    await writeTree(dir, { 'static/index.html': 'x' });
    expect(await materializePrerenderFallbacks(dir)).toEqual([]);
  });
});
