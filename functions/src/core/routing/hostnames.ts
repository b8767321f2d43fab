import { createHash } from 'node:crypto';

/**
 * Hostnames the edge routes by (the KVS keys). Every generated first label is DNS-label-safe:
 * lowercase `a-z`, `0-9` and `-`, no leading or trailing `-`, at most 63 characters.
 *
 * - immutable deployment: `<project>-<shortId>.<domain>`
 * - branch alias:         `<project>-git-<branchSlug>.<domain>`
 * - production:           `<project>.<domain>`
 *
 * Ownership (README "Hostnames"): every host belongs to exactly one project, platform-wide, and
 * only these shapes are ever generated. A project name is a global reservation (its production
 * host, claimed when the project is created), and no name may take the shape of another project's
 * branch host ({@link projectNameProblem}): so the part before the first `-git-` of any host
 * names its project, and two projects' generated hosts never collide.
 */

/** Longest DNS label (RFC 1035). */
export const MAX_LABEL_LENGTH = 63;
const HASH_LENGTH = 6;

/** Thrown when a project name or deployment short id cannot form a DNS label. */
export class InvalidHostnamePartError extends Error {
  override name = 'InvalidHostnamePartError';
}

/** Lowercase, every run of other characters becomes one `-`, no `-` at either end. May be empty. */
function slugify(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function shortHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, HASH_LENGTH);
}

function assertLabelPart(kind: string, value: string): void {
  if (value.length > MAX_LABEL_LENGTH || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(value)) {
    throw new InvalidHostnamePartError(
      `${kind} "${value}" is not DNS-label-safe (lowercase a-z, 0-9 and inner "-", 1-${MAX_LABEL_LENGTH} characters)`,
    );
  }
}

/** Cut `label` to `max` characters without leaving a trailing `-`. */
function cut(label: string, max: number): string {
  return label.slice(0, max).replace(/-+$/, '');
}

/**
 * The slug of a git branch name as used in branch hostnames: `Feature/Login_Page` → `feature-login-page`.
 * Names that slugify to the same string share an alias host (as on Vercel); a branch with no
 * letters or digits at all (`日本語`) gets a hash of its name so it still has one.
 */
export function branchSlug(branch: string): string {
  const slug = slugify(branch);
  return slug === '' ? shortHash(branch) : slug;
}

/**
 * The branch alias host. When `<project>-git-<slug>` would exceed 63 characters, the label is cut
 * and `-<6 hex of sha256(branch)>` appended, so two long branches sharing a prefix still get
 * different hosts, and the same branch always gets the same one.
 */
export function branchHost(project: string, branch: string, domain: string): string {
  assertLabelPart('Project name', project);
  const label = `${project}-git-${branchSlug(branch)}`;
  if (label.length <= MAX_LABEL_LENGTH) return `${label}.${domain.toLowerCase()}`;
  const hash = shortHash(branch);
  return `${cut(label, MAX_LABEL_LENGTH - HASH_LENGTH - 1)}-${hash}.${domain.toLowerCase()}`;
}

/**
 * The immutable host of one deployment. The short id is what makes it unique, so when the label
 * would be too long the project part is cut, never the id.
 */
export function deploymentHost(project: string, shortId: string, domain: string): string {
  assertLabelPart('Project name', project);
  assertLabelPart('Deployment short id', shortId);
  if (shortId.length > MAX_LABEL_LENGTH - 2) {
    throw new InvalidHostnamePartError(`Deployment short id "${shortId}" leaves no room for the project name`);
  }
  const projectPart = cut(project, MAX_LABEL_LENGTH - shortId.length - 1);
  return `${projectPart}-${shortId}.${domain.toLowerCase()}`;
}

/** The infix of branch hosts (`<project>-git-<branch>`). */
const GIT_INFIX = '-git-';

/**
 * Why a name cannot be a new project's, or `undefined` when it can. A project name must not
 * contain `-git-` nor end in `-git`: either would let its production host (or its own branch
 * hosts) be another project's branch host — `a-git-main` is project `a`'s branch `main`, and
 * `a-git` + branch `x` gives `a-git-git-x`, which is also `a` + branch `git-x`. With both
 * refused, the first `-git-` of a branch host always ends its project's name.
 * Deployment hosts (`<project>-<9 random base36>`) need no shape rule: each is claimed when its
 * deployment is created, before its id is known to anyone, so no name can be taken first.
 */
export function projectNameProblem(name: string): string | undefined {
  if (name.includes(GIT_INFIX) || name.endsWith(GIT_INFIX.slice(0, -1))) {
    return `must not contain "${GIT_INFIX}" or end in "-git": those are branch hosts (<project>-git-<branch>)`;
  }
  return undefined;
}

/** The production host of a project. */
export function productionHost(project: string, domain: string): string {
  assertLabelPart('Project name', project);
  return `${project}.${domain.toLowerCase()}`;
}
