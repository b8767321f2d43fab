import * as z from 'zod';
import { DomainId, ProjectId, TeamId, Timestamp } from '#core/schemas';

/**
 * Where a custom domain is in its life (README "Custom domains"):
 * `pending_verification` (the TXT proof is not in DNS yet) → `verified` (proof seen, host claimed)
 * → `certificate_pending` (routing record right, the certificate is being issued) → `active`;
 * `misconfigured` when the routing record is wrong (the record to fix and what DNS answered),
 * `certificate_failed` when the certificate could not be issued or renewed (with why), and
 * `detached` when the scheduled check found both the proof and the routing record gone, or
 * another team proved control and took it over (with a notice).
 */
export const DOMAIN_STATUSES = ['pending_verification', 'verified', 'certificate_pending', 'active', 'misconfigured', 'certificate_failed', 'detached'] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

/** Redirect status codes a redirect domain may answer with (Vercel's set). */
export const REDIRECT_STATUS_CODES = [301, 302, 307, 308] as const;

export const DnsRecord = z.strictObject({
  type: z.enum(['TXT', 'CNAME', 'A', 'AAAA', 'ALIAS']),
  name: z.string().describe('Fully qualified record name (ASCII)'),
  value: z.string(),
  purpose: z.enum(['ownership', 'routing']),
  ok: z.boolean().optional().describe('Whether DNS answered with this value at the last check'),
  found: z.array(z.string()).optional().describe('What DNS answered at the last check (empty: no such record)'),
});
export type DnsRecord = z.infer<typeof DnsRecord>;

export const CertificateInfo = z.strictObject({
  status: z.enum(['pending', 'issued', 'failed']),
  reason: z.string().optional().describe('Why it failed to issue or renew'),
});
export type CertificateInfo = z.infer<typeof CertificateInfo>;

export const DomainInfo = z.strictObject({
  id: DomainId,
  name: z.string().describe('ASCII (punycode) form, as served'),
  displayName: z.string().describe('Unicode form, as people read it'),
  projectId: ProjectId,
  teamId: TeamId,
  wildcard: z.boolean(),
  apex: z.boolean(),
  gitBranch: z.string().optional().describe('Serves the newest READY deployment of this branch instead of production'),
  redirect: z.string().optional().describe('Another domain of the project this one redirects to (path and query kept)'),
  redirectStatusCode: z.union(REDIRECT_STATUS_CODES.map((c) => z.literal(c))).optional(),
  status: z.enum(DOMAIN_STATUSES),
  verified: z.boolean(),
  records: z.array(DnsRecord).describe('The DNS records to create, with what DNS answered at the last check'),
  certificate: CertificateInfo.optional(),
  notice: z.string().optional().describe('Why the domain was detached'),
  checkedAt: Timestamp.optional(),
  verifiedAt: Timestamp.optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type DomainInfo = z.infer<typeof DomainInfo>;

const RedirectStatusCode = z.union(REDIRECT_STATUS_CODES.map((c) => z.literal(c))).describe('301, 302, 307 or 308 (default 308)');
const Branch = z.string().min(1).max(255).regex(/^[^\s~^:?*[\\]+$/, 'must be a git branch name');

export const CreateDomainBody = z.strictObject({
  name: z.string().min(1).max(300).describe('e.g. www.example.com, bücher.example, *.example.com'),
  gitBranch: Branch.optional(),
  redirect: z.string().min(1).max(300).optional(),
  redirectStatusCode: RedirectStatusCode.optional(),
});
export type CreateDomainBody = z.infer<typeof CreateDomainBody>;

export const UpdateDomainBody = z.strictObject({
  gitBranch: Branch.nullable().optional().describe('null: serve production'),
  redirect: z.string().min(1).max(300).nullable().optional().describe('null: serve the project'),
  redirectStatusCode: RedirectStatusCode.optional(),
});
export type UpdateDomainBody = z.infer<typeof UpdateDomainBody>;
