import { context } from '#core/context';
import { ConflictError, NotFoundError } from '#core/errors';
import type { Page, PageRequest } from '#core/page';
import type { Role } from '#core/schemas';
import { MemberInfo } from './schema.ts';

export async function list(teamId: string, page: PageRequest): Promise<Page<MemberInfo>> {
  const result = await context().members.list(teamId, page);
  return { items: result.items.map((m) => MemberInfo.strip().parse(m)), next: result.next };
}

/** @throws ConflictError `member_exists` */
export async function add(teamId: string, input: { principal: string; role: Role }): Promise<MemberInfo> {
  const now = new Date().toISOString();
  const member: MemberInfo = { teamId, principal: input.principal, role: input.role, createdAt: now, updatedAt: now };
  if (!(await context().members.create(member))) throw new ConflictError('member_exists', `${input.principal} is already a member`);
  return member;
}

/** @throws NotFoundError `member_not_found` */
export async function update(teamId: string, principal: string, role: Role): Promise<MemberInfo> {
  const member = await context().members.update(teamId, principal, { role, updatedAt: new Date().toISOString() });
  if (!member) throw notFound(principal);
  return MemberInfo.strip().parse(member);
}

/** @throws NotFoundError `member_not_found` */
export async function remove(teamId: string, principal: string): Promise<void> {
  if (!(await context().members.delete(teamId, principal))) throw notFound(principal);
}

function notFound(principal: string): NotFoundError {
  return new NotFoundError('member_not_found', `${principal} is not a member`);
}
