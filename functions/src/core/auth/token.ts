import { createHash, randomBytes } from 'node:crypto';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '#core/errors';
import { newId } from '#core/ids';
import { conversions, db, type TokenItem } from '#adapters/db/dynamodb/model';
import { queryPage, type Page } from '#adapters/db/dynamodb/page';
import type { Role } from '#core/schemas';
import { mayGrant } from './access.ts';
import type { Caller, CreatedToken, TokenInfo } from './schema.ts';

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
  const item: TokenItem = {
    id: newId('tok'),
    teamId,
    name: input.name,
    role,
    hash: hashSecret(secret),
    createdAt: new Date().toISOString(),
    ...(input.expiresAt !== undefined ? { expiresAt: new Date(input.expiresAt).toISOString() } : {}),
  };
  await db().entities.token.create(item).go();
  return { token: toToken(item), secret };
}

/** The team's tokens, newest first, without secrets. */
export async function list(teamId: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<TokenInfo>> {
  const entity = db().entities.token;
  const result = await queryPage(entity.query.byTeam({ teamId }), {
    ...page,
    order: 'desc',
    partition: ['gsi1pk', `team#${teamId}`],
    // The cursor carries the table key, a hash of a 256-bit secret: it reveals nothing usable.
    toCursor: (t) => conversions.token.byAccessPattern.byTeam.fromComposite.toCursor({ id: t.id, teamId: t.teamId, createdAt: t.createdAt, hash: t.hash }),
  });
  return { items: result.items.map(toToken), next: result.next };
}

export async function get(teamId: string, id: string): Promise<TokenInfo> {
  return toToken(await load(teamId, id));
}

/** Revokes a token; it fails authentication from then on. Revoking twice keeps the first time. */
export async function revoke(teamId: string, id: string): Promise<TokenInfo> {
  const item = await load(teamId, id);
  if (item.revokedAt) return toToken(item);
  const { data } = await db()
    .entities.token.patch({ hash: item.hash })
    .set({ revokedAt: new Date().toISOString() })
    .go({ response: 'all_new' });
  return toToken(data as TokenItem);
}

/**
 * The caller behind a bearer secret. Unknown, malformed, expired and revoked secrets all get the
 * same 401, so the answer says nothing about which it was.
 */
export async function authenticate(secret: string, now = Date.now()): Promise<Caller> {
  if (!secret.startsWith(SECRET_PREFIX) || secret.length > 256) throw unauthorized();
  const { data: item } = await db().entities.token.get({ hash: hashSecret(secret) }).go({ consistent: true });
  if (!item || item.revokedAt || (item.expiresAt && Date.parse(item.expiresAt) <= now)) throw unauthorized();
  return { tokenId: item.id, teamId: item.teamId, role: item.role };
}

async function load(teamId: string, id: string): Promise<TokenItem> {
  const { data } = await db().entities.token.query.byId({ id }).go({ limit: 1 });
  const item = data[0];
  if (!item || item.teamId !== teamId) throw new NotFoundError('token_not_found', `No token ${id}`);
  return item;
}

function unauthorized(): UnauthorizedError {
  return new UnauthorizedError('unauthorized', 'A valid bearer token is required: Authorization: Bearer rwy_…');
}

function toToken(item: TokenItem): TokenInfo {
  return {
    id: item.id,
    teamId: item.teamId,
    name: item.name,
    role: item.role,
    createdAt: item.createdAt,
    ...(item.expiresAt ? { expiresAt: item.expiresAt } : {}),
    ...(item.revokedAt ? { revokedAt: item.revokedAt } : {}),
  };
}
