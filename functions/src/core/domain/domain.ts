import { Alias } from '#core/alias/index';
import { context } from '#core/context';
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from '#core/errors';
import { newId, randomBase36 } from '#core/ids';
import type { AttachmentState } from '#core/ports';
import { isApex, isUnder, parseDomainName, unicodeOf, type DomainName } from './name.ts';
import type { DomainRecord } from './repository.ts';
import type { CreateDomainBody, DnsRecord, DomainInfo, DomainStatus, UpdateDomainBody } from './schema.ts';

/**
 * Custom domains of a project (README "Custom domains"). Ownership comes first: a domain is
 * served only after DNS holds the team's token at `_runway-challenge.<domain>`; then its host is
 * claimed platform-wide (an alias of kind `custom`) and its edge entry points at the project's
 * production or branch host (`@<host>`, one more KVS read at the edge) or answers a redirect
 * (`><code> <origin>`). So promote and rollback, which rewrite the production host's entry only,
 * move every custom domain with no write of theirs and no CloudFront control-plane call.
 */

interface ProjectRef {
  id: string;
  teamId: string;
  name: string;
}

/** Name of the ownership TXT record of a domain (its base, without `*.`). */
export const challengeName = (base: string): string => `_runway-challenge.${base}`;

/** Default redirect status: permanent, method kept (Vercel's default for domain redirects). */
const DEFAULT_REDIRECT_STATUS = 308;

/**
 * Adds a domain to a project: `pending_verification` with the records to create, checked at
 * once (records already in DNS verify it right away).
 * @throws ValidationError `invalid_domain_name`, `platform_domain`, `invalid_redirect`
 * @throws ConflictError `domain_exists` (this project has it), `domain_in_use` (another project
 *   serves it and DNS does not hold this team's proof: `records` says what to publish)
 * @throws UnprocessableError `redirect_target_not_found`
 */
export async function add(project: ProjectRef, body: CreateDomainBody): Promise<DomainInfo> {
  const name = parse(body.name, 'invalid_domain_name');
  const options = await checkOptions(project, name, body);
  const now = new Date().toISOString();
  const record: DomainRecord = {
    id: newId('dom'),
    name: name.ascii,
    teamId: project.teamId,
    projectId: project.id,
    ...options,
    status: 'pending_verification',
    records: await expectedRecords(project.teamId, name),
    createdAt: now,
    updatedAt: now,
  };
  const owner = await context().aliases.get(name.ascii);
  if (owner && owner.projectId !== project.id && !(await proven(project.teamId, name))) throw inUse(record);
  if (!(await context().domains.create(record))) {
    throw new ConflictError('domain_exists', `${name.unicode} is a domain of this project already`, { name: name.ascii });
  }
  return toInfo(await check(record, project));
}

/** The project's domains, by name. */
export async function list(project: ProjectRef): Promise<DomainInfo[]> {
  return (await context().domains.ofProject(project.id)).map(toInfo);
}

/** One domain with its records and status. @throws NotFoundError `domain_not_found` */
export async function get(project: ProjectRef, name: string): Promise<DomainInfo> {
  return toInfo(await load(project, name));
}

/**
 * Checks DNS now and moves the domain along its status machine.
 * @throws ConflictError `domain_in_use` when another project serves it and DNS lacks this team's proof
 */
export async function verify(project: ProjectRef, name: string): Promise<DomainInfo> {
  const record = await load(project, name);
  const owner = await context().aliases.get(record.name);
  if (owner && owner.projectId !== project.id && !(await proven(project.teamId, parsed(record.name)))) throw inUse(record);
  return toInfo(await check(record, project));
}

/**
 * Sets what the domain serves: a branch's newest READY deployment, production (`gitBranch: null`),
 * or a redirect to another domain of the project. A verified domain's edge entry follows at once.
 */
export async function update(project: ProjectRef, name: string, patch: UpdateDomainBody): Promise<DomainInfo> {
  const record = await load(project, name);
  const merged = {
    gitBranch: patch.gitBranch === undefined ? record.gitBranch : (patch.gitBranch ?? undefined),
    redirect: patch.redirect === undefined ? record.redirect : (patch.redirect ?? undefined),
    redirectStatusCode: patch.redirectStatusCode ?? (patch.redirect === null ? undefined : record.redirectStatusCode),
  };
  const options = await checkOptions(project, parsed(record.name), {
    ...(merged.gitBranch ? { gitBranch: merged.gitBranch } : {}),
    ...(merged.redirect ? { redirect: merged.redirect } : {}),
    ...(merged.redirectStatusCode ? { redirectStatusCode: merged.redirectStatusCode as 301 } : {}),
  });
  const updated: DomainRecord = { ...record, gitBranch: undefined, redirect: undefined, redirectStatusCode: undefined, ...options, updatedAt: new Date().toISOString() };
  await context().domains.put(updated);
  const alias = await context().aliases.get(record.name);
  if (alias?.projectId === project.id) await pointEdge(updated, project);
  return toInfo(updated);
}

/**
 * Removes a domain: its edge entry and host (when this project holds it), its attachment, its record.
 * @throws ConflictError `domain_is_redirect_target` while another domain redirects to it
 */
export async function remove(project: ProjectRef, name: string): Promise<void> {
  const record = await load(project, name);
  const redirecting = (await context().domains.ofProject(project.id)).find((d) => d.redirect === record.name);
  if (redirecting) {
    throw new ConflictError('domain_is_redirect_target', `${unicodeOf(redirecting.name)} redirects to ${unicodeOf(record.name)}: change or remove it first`, {
      name: redirecting.name,
    });
  }
  await release(record, project);
  await context().domains.delete(project.id, record.name);
}

/**
 * The scheduled check of every domain: pending ones verify once their records appear; a verified
 * one whose ownership proof and routing record are both gone from DNS is detached with a notice
 * (a dangling record must not keep serving, nor let someone else's content appear on it).
 * @param deadline ms since the epoch after which it stops (the rest waits for the next run)
 * @returns how many domains were checked and how many detached
 */
export async function checkAll(deadline = Number.POSITIVE_INFINITY): Promise<{ checked: number; detached: number }> {
  let cursor: string | undefined;
  let checked = 0;
  let detached = 0;
  do {
    const page = await context().domains.all(cursor);
    for (const record of page.items) {
      if (Date.now() > deadline) return { checked, detached };
      if (record.status === 'detached') continue;
      const project = await context().projects.get(record.projectId);
      if (!project || project.deletedAt) {
        // The project's deletion released the host with its other aliases; the record and the attachment go here.
        if (record.attachmentId) await context().domainAttachments.detach(record.attachmentId);
        await context().domains.delete(record.projectId, record.name);
        continue;
      }
      try {
        const after = await check(record, project, { scheduled: true });
        checked++;
        if (after.status === 'detached') detached++;
      } catch (error) {
        context().logger.warn('A domain check failed; the next run retries it', { domain: record.name, error: String(error) });
      }
    }
    cursor = page.next;
  } while (cursor);
  return { checked, detached };
}

/** The edge entry of a custom host: where it points or how it redirects (see edge/viewer-request.js). */
export function edgeValueOf(record: Pick<DomainRecord, 'gitBranch' | 'redirect' | 'redirectStatusCode'>, project: ProjectRef): string {
  if (record.redirect) {
    const { edgeScheme, edgePort } = context().settings;
    return `>${record.redirectStatusCode ?? DEFAULT_REDIRECT_STATUS} ${edgeScheme}://${record.redirect}${edgePort ? `:${edgePort}` : ''}`;
  }
  return `@${record.gitBranch ? Alias.branchHostOf(project, record.gitBranch) : Alias.productionHostOf(project)}`;
}

/** One check of a domain against DNS, saved. */
async function check(record: DomainRecord, project: ProjectRef, options: { scheduled?: boolean } = {}): Promise<DomainRecord> {
  const name = parsed(record.name);
  const records = await observed(record.teamId, name);
  const [proof, routing] = records;
  const proofOk = proof?.ok === true;
  const routingOk = name.wildcard || routing?.ok === true;
  const now = new Date().toISOString();
  let next: DomainRecord = { ...record, records, checkedAt: now, updatedAt: now, notice: undefined };
  const verified = record.verifiedAt !== undefined;

  if (!verified) {
    if (!proofOk) return save({ ...next, status: 'pending_verification' });
    await claim(next, project);
    next = { ...next, verifiedAt: now };
  } else if (options.scheduled && !proofOk && !routingOk) {
    return detach(next, project, `Detached: DNS no longer holds ${challengeName(name.base)} nor the routing record, so ${name.unicode} no longer points here`);
  }
  if (!routingOk) {
    const found = routing?.found ?? [];
    return save({ ...next, status: found.length === 0 ? 'verified' : 'misconfigured' });
  }
  const state = await attachment(next);
  next = { ...next, attachmentId: state.id, certificate: { status: state.certificate, ...(state.reason ? { reason: state.reason } : {}) } };
  const status: DomainStatus = state.certificate === 'issued' ? 'active' : state.certificate === 'failed' ? 'certificate_failed' : 'certificate_pending';
  return save({ ...next, status });
}

async function attachment(record: DomainRecord): Promise<AttachmentState> {
  const attachments = context().domainAttachments;
  const known = record.attachmentId ? await attachments.state(record.attachmentId) : undefined;
  return known ?? attachments.attach(record.name);
}

/**
 * Claims the host for the project, taking it from another project when this team proved control
 * (the caller checked the TXT record): that project's domain is detached with a notice.
 */
async function claim(record: DomainRecord, project: ProjectRef): Promise<void> {
  const owner = await context().aliases.get(record.name);
  if (owner && owner.projectId !== project.id) {
    const previous = (await context().domains.byName(record.name)).find((d) => d.projectId === owner.projectId);
    await Alias.release({ id: owner.projectId }, record.name);
    if (previous) {
      const previousProject = { id: previous.projectId, teamId: previous.teamId, name: '' };
      await detach(previous, previousProject, `Detached: another team proved control of ${unicodeOf(record.name)} through ${challengeName(parsed(record.name).base)} and now serves it`);
    }
  }
  await Alias.claim(record.name, project, 'custom');
  await pointEdge(record, project);
}

/** Writes the host's alias with its edge value (versioned), then the edge store, until they agree. */
async function pointEdge(record: DomainRecord, project: ProjectRef): Promise<void> {
  const { aliases, edgeStore } = context();
  const value = edgeValueOf(record, project);
  for (let attempt = 0; attempt < Alias.MAX_SYNC_ROUNDS; attempt++) {
    const current = await aliases.get(record.name);
    if (!current || current.projectId !== project.id) throw new ConflictError('alias_host_taken', `The host ${record.name} belongs to another project`, { host: record.name });
    if (current.edgeValue !== value) {
      const outcome = await aliases.write({ ...current, edgeValue: value, updatedAt: new Date().toISOString(), version: current.version + 1 }, current.version);
      if (outcome === 'project_gone') throw new NotFoundError('project_not_found', `No project "${project.name}"`);
      if (outcome === 'version_conflict') continue;
    }
    await edgeStore.put(record.name, value);
    const latest = await aliases.get(record.name);
    if (latest?.edgeValue === value) return;
  }
  throw new ConflictError('alias_conflict', `The alias ${record.name} kept changing; retry`, { host: record.name });
}

/** Releases what a domain holds: its host (when its project holds it) and its attachment. */
async function release(record: DomainRecord, project: Pick<ProjectRef, 'id'>): Promise<void> {
  await Alias.release(project, record.name);
  if (record.attachmentId) await context().domainAttachments.detach(record.attachmentId);
}

async function detach(record: DomainRecord, project: Pick<ProjectRef, 'id'>, notice: string): Promise<DomainRecord> {
  await release(record, project);
  context().logger.warn('A custom domain was detached', { domain: record.name, projectId: record.projectId, notice });
  const now = new Date().toISOString();
  return save({ ...record, status: 'detached', notice, attachmentId: undefined, certificate: undefined, verifiedAt: undefined, updatedAt: now });
}

async function save(record: DomainRecord): Promise<DomainRecord> {
  await context().domains.put(record);
  return record;
}

/** Whether DNS holds the team's token at the domain's challenge name now. */
async function proven(teamId: string, name: DomainName): Promise<boolean> {
  const token = await context().domains.teamToken(teamId, freshToken());
  return (await context().dns.txt(challengeName(name.base))).includes(token);
}

/** The records to create, as the API shows them before any check. */
async function expectedRecords(teamId: string, name: DomainName): Promise<DnsRecord[]> {
  const token = await context().domains.teamToken(teamId, freshToken());
  const out: DnsRecord[] = [{ type: 'TXT', name: challengeName(name.base), value: token, purpose: 'ownership' }];
  if (!name.wildcard) out.push({ type: isApex(name.ascii) ? 'ALIAS' : 'CNAME', name: name.ascii, value: await context().domainAttachments.target(), purpose: 'routing' });
  return out;
}

/** The records with what DNS answers for each now. */
async function observed(teamId: string, name: DomainName): Promise<DnsRecord[]> {
  const { dns } = context();
  const records = await expectedRecords(teamId, name);
  return Promise.all(
    records.map(async (r) => {
      if (r.type === 'TXT') {
        const found = await dns.txt(r.name);
        return { ...r, ok: found.includes(r.value), found };
      }
      // The routing record: a CNAME to the target, or (apex, or a DNS host that flattens CNAMEs)
      // the target's own addresses.
      const cnames = await dns.cname(r.name);
      if (cnames.length > 0) return { ...r, ok: cnames.includes(r.value), found: cnames };
      const [mine, targets] = await Promise.all([dns.addresses(r.name), dns.addresses(r.value)]);
      const ok = mine.length > 0 && targets.length > 0 && mine.every((a) => targets.includes(a));
      return { ...r, ok, found: mine };
    }),
  );
}

async function checkOptions(project: ProjectRef, name: DomainName, body: Pick<CreateDomainBody, 'gitBranch' | 'redirect' | 'redirectStatusCode'>) {
  const platform = context().settings.platformDomain.toLowerCase();
  if (isUnder(name.base, platform) || isUnder(platform, name.base)) {
    throw new ValidationError('platform_domain', `${name.unicode} is the platform's own domain (${platform}); its hosts are generated, not added`);
  }
  if (body.redirect && body.gitBranch) throw new ValidationError('invalid_redirect', 'A domain either redirects or serves a branch, not both');
  if (body.redirectStatusCode && !body.redirect) throw new ValidationError('invalid_redirect', 'redirectStatusCode needs redirect');
  if (!body.redirect) return { ...(body.gitBranch ? { gitBranch: body.gitBranch } : {}) };
  const target = parse(body.redirect, 'invalid_redirect');
  if (target.wildcard || target.ascii === name.ascii) throw new ValidationError('invalid_redirect', `${body.redirect} cannot be a redirect target of ${name.unicode}`);
  const targetRecord = await context().domains.get(project.id, target.ascii);
  if (!targetRecord) {
    throw new UnprocessableError('redirect_target_not_found', `${target.unicode} is not a domain of this project; add it first`, { redirect: target.ascii });
  }
  if (targetRecord.redirect) throw new UnprocessableError('redirect_chain', `${target.unicode} redirects itself; redirect to the domain that serves`);
  return { redirect: target.ascii, redirectStatusCode: body.redirectStatusCode ?? DEFAULT_REDIRECT_STATUS };
}

async function load(project: ProjectRef, name: string): Promise<DomainRecord> {
  const parsedName = parseDomainName(name);
  const record = 'ascii' in parsedName ? await context().domains.get(project.id, parsedName.ascii) : undefined;
  if (!record) throw new NotFoundError('domain_not_found', `No domain "${name}" in project ${project.name}`);
  return record;
}

function parse(input: string, code: string): DomainName {
  const name = parseDomainName(input);
  if ('problem' in name) throw new ValidationError(code, `"${input}" ${name.problem}`, { name: input });
  return name;
}

/** A stored (valid) name parsed again. */
function parsed(ascii: string): DomainName {
  return parse(ascii, 'invalid_domain_name');
}

function freshToken(): string {
  return `rwy-${randomBase36(32)}`;
}

function inUse(record: DomainRecord): ConflictError {
  const proof = record.records.find((r) => r.purpose === 'ownership');
  return new ConflictError(
    'domain_in_use',
    `${unicodeOf(record.name)} is served by another project. To move it here, prove you control its DNS: create the TXT record ${proof?.name} with the value ${proof?.value}, then add or verify it again`,
    { name: record.name, records: proof ? [proof] : [] },
  );
}

/** The domain as the API shows it. */
export function toInfo(record: DomainRecord): DomainInfo {
  const { attachmentId: _attachment, ...shown } = record;
  return {
    ...Object.fromEntries(Object.entries(shown).filter(([, v]) => v !== undefined)),
    displayName: unicodeOf(record.name),
    wildcard: record.name.startsWith('*.'),
    apex: !record.name.startsWith('*.') && isApex(record.name),
    verified: record.verifiedAt !== undefined,
  } as DomainInfo;
}
