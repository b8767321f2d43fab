/** Teams (`Team.create/get/findByName/ensure`) and their members (`Member.list/add/update/remove`). */
export * as Team from './team.ts';
export * as Member from './member.ts';
export * from './schema.ts';
export type * from './repository.ts';
