import { describe, expect, test } from 'vitest';
import { CapabilitySet } from '../../../local/sandbox/capabilities.ts';

const api = (path: string) => new URL(`http://127.0.0.1:4000${path}`);
const presigned = 'http://localhost:4566/bucket/blobs/team_a/abc?X-Amz-Signature=1&X-Amz-Expires=900';

describe('CapabilitySet: a sandbox follows exactly the URLs its service handed it', () => {
  test('a redirect grants its Location for the redirected method (and HEAD for GET), nothing else', () => {
    const caps = new CapabilitySet();
    caps.observe({ method: 'GET', url: api('/v1/builds/dpl_1/source/abc') }, { status: 307, location: presigned });
    expect(caps.allows('GET', new URL(presigned))).toBe(true);
    expect(caps.allows('HEAD', new URL(presigned))).toBe(true);
    for (const method of ['PUT', 'DELETE', 'POST']) expect(caps.allows(method, new URL(presigned))).toBe(false);
    // Another key, another query, the emulator's own API: refused.
    expect(caps.allows('GET', new URL(presigned.replace('abc', 'other')))).toBe(false);
    expect(caps.allows('GET', new URL(presigned.replace('Expires=900', 'Expires=901')))).toBe(false);
    expect(caps.allows('GET', new URL('http://localhost:4566/moto-api/data.json'))).toBe(false);
  });

  test('URLs in a JSON answer to a POST are upload (PUT) grants; to a GET, read grants', () => {
    const caps = new CapabilitySet();
    caps.observe({ method: 'POST', url: api('/v1/builds/dpl_1/missing') }, { status: 200, json: { missing: ['abc'], uploads: { abc: presigned } } });
    expect(caps.allows('PUT', new URL(presigned))).toBe(true);
    expect(caps.allows('GET', new URL(presigned))).toBe(false);
    caps.observe({ method: 'GET', url: api('/v1/builds/dpl_1/job') }, { status: 200, json: { source: { type: 'tarball', url: 'http://localhost:4003/t.tar.gz', sha: 'x' } } });
    expect(caps.allows('GET', new URL('http://127.0.0.1:4003/t.tar.gz'))).toBe(true);
    expect(caps.allows('PUT', new URL('http://127.0.0.1:4003/t.tar.gz'))).toBe(false);
  });

  test('an https URL grants a tunnel to its host and port only', () => {
    const caps = new CapabilitySet();
    caps.observe({ method: 'GET', url: api('/v1/builds/dpl_1/tarball') }, { status: 302, location: 'https://codeload.github.com/o/r/tar.gz/sha?token=x' });
    expect(caps.allowsTunnel('codeload.github.com', 443)).toBe(true);
    expect(caps.allowsTunnel('api.github.com', 443)).toBe(false);
  });
});
