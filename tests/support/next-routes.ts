import { compileBuildOutputConfig, type BuildOutputConfig, type Route } from '../../functions/src/core/routing/config.ts';

/**
 * A Next-sized deployment for guards and benches: a realistic vercel.json (redirects with params
 * and `has`, header rules, rewrites, cleanUrls, trailingSlash) compiled by @vercel/routing-utils,
 * followed by the phases @vercel/next writes for an app with dynamic pages (`_next/data` routes,
 * a `miss` route for missing static chunks, dynamic routes with named groups in `rewrite`,
 * immutable caching in `hit`, the 404 page in `error`). At least 200 routes and 2,000 files.
 */
export interface NextSizedDeployment {
  config: BuildOutputConfig;
  files: string[];
  /** Request paths that exercise each part of the table. */
  paths: string[];
}

const BUILD_ID = 'aB3dE5fG7hI9';
const SECTIONS = ['blog', 'docs', 'shop', 'news', 'help', 'careers', 'events', 'press', 'legal', 'learn', 'guides', 'partners', 'stories', 'labs'];

export function nextSizedDeployment(): NextSizedDeployment {
  const redirects = [
    ...SECTIONS.flatMap((s, i) => [
      { source: `/${s}-old/:slug`, destination: `/${s}/:slug`, permanent: true },
      { source: `/${s}/archive/:year(\\d{4})/:month(\\d{2})/:slug*`, destination: `/${s}/:slug*`, permanent: false },
      { source: `/legacy/${s}/:path*`, destination: `https://legacy.example.com/${s}/:path*`, permanent: true },
      { source: `/${s}/page/:n`, has: [{ type: 'query' as const, key: 'ref', value: `(?<ref>partner|ad${i})` }], destination: `/${s}?n=:n&ref=:ref`, permanent: false },
      { source: `/${s}/beta/:path*`, missing: [{ type: 'cookie' as const, key: 'beta' }], destination: `/${s}`, permanent: false },
    ]),
    ...Array.from({ length: 20 }, (_, i) => ({ source: `/promo-${i}`, destination: `/shop/item-${i}`, statusCode: 302 as const })),
  ];
  const headers = [
    { source: '/(.*)', headers: [{ key: 'X-Frame-Options', value: 'DENY' }, { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' }] },
    ...SECTIONS.map((s) => ({ source: `/${s}/:path*`, headers: [{ key: 'X-Section', value: s }] })),
    { source: '/fonts/(.*)', headers: [{ key: 'Cache-Control', value: 'public, max-age=31536000, immutable' }] },
    { source: '/api/:path*', has: [{ type: 'header' as const, key: 'origin', value: 'https://(?<site>[a-z]+)\\.example\\.com' }], headers: [{ key: 'Access-Control-Allow-Origin', value: 'https://:site.example.com' }] },
  ];
  const rewrites = [
    { source: '/api/:path*', destination: 'https://api.example.com/:path*' },
    ...SECTIONS.map((s) => ({ source: `/${s}/feed`, destination: `/${s}/feed.xml` })),
    { source: '/sitemap', destination: '/sitemap.xml' },
  ];
  const files: string[] = ['index.html', '404.html', '500.html', 'sitemap.xml', 'favicon.ico', 'robots.txt'];
  for (const s of SECTIONS) {
    files.push(`${s}/index.html`, `${s}/feed.xml`, `${s}/[slug].html`);
    for (let i = 0; i < 45; i++) files.push(`${s}/post-${i}.html`, `_next/data/${BUILD_ID}/${s}/post-${i}.json`);
  }
  const chunk = (i: number): string => `_next/static/chunks/${i.toString(36)}-${(i * 7919).toString(16).padStart(8, '0')}.js`;
  for (let i = 0; i < 600; i++) files.push(chunk(i));
  for (let i = 0; i < 100; i++) files.push(`_next/static/css/${(i * 104729).toString(16)}.css`, `fonts/font-${i}.woff2`);

  const compiled = compileBuildOutputConfig({ vercelJson: { cleanUrls: true, trailingSlash: false, redirects, headers, rewrites }, files });
  const user = compiled.routes ?? [];
  const fsAt = user.findIndex((r) => 'handle' in r && r.handle === 'filesystem');
  const beforeFs = fsAt < 0 ? user : user.slice(0, fsAt);
  const afterFs = fsAt < 0 ? [] : user.slice(fsAt + 1);

  const dynamic: Route[] = SECTIONS.flatMap((s) => [
    { src: `^/_next/data/${BUILD_ID}/${s}/(?<slug>[^/]+?)\\.json$`, dest: `/_next/data/${BUILD_ID}/${s}/[slug].json?slug=$slug`, check: true },
    { src: `^/${s}/(?<slug>[^/]+?)(?:/)?$`, dest: `/${s}/[slug]?slug=$slug`, check: true },
    { src: `^/${s}/(?<slug>[^/]+?)/comments/(?<id>\\d+)(?:/)?$`, dest: `/${s}/[slug]?slug=$slug&id=$id`, check: true },
    { src: `^/${s}/tag/(?<tag>[^/]+?)(?:/)?$`, dest: `/${s}/[slug]?tag=$tag`, check: true },
  ]);
  const routes: Route[] = [
    ...beforeFs,
    { src: `^/_next/data/${BUILD_ID}/(.*)\\.json$`, dest: '/$1', has: [{ type: 'header', key: 'x-nextjs-data' }], continue: true },
    { src: '^/index(?:/)?$', has: [{ type: 'header', key: 'x-nextjs-data' }], dest: '/', continue: true },
    { handle: 'filesystem' },
    ...afterFs,
    { src: `^/_next/data/${BUILD_ID}/index\\.json$`, dest: '/index.html', check: true },
    { handle: 'resource' },
    { handle: 'miss' },
    { src: '^/_next/static/(?:[^/]+/pages|pages|chunks|runtime|css|image|media)/.+$', status: 404, check: true, dest: '$0' },
    { handle: 'rewrite' },
    ...dynamic,
    { handle: 'hit' },
    { src: `^/_next/static/(?:[^/]+/pages|pages|chunks|runtime|css|image|media|${BUILD_ID})/.+$`, headers: { 'cache-control': 'public,max-age=31536000,immutable' }, continue: true, important: true },
    ...SECTIONS.map((s): Route => ({ src: `^/${s}/(?<slug>[^/]+?)(?:/)?$`, headers: { 'x-matched-path': `/${s}/[slug]` }, continue: true, important: true })),
    { handle: 'error' },
    { src: '^/.*$', dest: '/404', status: 404 },
    { src: '^/.*$', dest: '/500', status: 500 },
  ];
  // `[slug].html` under cleanUrls is served as `[slug]`, as Next's prerendered fallbacks are.
  const config: BuildOutputConfig = { ...compiled, routes };
  const paths = [
    '/',
    '/blog',
    '/blog/post-7',
    '/blog/some-new-post',
    '/docs/post-3/comments/12',
    '/shop/tag/sale',
    '/blog-old/hello',
    '/news/archive/2024/05/a/b',
    '/legacy/press/2020/x',
    '/help/page/3?ref=partner',
    `/${chunk(123)}`,
    '/_next/static/chunks/missing.js',
    `/_next/data/${BUILD_ID}/blog/post-1.json`,
    '/fonts/font-3.woff2',
    '/promo-17',
    '/learn/feed',
    '/no/such/page',
    '/api/users/1',
  ];
  return { config, files, paths };
}
