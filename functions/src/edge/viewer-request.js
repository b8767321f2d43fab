import cf from 'cloudfront';

// Runway viewer-request, CloudFront Function (cloudfront-js-2.0). Deployed as is.
// KVS: "<host>" -> "<deploymentId>" (a trailing " <key>" of older values is ignored).
// Maps the Host to its deployment and makes the cache key per deployment: the URI becomes
// "/d/<deploymentId><path>" (the query string stays, it is in the cache key too). Routing — which
// file, redirect or 404 — is the router's, in the origin-request Lambda@Edge, on cache misses.
// Runtime subset only: no for-of, spread, destructuring, ?. or ??; awaits only in handler.
const kvs = cf.kvs();

const NOT_FOUND =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>404: Not found</title>' +
  '<body style="font:16px system-ui;text-align:center;padding:4em"><h1>404</h1>' +
  '<p>No deployment at this address.</p></body></html>';

function reply(code, type, body) {
  return {
    statusCode: code,
    headers: {
      'content-type': { value: type },
      'cache-control': { value: 'no-store' },
      'x-content-type-options': { value: 'nosniff' },
    },
    body: { encoding: 'text', data: body },
  };
}

// A redirect domain's answer: the target origin + the request's path and query (values arrive still encoded).
function redirect(code, loc, q) {
  const a = [];
  for (const k in q) {
    const m = q[k].multiValue || [q[k]];
    for (let i = 0; i < m.length; i++) a.push(m[i].value === '' ? k : k + '=' + m[i].value);
  }
  if (a.length) loc += '?' + a.join('&');
  const r = reply(code, 'text/plain; charset=utf-8', '');
  r.headers.location = { value: loc };
  delete r.body;
  return r;
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
  const m = /^([\w-]{1,64})(?: [0-9a-f]{1,64})?$/.exec(v);
  if (!m) return reply(404, 'text/html; charset=utf-8', NOT_FOUND);
  if (req.uri.length > 1024) return reply(414, 'text/plain; charset=utf-8', 'URI Too Long');
  if (req.uri[0] !== '/') return reply(400, 'text/plain; charset=utf-8', 'Bad Request');

  // Headers the router trusts come from here only: drop any a viewer sent.
  for (const k in h) if (k.indexOf('x-runway-') === 0) delete h[k];
  h['x-runway-host'] = { value: host };
  // CloudFront hands Authorization to origin-request only if the cache policy keys on it; a header
  // added here is forwarded by the all-viewer-headers origin request policy. Functions get it back.
  if (h.authorization) h['x-runway-viewer-authorization'] = { value: h.authorization.value };
  req.uri = '/d/' + m[1] + req.uri;
  return req;
}
