/** The build of a deployment: its capability token's hash and where it runs. */
export interface BuildRecord {
  deploymentId: string;
  teamId: string;
  projectId: string;
  /** sha256 hex of the build's capability token; the token itself is never stored. */
  tokenHash: string;
  /** CodeBuild's build id, or the local runner's. */
  buildId?: string | undefined;
  logStream?: string | undefined;
  createdAt: string;
}

export interface BuildRepository {
  /** `false` (nothing written) when the deployment has a build already. */
  create(build: BuildRecord): Promise<boolean>;
  /** Records where the build runs and logs. */
  attach(deploymentId: string, where: { buildId: string; logStream?: string | undefined }): Promise<void>;
  /** Strongly consistent. */
  get(deploymentId: string): Promise<BuildRecord | undefined>;
}
