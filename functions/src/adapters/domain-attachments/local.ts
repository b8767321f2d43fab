import { randomUUID } from 'node:crypto';
import type { AttachmentState, DnsResolver, DomainAttachments } from '#core/ports';

interface LocalAttachment {
  domain: string;
  issued: boolean;
}

/**
 * The local twin of CloudFront SaaS Manager's tenants (moto has no CloudFront tenant API): an
 * attachment per domain whose certificate is issued, as CloudFront's HTTP validation does, once
 * the domain's CNAME (or flattened addresses) point at the routing endpoint `target`; until then
 * it stays pending. `calls` counts the control-plane calls, as the bench reports them.
 */
export class LocalDomainAttachments implements DomainAttachments {
  readonly calls = { attach: 0, state: 0, detach: 0 };
  private readonly attachments = new Map<string, LocalAttachment>();

  constructor(
    private readonly dns: DnsResolver,
    private readonly routingEndpoint: string,
  ) {}

  async target(): Promise<string> {
    return this.routingEndpoint;
  }

  async attach(domain: string): Promise<AttachmentState> {
    this.calls.attach++;
    const existing = [...this.attachments.entries()].find(([, a]) => a.domain === domain);
    const id = existing?.[0] ?? `dt_${randomUUID().replace(/-/g, '')}`;
    if (!existing) this.attachments.set(id, { domain, issued: false });
    return this.validate(id);
  }

  async state(id: string): Promise<AttachmentState | undefined> {
    this.calls.state++;
    return this.attachments.has(id) ? this.validate(id) : undefined;
  }

  async detach(id: string): Promise<void> {
    this.calls.detach++;
    this.attachments.delete(id);
  }

  /** HTTP validation: the domain must reach the routing endpoint (a wildcard is validated by its TXT proof). */
  private async validate(id: string): Promise<AttachmentState> {
    const attachment = this.attachments.get(id) as LocalAttachment;
    if (!attachment.issued) {
      if (attachment.domain.startsWith('*.')) attachment.issued = true;
      else {
        const cnames = await this.dns.cname(attachment.domain);
        const [mine, endpoint] = cnames.length ? [[], []] : await Promise.all([this.dns.addresses(attachment.domain), this.dns.addresses(this.routingEndpoint)]);
        attachment.issued = cnames.includes(this.routingEndpoint) || (mine.length > 0 && mine.every((a) => endpoint.includes(a)));
      }
    }
    return { id, certificate: attachment.issued ? 'issued' : 'pending' };
  }
}
