import type { CertificateInfo, DnsRecord, DomainStatus } from './schema.ts';

/** A custom domain as stored. `name` is ASCII; one record per (project, name). */
export interface DomainRecord {
  id: string;
  name: string;
  teamId: string;
  projectId: string;
  gitBranch?: string | undefined;
  redirect?: string | undefined;
  redirectStatusCode?: number | undefined;
  status: DomainStatus;
  /** Records with what DNS answered at the last check. */
  records: DnsRecord[];
  certificate?: CertificateInfo | undefined;
  /** The attachment (distribution tenant) id serving the domain, once attached. */
  attachmentId?: string | undefined;
  notice?: string | undefined;
  checkedAt?: string | undefined;
  verifiedAt?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

/** Custom domains by project, and every domain for the scheduled check. */
export interface DomainRepository {
  /** @returns false when the project has a domain of that name already (nothing written) */
  create(record: DomainRecord): Promise<boolean>;
  get(projectId: string, name: string): Promise<DomainRecord | undefined>;
  /** Every domain of a project, by name. */
  ofProject(projectId: string): Promise<DomainRecord[]>;
  /** The records of one name in every project (a name may be pending in several). */
  byName(name: string): Promise<DomainRecord[]>;
  /** One page of every domain, for the scheduled check; pass `next` back to continue. */
  all(cursor?: string): Promise<{ items: DomainRecord[]; next?: string | undefined }>;
  /** Replaces the record (it exists). */
  put(record: DomainRecord): Promise<void>;
  delete(projectId: string, name: string): Promise<void>;
  /**
   * The team's ownership token (the value of `_runway-challenge.<domain>`), created on first
   * use with `fresh` when the team has none (a conditional create: concurrent first uses agree).
   */
  teamToken(teamId: string, fresh: string): Promise<string>;
}
