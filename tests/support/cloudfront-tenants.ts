import { EntityNotFound } from '@aws-sdk/client-cloudfront';
import type { DnsResolver } from '../../functions/src/core/ports.ts';

/**
 * A stand-in for CloudFront's tenant API behind the real SDK client interface (moto has none):
 * records every command the SaaS adapter sends, keeps tenants, and issues a tenant's certificate
 * once its domain's CNAME resolves to `target` (CloudFront's HTTP validation). For the attachments
 * contract test and the bench's call counts.
 */
export function recordingCloudFront(dns: DnsResolver, target: string) {
  const sent: string[] = [];
  const tenants = new Map<string, { domain: string; enabled: boolean }>();
  let next = 0;
  const send = async (command: { constructor: { name: string }; input: any }) => {
    const name = command.constructor.name.replace(/Command$/, '');
    sent.push(name);
    const input = command.input;
    // CloudFront answers EntityNotFound for a tenant it does not have.
    const id = input.Identifier ?? input.Id;
    if (name !== 'CreateDistributionTenant' && !tenants.has(id)) throw new EntityNotFound({ message: `No tenant ${id}`, $metadata: {} });
    switch (name) {
      case 'CreateDistributionTenant': {
        const id = `dt_${++next}`;
        tenants.set(id, { domain: input.Domains[0].Domain, enabled: true });
        return { DistributionTenant: { Id: id }, ETag: 'e1' };
      }
      case 'GetManagedCertificateDetails': {
        const t = tenants.get(input.Identifier);
        const ok = t && (await dns.cname(t.domain)).includes(target);
        return { ManagedCertificateDetails: { CertificateStatus: ok ? 'issued' : 'pending-validation' } };
      }
      case 'GetDistributionTenant': {
        const t = tenants.get(input.Identifier);
        return { DistributionTenant: { Id: input.Identifier, Enabled: t?.enabled, DistributionId: 'E1', Domains: [{ Domain: t?.domain }] }, ETag: 'e1' };
      }
      case 'UpdateDistributionTenant':
        tenants.get(input.Id)!.enabled = false;
        return { ETag: 'e2' };
      case 'DeleteDistributionTenant':
        tenants.delete(input.Id);
        return {};
      default:
        throw new Error(`unexpected CloudFront call ${name}`);
    }
  };
  return { sent, client: { send } as never };
}

