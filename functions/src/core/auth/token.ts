import { createHash, randomBytes } from 'node:crypto';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '#core/errors';
import { newId } from '#core/ids';
import { context } from '#core/context';
import type { Page, PageRequest } from '#core/page';
import type { Role } from '#core/schemas';
import { mayGrant } from './access.ts';
import type { TokenRecord } from './repository.ts';
import { TokenInfo, type Caller, type CreatedToken } from './schema.ts';

/** Every secret starts with this, so scanners can spot leaked Runway tokens. */
export const SECRET_PREFIX = 'rwy_';

/** sha256 hex of a secret: what the table stores and looks tokens up by. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new secret: the prefix and 256 random bits, base64url. */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Creates a token of the team. Only the hash is stored; the secret is returned this once.
 * @param grantor role of the caller; a token never gets more than that (the admin CLI passes owner)
 */
export async function create(teamId: string, input: { name: string; role?: Role | undefined; expiresAt?: string | undefined }, grantor: Role): Promise<CreatedToken> {
  const role = input.role ?? grantor;
  if (!mayGrant(grantor, role)) throw new ForbiddenError('role_too_high', `A ${grantor} token cannot create a ${role} token`);
  if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= Date.now()) {
    throw new ValidationError('expiry_in_past', 'expiresAt must be in the future');
  }
  const secret = newSecret();
  const item: TokenRecord = {
    id: newId('tok'),
    teamId,
    name: input.name,
    role,
    hash: hashSecret(secret),
    createdAt: new Date().toISOString(),
    ...(input.expiresAt !== undefined ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
  };
  await context().tokens.create(item);
  return { token: toToken(item), secret };
}

/** The team's tokens, newest first, without secrets. */
export async function list(teamId: string, page: PageRequest): Promise<Page<TokenInfo>> {
  const result = await context().tokens.list(teamId, page);
  return { items: result.items.map(toToken), next: result.next };
}

export async function get(teamId: string, id: string): Promise<TokenInfo> {
  return toToken(await load(teamId, id));
}

/** Revokes a token; it fails authentication from then on. Revoking twice keeps the first time. */
export async function revoke(teamId: string, id: string): Promise<TokenInfo> {
  const item = await load(teamId, id);
  if (item.revokedAt) return toToken(item);
  return toToken(await context().tokens.revoke(item.hash, new Date().toISOString()));
}

/**
 * The caller behind a bearer secret. Unknown, malformed, expired and revoked secrets all get the
 * same 401, so the answer says nothing about which it was.
 */
export async function authenticate(secret: string, now = Date.now()): Promise<Caller> {
  if (!secret.startsWith(SECRET_PREFIX) || secret.length > 256) throw unauthorized();
  const item = await context().tokens.byHash(hashSecret(secret));
  if (!item || item.revokedAt || (item.expiresAt && Date.parse(item.expiresAt) <= now)) throw unauthorized();
  return { tokenId: item.id, teamId: item.teamId, role: item.role };
}

async function load(teamId: string, id: string): Promise<TokenRecord> {
  const item = await context().tokens.byId(id);
  if (!item || item.teamId !== teamId) throw new NotFoundError('token_not_found', `No token ${id}`);
  return item;
}

function unauthorized(): UnauthorizedError {
  return new UnauthorizedError('unauthorized', 'A valid bearer token is required: Authorization: Bearer rwy_…');
}

/** The token as the API shows it: never its hash. */
function toToken(item: TokenRecord): TokenInfo {
  return TokenInfo.strip().parse(item);
}
