import * as z from 'zod';
import { Name, Role, TeamId, Timestamp } from '#core/schemas';
import { CreatedToken } from '#core/auth/schema';

export const TeamInfo = z.strictObject({ id: TeamId, name: Name, createdAt: Timestamp });
export type TeamInfo = z.infer<typeof TeamInfo>;

export const CreateTeamBody = z.strictObject({ name: Name });

/** A new team and the owner token to use it with (there is no other way in yet). */
export const CreatedTeam = z.strictObject({ team: TeamInfo, token: CreatedToken });

/** A member: a person (by e-mail) with a role in the team. */
export const Principal = z.email().max(254).transform((e) => e.toLowerCase());

export const MemberInfo = z.strictObject({
  teamId: TeamId,
  principal: z.string(),
  role: Role,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type MemberInfo = z.infer<typeof MemberInfo>;

export const AddMemberBody = z.strictObject({ principal: Principal, role: Role });
export const UpdateMemberBody = z.strictObject({ role: Role });
