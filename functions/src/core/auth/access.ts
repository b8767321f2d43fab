import type { Role } from '#core/schemas';

/** What a route needs: reading, changing the team's resources, or administering the team. */
export type Access = 'read' | 'write' | 'admin';

const RANK: Record<Role, number> = { viewer: 0, member: 1, owner: 2 };
const NEEDED: Record<Access, Role> = { read: 'viewer', write: 'member', admin: 'owner' };

/** Viewers read; members also write; owners also manage members and tokens. */
export function allows(role: Role, access: Access): boolean {
  return RANK[role] >= RANK[NEEDED[access]];
}

/** Whether `role` may hand out `granted` (never more than it has). */
export function mayGrant(role: Role, granted: Role): boolean {
  return RANK[granted] <= RANK[role];
}
