import cf from 'cloudfront';

// Runway response headers, CloudFront Function (cloudfront-js-2.0, viewer-response). Deployed as is.
// Reads x-runway-path / x-runway-config, set by viewer-request, and "c:<configKey>" from the KVS.
// CloudFront skips this function when the origin answered >= 400 (origin-response covers 404s).
const kvs = cf.kvs();

// Content-hashed URLs only: after a promote the same URL serves other bytes unless it embeds a hash.
const HASHED = [
  /^\/_next\/static\//,
  /^\/(_astro|assets)\/(.*\/)?[^/]*[.-](?=\w*\d)\w{6,}\.\w+$/, // app.1a2b3c.js, index-BKq3x9Zs.js
  /[.-](?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\.\w+$/, // app.1a2b3c4d.js anywhere
];

async function handler(event) {
  const rh = event.request.headers;
  const res = event.response;
  const h = res.headers;
  const path = rh['x-runway-path'] ? rh['x-runway-path'].value : event.request.uri;
  const html = h['content-type'] && /^text\/html/i.test(h['content-type'].value);
  const hashed = !html && HASHED.some((re) => re.test(path));
  h['cache-control'] = { value: hashed ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate' };
  h['x-content-type-options'] = { value: 'nosniff' };

  let c = null;
  if (rh['x-runway-config']) {
    try {
      c = await kvs.get('c:' + rh['x-runway-config'].value, { format: 'json' });
    } catch (e) {
      // Entry gone mid-request (deployment rolled over): keep the defaults rather than fail the response.
    }
  }
  const rules = (c && c.h) || [];
  // Vercel semantics: every matching rule applies, later ones override, defaults above included.
  for (let i = 0; i < rules.length; i++) {
    if (new RegExp('^' + rules[i][0] + '$').test(path)) {
      for (const k in rules[i][1]) h[k] = { value: rules[i][1][k] };
    }
  }
  return res;
}
