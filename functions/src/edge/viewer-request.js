import cf from 'cloudfront';

// Runway edge router, CloudFront Function (cloudfront-js-2.0, viewer-request). Deployed as is.
// KVS: "<host>" -> "<deploymentId>[ <configKey>]"; "c:<configKey>" -> compiled config (core/routing/config.ts).
// Runtime subset only: no for-of, spread, destructuring, ?. or ??; awaits only in handler.
const kvs = cf.kvs();

const NOT_FOUND =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>404: Not found</title>' +
  '<body style="font:16px system-ui;text-align:center;padding:4em"><h1>404</h1>' +
  '<p>No deployment at this address.</p></body></html>';
const EXT = /\.\w+$/; // last segment has a file extension

function reply(code, headers, body) {
  const r = { statusCode: code, headers: { 'x-content-type-options': { value: 'nosniff' } } };
  for (const k in headers) r.headers[k] = { value: headers[k] };
  if (body) r.body = { encoding: 'text', data: body };
  return r;
}

function fail(code, text) {
  return reply(code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, text);
}

// True when the path could leave /d/<id>/ once S3 decodes it (S3 decodes exactly once).
// Any "..", even inside a name, is refused: simpler to prove than segment rules.
function unsafe(p) {
  let d;
  try {
    d = decodeURIComponent(p);
  } catch (e) {
    return true; // malformed escape
  }
  return /%2f|%5c/i.test(p) || /[\\\x00-\x1f\x7f]/.test(d) || /\.\.|(^|\/)\.(\/|$)/.test(d);
}

function redirect(code, loc, q) {
  if (loc[0] === '/') loc = loc.replace(/^[\/\\]+/, '/'); // never protocol-relative ("//evil.example")
  const a = [];
  for (const k in q) {
    const m = q[k].multiValue || [q[k]];
    for (let i = 0; i < m.length; i++) a.push(m[i].value === '' ? k : k + '=' + m[i].value);
  }
  if (a.length) loc += (loc.indexOf('?') < 0 ? '?' : '&') + a.join('&'); // values arrive still encoded
  return reply(code, { location: loc });
}

// First rule whose regex matches p: [p with the destination template applied, rule[2]].
function match(rules, p) {
  rules = rules || [];
  for (let i = 0; i < rules.length; i++) {
    const re = new RegExp('^' + rules[i][0] + '$');
    if (re.test(p)) return [p.replace(re, rules[i][1]), rules[i][2]];
  }
  return null;
}

// get() rejects for a missing key: an unknown host is "".
async function get(k) {
  try {
    return await kvs.get(k);
  } catch (e) {
    return '';
  }
}

async function handler(event) {
  const req = event.request;
  const h = req.headers;
  const host = h.host ? h.host.value.toLowerCase().replace(/:\d*$/, '') : '';
  let v = '';
  if (/^[a-z0-9.-]{1,253}$/.test(host)) {
    // Custom domains (core/domain): exact host, else "*.<parent>"; "@<host>" serves that host's
    // deployment (promote/rollback move it), "><code> <origin>" redirects keeping path + query.
    v = (await get(host)) || (await get(host.replace(/^[^.]+\./, '*.')));
    if (v[0] === '@') v = await get(v.slice(1));
    const d = /^>(30[1278]) (https?:\/\/[a-z0-9.:-]+)$/.exec(v);
    if (d) return redirect(+d[1], d[2] + req.uri, req.querystring);
  }
  const m = /^([\w-]{1,64})(?: ([0-9a-f]{1,64}))?$/.exec(v);
  if (!m) return reply(404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, NOT_FOUND);
  let c = {};
  if (m[2]) {
    try {
      c = (await kvs.get('c:' + m[2], { format: 'json' })) || {};
    } catch (e) {
      // Written before the host entry; missing only until KVS converges. Never serve without it.
      return fail(503, 'Service Unavailable');
    }
  }
  if (req.uri.length > 1024) return fail(414, 'URI Too Long');
  if (req.uri[0] !== '/' || unsafe(req.uri)) return fail(400, 'Bad Request');
  const path = req.uri.replace(/\/{2,}/g, '/');
  const q = req.querystring;

  // Canonical URL, Vercel semantics, one 308 instead of a chain: cleanUrls drops ".html" and
  // "/index.html"; trailingSlash true adds "/" to extension-less paths, false removes it.
  let n = path;
  if (c.c && n.slice(-5) === '.html') {
    n = n.slice(0, -5).replace(/\/index$/, '/');
    if (c.t !== 1 && n.length > 1) n = n.replace(/\/$/, '');
  }
  if (c.t === 1 && n.slice(-1) !== '/' && !EXT.test(n)) n += '/';
  if (c.t === 0 && n.length > 1) n = n.replace(/\/$/, '');
  if (n !== path) return redirect(308, n, q);

  const r = match(c.r, path);
  if (r) return redirect(r[1] || 308, r[0], q);

  // Vercel checks the filesystem before rewrites; a function cannot, so a path with an extension
  // counts as a file and only literal-source rewrites (flag 1) apply to it.
  let p = path;
  const w = match((c.w || []).filter((x) => x[2] || !EXT.test(path)), path);
  if (w) p = w[0];
  // Directory index: "/docs/" -> docs/index.html (cleanUrls + trailingSlash: docs.html).
  // Extension-less "/docs": SPA -> /index.html; cleanUrls -> docs.html; else docs/index.html
  // (Vercel serves a directory's index there without redirecting).
  if (p.slice(-1) === '/') p = c.c && c.t === 1 && p !== '/' ? p.slice(0, -1) + '.html' : p + 'index.html';
  else if (!EXT.test(p)) p = c.s ? '/index.html' : c.c ? p + '.html' : p + '/index.html';
  if (p[0] !== '/' || unsafe(p)) return fail(400, 'Bad Request');

  req.uri = '/d/' + m[1] + p;
  h['x-runway-deployment'] = { value: m[1] };
  h['x-runway-path'] = { value: path };
  if (m[2]) h['x-runway-config'] = { value: m[2] };
  else delete h['x-runway-config'];
  return req;
}
