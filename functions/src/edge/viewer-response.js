// Runway viewer-response, CloudFront Function (cloudfront-js-2.0). Deployed as is.
// The router answers with "s-maxage" so that CloudFront keeps a response for the deployment's
// lifetime (its cache key names the deployment); browsers and other shared caches must not see it:
// the same URL serves another deployment after a promote. CloudFront runs this for status < 400.
async function handler(event) {
  const res = event.response;
  const cc = res.headers['cache-control'];
  if (cc) {
    const v = cc.value.replace(/,?\s*s-maxage=\d+/i, '').replace(/^\s*,\s*/, '');
    if (v) cc.value = v;
    else delete res.headers['cache-control'];
  }
  return res;
}
