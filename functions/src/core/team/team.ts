import { context } from '#core/context';
import { ConflictError, NotFoundError } from '#core/errors';
import { newId } from '#core/ids';
import { TeamInfo } from './schema.ts';

/** Creates a team; names are unique across the installation (the name is written with the team, at once). */
export async function create(name: string): Promise<TeamInfo> {
  const team: TeamInfo = { id: newId('team'), name, createdAt: new Date().toISOString() };
  if (!(await context().teams.create(team))) throw new ConflictError('team_name_taken', `A team named "${name}" exists`, { name });
  return team;
}

/** @throws NotFoundError `team_not_found` */
export async function get(id: string): Promise<TeamInfo> {
  const team = await context().teams.get(id);
  if (!team) throw new NotFoundError('team_not_found', `No team ${id}`);
  return TeamInfo.strip().parse(team);
}

export async function findByName(name: string): Promise<TeamInfo | undefined> {
  const id = await context().teams.idByName(name);
  return id ? get(id) : undefined;
}

/** The team of that name, created when missing (the admin CLI's first step). */
export async function ensure(name: string): Promise<{ team: TeamInfo; created: boolean }> {
  const existing = await findByName(name);
  if (existing) return { team: existing, created: false };
  try {
    return { team: await create(name), created: true };
  } catch (error) {
    // Created by someone else between the read and the write.
    if (!(error instanceof ConflictError)) throw error;
    const team = await findByName(name);
    if (!team) throw error;
    return { team, created: false };
  }
}
