import { blobKey, buildCacheKey, manifestKey } from '#core/artifact-keys';
import { context } from '#core/context';
import { Deployment, type DeploymentInfo } from '#core/deployment/index';
import { NotFoundError } from '#core/errors';
import { gitLinkOf, teamOf } from '#core/github/installation';
import type { PresignedPut } from '#core/ports';

/**
 * What a running build may do through the build API, once `authorize` let it in: bytes never pass
 * through the API; every answer is a short-lived presigned URL of the artifact bucket (or GitHub's
 * tarball URL), scoped to the build's own deployment and team.
 */

/** Which output blobs the team lacks, each with a presigned upload URL (S3 checks the sha256). */
export async function missingBlobs(deployment: DeploymentInfo, shas: string[]): Promise<{ missing: string[]; uploads: Record<string, string> }> {
  const { artifacts, blobStore } = context();
  const missing = await blobStore.missing(deployment.teamId, shas);
  const uploads = Object.fromEntries(
    await Promise.all(missing.map(async (sha) => [sha, (await artifacts.presignPut(blobKey(deployment.teamId, sha), { sha256Hex: sha })).url] as const)),
  );
  return { missing, uploads };
}

/** A presigned upload URL of one blob of the team. */
export async function blobUploadUrl(deployment: DeploymentInfo, sha: string): Promise<string> {
  return (await context().artifacts.presignPut(blobKey(deployment.teamId, sha), { sha256Hex: sha })).url;
}

/**
 * Largest manifest, in bytes: 20,000 files make a few MB, the 100,000 the contract allows about
 * 20 MB. It goes straight to storage, so Lambda's 6 MB invoke payload does not bound it.
 */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/**
 * Where the build writes its manifest, once: a presigned PUT of exactly `size` bytes hashing to
 * `sha256` (hex) that storage refuses (412) when a manifest exists, which a builder retrying
 * after a lost response takes as done. Nothing of it passes through the API. The manifest is not
 * checked here: the build is untrusted, so `finalize` checks it against the build contract (and
 * that it names this deployment) when the build ends.
 */
export function manifestUpload(deployment: DeploymentInfo, manifest: { sha256: string; size: number }): Promise<PresignedPut> {
  return context().artifacts.presignPut(manifestKey(deployment.id), {
    sha256Hex: manifest.sha256,
    size: manifest.size,
    contentType: 'application/json',
    ifNoneMatch: true,
  });
}

/**
 * A presigned download URL of one uploaded source file of this deployment (none of another).
 * @throws NotFoundError `not_found`
 */
export async function sourceFileUrl(deployment: DeploymentInfo, sha: string): Promise<string> {
  if (!(await sourceShas(deployment)).has(sha)) throw new NotFoundError('not_found', 'No such source file in this deployment');
  return context().artifacts.presignGet(blobKey(deployment.teamId, sha));
}

/**
 * A presigned download URL of the project's build cache archive.
 * @throws NotFoundError `not_found` when there is none yet
 */
export async function cacheUrl(deployment: DeploymentInfo, key: string): Promise<string> {
  const cacheKey = buildCacheKey(deployment.projectId, key);
  const { artifacts } = context();
  if (!(await artifacts.exists(cacheKey))) throw new NotFoundError('not_found', 'No build cache yet');
  return artifacts.presignGet(cacheKey);
}

/** A presigned URL to upload the project's build cache archive. */
export async function cacheUploadUrl(deployment: DeploymentInfo, key: string): Promise<string> {
  return (await context().artifacts.presignPut(buildCacheKey(deployment.projectId, key))).url;
}

/**
 * GitHub's short-lived tarball URL of the deployment's commit, asked as the installation that
 * made it — only while that installation still belongs to the deployment's team (not unlinked,
 * suspended or removed).
 * @throws NotFoundError `not_found`
 */
export async function tarballUrl(deployment: DeploymentInfo): Promise<string> {
  if (deployment.source.type !== 'git') throw new NotFoundError('not_found', 'This deployment is not built from git');
  const link = await gitLinkOf(deployment.id);
  if (!link || (await teamOf(link.installationId)) !== deployment.teamId) {
    throw new NotFoundError('not_found', 'No linked GitHub installation can read this repository any more');
  }
  return context().github.tarballUrl({ installationId: link.installationId, repo: link.repo }, deployment.source.sha);
}

/**
 * The shas of a deployment's uploaded sources. A build fetches every source file, so the list is
 * read once per deployment and kept while the function is warm (a few deployments at most).
 */
const sourceCache = new Map<string, Promise<Set<string>>>();
function sourceShas(deployment: DeploymentInfo): Promise<Set<string>> {
  let shas = sourceCache.get(deployment.id);
  if (!shas) {
    shas = Deployment.sourceOf(deployment).then((source) => new Set(source.type === 'files' ? source.files.map((f) => f.sha) : []));
    shas.catch(() => sourceCache.delete(deployment.id));
    sourceCache.set(deployment.id, shas);
    if (sourceCache.size > 8) sourceCache.delete(sourceCache.keys().next().value as string);
  }
  return shas;
}
