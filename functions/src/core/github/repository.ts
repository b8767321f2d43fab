/** An installation of the GitHub App, and the team it is linked to (at most one). */
export interface InstallationRecord {
  installationId: number;
  accountLogin: string;
  accountType?: string | undefined;
  repositorySelection?: 'all' | 'selected' | undefined;
  /** The team it is linked to; absent until a team claims it. */
  teamId?: string | undefined;
  linkedAt?: string | undefined;
  suspendedAt?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

/** A repository an installation can read. */
export interface RepositoryRecord {
  installationId: number;
  repoId: number;
  fullName: string;
  private: boolean;
  defaultBranch?: string | undefined;
}

/** A team's one-time `state` of an install in progress; only its sha256 is kept. */
export interface ClaimRecord {
  stateHash: string;
  teamId: string;
  createdAt: string;
  expiresAt: string;
  /** Epoch seconds after which the store may drop it. */
  ttl: number;
}

/** What ties a deployment to GitHub: where to report, and what was reported. */
export interface GitDeploymentRecord {
  deploymentId: string;
  installationId: number;
  repo: string;
  sha: string;
  prNumber?: number | undefined;
  githubDeploymentId?: number | undefined;
  /** The last state reported, so a repeated event does not report twice. */
  reportedState?: string | undefined;
}

export interface InstallationRepository {
  /** Strongly consistent. */
  get(installationId: number): Promise<InstallationRecord | undefined>;
  /**
   * Writes what GitHub says about an installation, keeping the fields not given (its link and
   * suspension).
   */
  put(installation: Omit<InstallationRecord, 'teamId' | 'linkedAt' | 'suspendedAt'>): Promise<void>;
  /**
   * Writes the installation linked to `installation.teamId`, with the team's link item, only if no
   * other team holds it. @returns `false` (nothing written) when another team does
   */
  link(installation: InstallationRecord & { teamId: string; linkedAt: string }): Promise<boolean>;
  /** Removes the link of the installation to the team (both sides). */
  unlink(teamId: string, installationId: number, at: string): Promise<void>;
  /** Installation ids linked to the team. */
  linkedTo(teamId: string): Promise<number[]>;
  /** Marks it suspended since `at`, or (undefined) not suspended. */
  setSuspended(installationId: number, at: string | undefined, updatedAt: string): Promise<void>;
  /** Deletes the installation and the link of its team, if any (not its repositories). */
  delete(installationId: number): Promise<void>;
  repositories(installationId: number): Promise<RepositoryRecord[]>;
  putRepositories(repositories: RepositoryRecord[]): Promise<void>;
  deleteRepositories(installationId: number, repoIds: number[]): Promise<void>;
}

export interface ClaimRepository {
  create(claim: ClaimRecord): Promise<void>;
  /** Deletes and returns the claim of `stateHash` if it belongs to `teamId`; `undefined` otherwise (nothing deleted). */
  take(stateHash: string, teamId: string): Promise<ClaimRecord | undefined>;
}

export interface GitDeploymentRepository {
  /** Writes the link (keeping what was reported under it). */
  put(link: Pick<GitDeploymentRecord, 'deploymentId' | 'installationId' | 'repo' | 'sha' | 'prNumber'>): Promise<void>;
  /** Strongly consistent. */
  get(deploymentId: string): Promise<GitDeploymentRecord | undefined>;
  /** Links a pull request to the deployment and forgets what was reported (so the pull request gets its report). */
  linkPullRequest(deploymentId: string, prNumber: number): Promise<void>;
  /** Records GitHub's deployment id unless one is recorded already. @returns the one recorded now */
  setGithubDeploymentId(deploymentId: string, githubDeploymentId: number): Promise<number>;
  setReportedState(deploymentId: string, state: string): Promise<void>;
}
