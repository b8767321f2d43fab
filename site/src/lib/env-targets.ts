import type { EnvTarget } from './types.ts';

/** Every env target, in display order; the type check fails if the API's list changes. */
export const ENV_TARGET_LIST = ['production', 'preview', 'development'] as const satisfies readonly EnvTarget[];
type Missing = Exclude<EnvTarget, (typeof ENV_TARGET_LIST)[number]>;
export const everyTargetListed: [Missing] extends [never] ? true : never = true;
