import { randomInt } from 'node:crypto';

const BASE36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Length of a deployment's short id: 36^9 ≈ 10^14 values, DNS-label-safe. */
export const SHORT_ID_LENGTH = 9;

/** `length` uniformly random lowercase base36 characters (CSPRNG, no modulo bias). */
export function randomBase36(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE36[randomInt(36)];
  return out;
}

/** Prefixes of Runway's opaque ids (see the API conventions). */
export type IdPrefix = 'team' | 'prj' | 'dpl' | 'tok' | 'env' | 'dom';

/**
 * A new opaque id such as `prj_3k9x…`. Deployment ids use {@link SHORT_ID_LENGTH} characters so the
 * random part doubles as the short id in hostnames; the others use 16 (≈ 83 bits).
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase36(prefix === 'dpl' ? SHORT_ID_LENGTH : 16)}`;
}

/** The short id of a deployment id: its random part (`dpl_abc123xyz` → `abc123xyz`). */
export function shortIdOf(deploymentId: string): string {
  return deploymentId.slice('dpl_'.length);
}
