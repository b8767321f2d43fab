import {
  CloudFrontClient,
  CreateDistributionTenantCommand,
  DeleteDistributionTenantCommand,
  EntityAlreadyExists,
  EntityNotFound,
  GetDistributionTenantByDomainCommand,
  GetDistributionTenantCommand,
  GetManagedCertificateDetailsCommand,
  UpdateDistributionTenantCommand,
  type ManagedCertificateStatus,
} from '@aws-sdk/client-cloudfront';
import { NotConfiguredError } from '#core/errors';
import type { AttachmentState, DomainAttachments } from '#core/ports';
import { config } from '#lib/config';

export interface CloudFrontSaasOptions {
  distributionId: string;
  connectionGroupId: string;
  /** The connection group's routing endpoint (`dxxxx.cloudfront.net`), a stack output. */
  routingEndpoint: string;
  client?: Pick<CloudFrontClient, 'send'>;
}

/** CloudFront's managed-certificate states that mean "will not issue without a change". */
const FAILED: ReadonlySet<ManagedCertificateStatus> = new Set(['failed', 'validation-timed-out', 'revoked', 'expired', 'inactive']);

/**
 * Custom domains as CloudFront SaaS Manager distribution tenants: one tenant per domain on the
 * platform's multi-tenant distribution, in its connection group, with a CloudFront-managed
 * certificate validated over HTTP (`ValidationTokenHost: cloudfront`) once the domain's CNAME
 * points at the connection group's routing endpoint; CloudFront renews it while that stays so
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/managed-cloudfront-certificates.html).
 * Tenants inherit the distribution's viewer-request function and KeyValueStore, so serving a
 * domain needs nothing else. `calls` counts control-plane requests (for the bench).
 */
export class CloudFrontSaasAttachments implements DomainAttachments {
  readonly calls = { attach: 0, state: 0, detach: 0 };
  private readonly client: Pick<CloudFrontClient, 'send'>;

  constructor(private readonly options: CloudFrontSaasOptions) {
    this.client = options.client ?? new CloudFrontClient({});
  }

  async target(): Promise<string> {
    return this.options.routingEndpoint;
  }

  async attach(domain: string): Promise<AttachmentState> {
    this.calls.attach++;
    let id: string | undefined;
    try {
      const created = await this.client.send(
        new CreateDistributionTenantCommand({
          DistributionId: this.options.distributionId,
          ConnectionGroupId: this.options.connectionGroupId,
          Name: tenantName(domain),
          Domains: [{ Domain: domain }],
          ManagedCertificateRequest: { ValidationTokenHost: 'cloudfront', PrimaryDomainName: domain },
          Enabled: true,
        }),
      );
      id = created.DistributionTenant?.Id;
    } catch (error) {
      if (!(error instanceof EntityAlreadyExists)) throw error;
      this.calls.attach++;
      const found = await this.client.send(new GetDistributionTenantByDomainCommand({ Domain: domain }));
      id = found.DistributionTenant?.Id;
    }
    if (!id) throw new Error(`CloudFront returned no tenant id for ${domain}`);
    return (await this.state(id)) ?? { id, certificate: 'pending' };
  }

  async state(id: string): Promise<AttachmentState | undefined> {
    this.calls.state++;
    try {
      const { ManagedCertificateDetails: details } = await this.client.send(new GetManagedCertificateDetailsCommand({ Identifier: id }));
      const status = details?.CertificateStatus;
      if (status === 'issued') return { id, certificate: 'issued' };
      if (status && FAILED.has(status)) return { id, certificate: 'failed', reason: `CloudFront reports the managed certificate ${status}` };
      return { id, certificate: 'pending' };
    } catch (error) {
      if (error instanceof EntityNotFound) return undefined;
      throw error;
    }
  }

  /** Disables the tenant, then deletes it (CloudFront deletes only disabled tenants). */
  async detach(id: string): Promise<void> {
    this.calls.detach++;
    try {
      let { DistributionTenant: tenant, ETag: etag } = await this.client.send(new GetDistributionTenantCommand({ Identifier: id }));
      if (tenant?.Enabled) {
        this.calls.detach++;
        const updated = await this.client.send(
          new UpdateDistributionTenantCommand({ Id: id, IfMatch: etag, DistributionId: tenant.DistributionId, Domains: tenant.Domains?.map((d) => ({ Domain: d.Domain })), Enabled: false }),
        );
        etag = updated.ETag;
      }
      this.calls.detach++;
      await this.client.send(new DeleteDistributionTenantCommand({ Id: id, IfMatch: etag }));
    } catch (error) {
      if (error instanceof EntityNotFound) return;
      throw error;
    }
  }
}

/** Tenant names: 3-128 of `a-zA-Z0-9.-_`, so the domain itself with `*` spelled out. */
function tenantName(domain: string): string {
  return domain.replace(/^\*\./, 'wildcard.').slice(0, 128);
}

/**
 * The attachments of the installation, from its configuration (the edge stack's outputs).
 * @throws NotConfiguredError `domains_not_configured` when the stack has no connection group
 */
export function cloudFrontSaasFromConfig(): CloudFrontSaasAttachments {
  const { RUNWAY_DISTRIBUTION_ID: distributionId, RUNWAY_CONNECTION_GROUP_ID: connectionGroupId, RUNWAY_DOMAIN_TARGET: routingEndpoint } = config();
  if (!distributionId || !connectionGroupId || !routingEndpoint) {
    throw new NotConfiguredError('domains_not_configured', 'Custom domains are not set up in this installation (no connection group)');
  }
  return new CloudFrontSaasAttachments({ distributionId, connectionGroupId, routingEndpoint });
}
