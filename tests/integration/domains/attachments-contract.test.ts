import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NodeDnsResolver } from '../../../functions/src/adapters/dns/node.ts';
import { CloudFrontSaasAttachments } from '../../../functions/src/adapters/domain-attachments/cloudfront-saas.ts';
import { LocalDomainAttachments } from '../../../functions/src/adapters/domain-attachments/local.ts';
import type { DomainAttachments } from '../../../functions/src/core/ports.ts';
import { startDnsServer, type LocalDnsServer } from '../../../local/dns-server.ts';
import { recordingCloudFront } from '../../support/cloudfront-tenants.ts';

/**
 * One contract for the DomainAttachments port, run against the local twin and the CloudFront
 * SaaS Manager adapter (over the SDK client interface, CloudFront's tenant API recorded: moto has
 * none), both resolving through a real DNS server on loopback.
 */
const TARGET = 'd111111abcdef8.cloudfront.net';
let dns: LocalDnsServer;
let resolver: NodeDnsResolver;
beforeAll(async () => {
  dns = await startDnsServer();
  resolver = new NodeDnsResolver({ servers: [dns.address] });
});
afterAll(() => dns.close());

const implementations: Array<[string, () => DomainAttachments]> = [
  ['local twin', () => new LocalDomainAttachments(resolver, TARGET)],
  ['CloudFront SaaS Manager', () => new CloudFrontSaasAttachments({ distributionId: 'E1', connectionGroupId: 'cg_1', routingEndpoint: TARGET, client: recordingCloudFront(resolver, TARGET).client })],
];

let n = 0;
const domain = () => `www.contract-${process.pid}-${++n}.test`;

describe.each(implementations)('DomainAttachments: %s', (_name, make) => {
  test('the target is the routing endpoint', async () => {
    expect(await make().target()).toBe(TARGET);
  });

  test('a domain whose CNAME does not point at the endpoint stays pending; once it does, the certificate issues', async () => {
    const attachments = make();
    const name = domain();
    const pending = await attachments.attach(name);
    expect(pending.certificate).toBe('pending');
    dns.set(name, 'CNAME', [TARGET]);
    expect(await attachments.state(pending.id)).toEqual({ id: pending.id, certificate: 'issued' });
  });

  test('a detached attachment is gone (state undefined), and detaching again is no error', async () => {
    const attachments = make();
    const name = domain();
    dns.set(name, 'CNAME', [TARGET]);
    const attached = await attachments.attach(name);
    expect(attached.certificate).toBe('issued');
    await attachments.detach(attached.id);
    expect(await attachments.state(attached.id)).toBeUndefined();
    await attachments.detach(attached.id);
  });
});
