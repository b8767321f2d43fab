import type { Page, PageRequest } from '#core/page';
import type { Role } from '#core/schemas';
import type { MemberInfo, TeamInfo } from './schema.ts';

export type TeamRecord = TeamInfo;
export type MemberRecord = MemberInfo;

/** Teams, with names unique across the installation. */
export interface TeamRepository {
  /** Writes the team and its name at once; `false` (nothing written) when the name is taken. */
  create(team: TeamRecord): Promise<boolean>;
  get(id: string): Promise<TeamRecord | undefined>;
  /** The id of the team of that name (strongly consistent). */
  idByName(name: string): Promise<string | undefined>;
}

/** Members of a team, by principal. */
export interface MemberRepository {
  /** By principal, ascending. @throws ValidationError `invalid_cursor` */
  list(teamId: string, page: PageRequest): Promise<Page<MemberRecord>>;
  /** `false` (nothing written) when the principal is a member already. */
  create(member: MemberRecord): Promise<boolean>;
  /** The member after the change, or `undefined` when there is no such member. */
  update(teamId: string, principal: string, change: { role: Role; updatedAt: string }): Promise<MemberRecord | undefined>;
  /** `false` when there was no such member. */
  delete(teamId: string, principal: string): Promise<boolean>;
}
