import { ConflictError, NotFoundError } from '#core/errors';
import { newId } from '#core/ids';
import { db, type EnvVarItem } from '#adapters/db/dynamodb/model';
import { assertOnlyConditionFailures, rejectedConditions } from '#adapters/db/dynamodb/errors';
import type { Role } from '#core/schemas';
import { ports } from '#lib/ports';
import type { CreateEnvBody, EnvTarget, EnvVarInfo, UpdateEnvBody } from './schema.ts';

interface ProjectRef {
  id: string;
  teamId: string;
}

/** Roles that may read plain values; viewers see every value masked. */
const READERS: readonly Role[] = ['owner', 'member'];

/** The KMS encryption context: binds a ciphertext to its team, project and key. */
function contextOf(item: Pick<EnvVarItem, 'teamId' | 'projectId' | 'key'>): Record<string, string> {
  return { teamId: item.teamId, projectId: item.projectId, key: item.key };
}

/** The project's env vars by key and target; plain values decrypted for owners and members only. */
export async function list(project: ProjectRef, role: Role): Promise<EnvVarInfo[]> {
  const items = await all(project.id);
  return Promise.all(items.map((item) => view(item, role)));
}

/**
 * Creates a var for each target in one transaction: all or nothing. The value is encrypted once,
 * with KMS, under a context of team, project and key.
 * @throws ConflictError `env_exists` when the key already has a value for one of the targets
 */
export async function create(project: ProjectRef, body: CreateEnvBody, role: Role): Promise<EnvVarInfo[]> {
  const now = new Date().toISOString();
  const base = { teamId: project.teamId, projectId: project.id, key: body.key };
  const ciphertext = await ports().envCipher.encrypt(body.value, contextOf(base));
  const items: EnvVarItem[] = body.target.map((target) => ({
    ...base,
    id: newId('env'),
    target,
    sensitive: body.sensitive,
    ciphertext,
    createdAt: now,
    updatedAt: now,
    version: 1,
  }));
  const outcome = await db()
    .transaction.write(({ env }) => items.map((item) => env.create(item).commit()))
    .go();
  assertOnlyConditionFailures(outcome);
  const rejected = rejectedConditions(outcome);
  if (rejected.length > 0) {
    const targets = rejected.map((i) => items[i]?.target);
    throw new ConflictError('env_exists', `${body.key} already has a value for ${targets.join(', ')}`, { key: body.key, targets });
  }
  return Promise.all(items.map((item) => view(item, role, body.value)));
}

/** Changes a var's value or makes it sensitive. */
export async function update(project: ProjectRef, envId: string, body: UpdateEnvBody, role: Role): Promise<EnvVarInfo> {
  const item = await find(project, envId);
  const set: Partial<EnvVarItem> = { updatedAt: new Date().toISOString() };
  if (body.value !== undefined) set.ciphertext = await ports().envCipher.encrypt(body.value, contextOf(item));
  if (body.sensitive) set.sensitive = true;
  const { data } = await db()
    .entities.env.patch({ projectId: item.projectId, key: item.key, target: item.target })
    .set(set)
    .add({ version: 1 })
    .go({ response: 'all_new' });
  return view(data as EnvVarItem, role, body.value);
}

export async function remove(project: ProjectRef, envId: string): Promise<void> {
  const item = await find(project, envId);
  await db().entities.env.delete({ projectId: item.projectId, key: item.key, target: item.target }).go();
}

/**
 * What a build of `target` gets: every var of the target decrypted (sensitive ones too), and the
 * keys whose values the build log must redact.
 */
export async function resolveForBuild(projectId: string, target: EnvTarget): Promise<{ env: Record<string, string>; sensitiveKeys: string[] }> {
  const items = (await all(projectId)).filter((item) => item.target === target);
  const { envCipher } = ports();
  const values = await Promise.all(items.map((item) => envCipher.decrypt(item.ciphertext, contextOf(item))));
  const env: Record<string, string> = {};
  items.forEach((item, i) => {
    env[item.key] = values[i] as string;
  });
  return { env, sensitiveKeys: items.filter((item) => item.sensitive).map((item) => item.key) };
}

export async function removeAllForProject(projectId: string): Promise<void> {
  const items = await all(projectId);
  if (items.length === 0) return;
  await db()
    .entities.env.delete(items.map(({ projectId: p, key, target }) => ({ projectId: p, key, target })))
    .go();
}

async function all(projectId: string): Promise<EnvVarItem[]> {
  const { data } = await db().entities.env.query.byProject({ projectId }).go({ pages: 'all' });
  return data;
}

async function find(project: ProjectRef, envId: string): Promise<EnvVarItem> {
  const item = (await all(project.id)).find((i) => i.id === envId);
  if (!item || item.teamId !== project.teamId) throw new NotFoundError('env_not_found', `No env var ${envId} in this project`);
  return item;
}

/** Decrypts only what the caller may see; `known` is a value the caller just sent. */
async function view(item: EnvVarItem, role: Role, known?: string): Promise<EnvVarInfo> {
  const readable = !item.sensitive && READERS.includes(role);
  const value = readable ? (known ?? (await ports().envCipher.decrypt(item.ciphertext, contextOf(item)))) : undefined;
  return {
    id: item.id,
    projectId: item.projectId,
    key: item.key,
    target: item.target,
    sensitive: item.sensitive,
    ...(value !== undefined ? { value } : {}),
    masked: value === undefined,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: item.version,
  };
}
