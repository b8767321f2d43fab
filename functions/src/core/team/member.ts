import { ConflictError, NotFoundError } from '#core/errors';
import { conversions, db, type MemberItem } from '#adapters/db/dynamodb/model';
import { isConditionFailed } from '#adapters/db/dynamodb/errors';
import { queryPage, type Page } from '#adapters/db/dynamodb/page';
import type { Role } from '#core/schemas';
import type { MemberInfo } from './schema.ts';

export async function list(teamId: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<MemberInfo>> {
  const entity = db().entities.member;
  const result = await queryPage(entity.query.byTeam({ teamId }), {
    ...page,
    order: 'asc',
    partition: ['pk', `team#${teamId}`],
    toCursor: (m) => conversions.member.byAccessPattern.byTeam.fromComposite.toCursor({ teamId: m.teamId, principal: m.principal }),
  });
  return { items: result.items.map(toMember), next: result.next };
}

/** @throws ConflictError `member_exists` */
export async function add(teamId: string, input: { principal: string; role: Role }): Promise<MemberInfo> {
  const now = new Date().toISOString();
  const item: MemberItem = { teamId, principal: input.principal, role: input.role, createdAt: now, updatedAt: now };
  try {
    await db().entities.member.create(item).go();
  } catch (error) {
    if (isConditionFailed(error)) throw new ConflictError('member_exists', `${input.principal} is already a member`);
    throw error;
  }
  return toMember(item);
}

/** @throws NotFoundError `member_not_found` */
export async function update(teamId: string, principal: string, role: Role): Promise<MemberInfo> {
  try {
    const { data } = await db()
      .entities.member.patch({ teamId, principal })
      .set({ role, updatedAt: new Date().toISOString() })
      .go({ response: 'all_new' });
    return toMember(data as MemberItem);
  } catch (error) {
    if (isConditionFailed(error)) throw notFound(principal);
    throw error;
  }
}

/** @throws NotFoundError `member_not_found` */
export async function remove(teamId: string, principal: string): Promise<void> {
  try {
    await db()
      .entities.member.delete({ teamId, principal })
      .where(({ principal: p }, { exists }) => exists(p))
      .go();
  } catch (error) {
    if (isConditionFailed(error)) throw notFound(principal);
    throw error;
  }
}

function notFound(principal: string): NotFoundError {
  return new NotFoundError('member_not_found', `${principal} is not a member`);
}

function toMember(item: MemberItem): MemberInfo {
  return { teamId: item.teamId, principal: item.principal, role: item.role, createdAt: item.createdAt, updatedAt: item.updatedAt };
}
