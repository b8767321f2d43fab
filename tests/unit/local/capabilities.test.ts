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

  test('URLs in a JSON answer to a POST are upload (PUT) grants; a GET answer grants nothing (its strings may be the tenant\'s)', () => {
    const caps = new CapabilitySet();
    caps.observe({ method: 'POST', url: api('/v1/builds/dpl_1/missing') }, { status: 200, json: { missing: ['abc'], uploads: { abc: presigned } } });
    expect(caps.allows('PUT', new URL(presigned))).toBe(true);
    expect(caps.allows('GET', new URL(presigned))).toBe(false);
    // The job carries the project's env vars: a value naming the emulator's own API is not a grant.
    const planted = { env: { LINK: 'http://localhost:4566/moto-api/data.json', TUNNEL: 'https://127.0.0.1:4566/' } };
    caps.observe({ method: 'GET', url: api('/v1/builds/dpl_1/job') }, { status: 200, json: planted });
    for (const method of ['GET', 'HEAD', 'PUT']) expect(caps.allows(method, new URL(planted.env.LINK))).toBe(false);
    expect(caps.allowsTunnel('127.0.0.1', 4566)).toBe(false);
  });

  test('an https URL grants a tunnel to its host and port only', () => {
    const caps = new CapabilitySet();
    caps.observe({ method: 'GET', url: api('/v1/builds/dpl_1/tarball') }, { status: 302, location: 'https://codeload.github.com/o/r/tar.gz/sha?token=x' });
    expect(caps.allowsTunnel('codeload.github.com', 443)).toBe(true);
    expect(caps.allowsTunnel('api.github.com', 443)).toBe(false);
    caps.observe({ method: 'GET', url: api('/v1/builds/dpl_1/tarball') }, { status: 302, location: 'https://[::1]:8443/t' });
    expect(caps.allowsTunnel('::1', 8443)).toBe(true);
  });
});
