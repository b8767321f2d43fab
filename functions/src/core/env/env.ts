import { context } from '#core/context';
import { ConflictError, NotFoundError } from '#core/errors';
import { newId } from '#core/ids';
import type { Role } from '#core/schemas';
import type { EnvRecord } from './repository.ts';
import { ENV_SCOPES, type CreateEnvBody, type EnvScope, type EnvTarget, type EnvVarInfo, type UpdateEnvBody } from './schema.ts';

interface ProjectRef {
  id: string;
  teamId: string;
}

/** Roles that may read plain values; viewers see every value masked. */
const READERS: readonly Role[] = ['owner', 'member'];

/** The KMS encryption context: binds a ciphertext to its team, project and key. */
function contextOf(record: Pick<EnvRecord, 'teamId' | 'projectId' | 'key'>): Record<string, string> {
  return { teamId: record.teamId, projectId: record.projectId, key: record.key };
}

/** The project's env vars by key and target; plain values decrypted for owners and members only. */
export async function list(project: ProjectRef, role: Role): Promise<EnvVarInfo[]> {
  const records = await context().env.list(project.id);
  return Promise.all(records.map((record) => view(record, role)));
}

/**
 * Creates a var for each target, all or nothing. The value is encrypted once, with KMS, under a
 * context of team, project and key.
 * @throws ConflictError `env_exists` when the key already has a value for one of the targets
 */
export async function create(project: ProjectRef, body: CreateEnvBody, role: Role): Promise<EnvVarInfo[]> {
  const now = new Date().toISOString();
  const base = { teamId: project.teamId, projectId: project.id, key: body.key };
  const ciphertext = await context().envCipher.encrypt(body.value, contextOf(base));
  const records: EnvRecord[] = body.target.map((target) => ({
    ...base,
    id: newId('env'),
    target,
    sensitive: body.sensitive,
    ...storedScopes(body.scopes),
    ciphertext,
    createdAt: now,
    updatedAt: now,
    version: 1,
  }));
  const rejected = await context().env.createAll(records);
  if (rejected.length > 0) {
    const targets = rejected.map((i) => records[i]?.target);
    throw new ConflictError('env_exists', `${body.key} already has a value for ${targets.join(', ')}`, { key: body.key, targets });
  }
  return Promise.all(records.map((record) => view(record, role, body.value)));
}

/** Changes a var's value or makes it sensitive. */
export async function update(project: ProjectRef, envId: string, body: UpdateEnvBody, role: Role): Promise<EnvVarInfo> {
  const record = await find(project, envId);
  const set: Partial<EnvRecord> = { updatedAt: new Date().toISOString() };
  if (body.value !== undefined) set.ciphertext = await context().envCipher.encrypt(body.value, contextOf(record));
  if (body.sensitive) set.sensitive = true;
  // Both scopes is the default: stored as no scopes at all (what vars written before scopes have).
  if (body.scopes !== undefined) set.scopes = storedScopes(body.scopes).scopes ?? [...ENV_SCOPES];
  return view(await context().env.update(record, set), role, body.value);
}

export async function remove(project: ProjectRef, envId: string): Promise<void> {
  await context().env.delete([await find(project, envId)]);
}

/**
 * What a build of `target` gets: every var of the target in scope `builds` decrypted (sensitive
 * ones too), and the keys whose values the build log must redact.
 */
export function resolveForBuild(projectId: string, target: EnvTarget): Promise<{ env: Record<string, string>; sensitiveKeys: string[] }> {
  return resolve(projectId, target, 'builds');
}

/**
 * What the deployment's functions get at run time (snapshotted by finalize into the
 * FunctionDeployer): every var of the target in scope `functions` — build-only ones left out —
 * decrypted, and the keys of the sensitive ones.
 */
export function resolveForRuntime(projectId: string, target: EnvTarget): Promise<{ env: Record<string, string>; sensitiveKeys: string[] }> {
  return resolve(projectId, target, 'functions');
}

/** The scopes a record has (absent: all). */
const scopesOf = (record: Pick<EnvRecord, 'scopes'>): EnvScope[] => (record.scopes && record.scopes.length > 0 ? record.scopes : [...ENV_SCOPES]);

/** What to store for `scopes`: nothing when the var has every scope. */
function storedScopes(scopes: readonly EnvScope[] | undefined): { scopes?: EnvScope[] } {
  return scopes === undefined || ENV_SCOPES.every((s) => scopes.includes(s)) ? {} : { scopes: ENV_SCOPES.filter((s) => scopes.includes(s)) };
}

async function resolve(projectId: string, target: EnvTarget, scope: EnvScope): Promise<{ env: Record<string, string>; sensitiveKeys: string[] }> {
  const records = (await context().env.list(projectId)).filter((record) => record.target === target && scopesOf(record).includes(scope));
  const { envCipher } = context();
  const values = await Promise.all(records.map((record) => envCipher.decrypt(record.ciphertext, contextOf(record))));
  const env: Record<string, string> = {};
  records.forEach((record, i) => {
    env[record.key] = values[i] as string;
  });
  return { env, sensitiveKeys: records.filter((record) => record.sensitive).map((record) => record.key) };
}

export async function removeAllForProject(projectId: string): Promise<void> {
  const records = await context().env.list(projectId);
  if (records.length > 0) await context().env.delete(records);
}

async function find(project: ProjectRef, envId: string): Promise<EnvRecord> {
  const record = (await context().env.list(project.id)).find((r) => r.id === envId);
  if (!record || record.teamId !== project.teamId) throw new NotFoundError('env_not_found', `No env var ${envId} in this project`);
  return record;
}

/** Decrypts only what the caller may see; `known` is a value the caller just sent. */
async function view(record: EnvRecord, role: Role, known?: string): Promise<EnvVarInfo> {
  const readable = !record.sensitive && READERS.includes(role);
  const value = readable ? (known ?? (await context().envCipher.decrypt(record.ciphertext, contextOf(record)))) : undefined;
  return {
    id: record.id,
    projectId: record.projectId,
    key: record.key,
    target: record.target,
    sensitive: record.sensitive,
    scopes: scopesOf(record),
    ...(value !== undefined ? { value } : {}),
    masked: value === undefined,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    version: record.version,
  };
}
