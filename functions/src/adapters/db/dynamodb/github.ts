import type {
  ClaimRecord,
  ClaimRepository,
  GitDeploymentRecord,
  GitDeploymentRepository,
  InstallationRecord,
  InstallationRepository,
  RepositoryRecord,
} from '#core/github/repository';
import { assertOnlyConditionFailures, isConditionFailed, rejectedConditions, unlessConditionFails } from './errors.ts';
import { gh } from './github-model.ts';

/** Installations `gh-installation#<id>` with their repositories, and team links `team#<teamId>` / `gh-installation#<id>`. */
export class DynamoDbInstallations implements InstallationRepository {
  async get(installationId: number): Promise<InstallationRecord | undefined> {
    const { data } = await gh().entities.installation.get({ installationId }).go({ consistent: true });
    return data ?? undefined;
  }

  async put(installation: Omit<InstallationRecord, 'teamId' | 'linkedAt' | 'suspendedAt'>): Promise<void> {
    // An upsert sets what it is given and keeps the rest (the link, the suspension).
    await gh().entities.installation.upsert(installation).go();
  }

  async link(installation: InstallationRecord & { teamId: string; linkedAt: string }): Promise<boolean> {
    const { teamId, installationId, linkedAt } = installation;
    const outcome = await gh()
      .transaction.write(({ installation: installations, teamLink }) => [
        installations
          .upsert(installation)
          .where(({ teamId: t }, { notExists, eq }) => `${notExists(t)} OR ${eq(t, teamId)}`)
          .commit(),
        teamLink.upsert({ teamId, installationId, linkedAt }).commit(),
      ])
      .go();
    assertOnlyConditionFailures(outcome);
    return !rejectedConditions(outcome).includes(0);
  }

  async unlink(teamId: string, installationId: number, at: string): Promise<void> {
    await gh().entities.installation.patch({ installationId }).remove(['teamId', 'linkedAt']).set({ updatedAt: at }).go();
    await gh().entities.teamLink.delete({ teamId, installationId }).go();
  }

  async linkedTo(teamId: string): Promise<number[]> {
    const { data } = await gh().entities.teamLink.query.byTeam({ teamId }).go({ pages: 'all' });
    return data.map((link) => link.installationId);
  }

  async setSuspended(installationId: number, at: string | undefined, updatedAt: string): Promise<void> {
    const patch = gh().entities.installation.patch({ installationId });
    if (at) await patch.set({ suspendedAt: at, updatedAt }).go();
    else await patch.remove(['suspendedAt']).set({ updatedAt }).go();
  }

  async delete(installationId: number): Promise<void> {
    const installation = await this.get(installationId);
    if (installation?.teamId) await gh().entities.teamLink.delete({ teamId: installation.teamId, installationId }).go();
    await gh().entities.installation.delete({ installationId }).go();
  }

  async repositories(installationId: number): Promise<RepositoryRecord[]> {
    const { data } = await gh().entities.repository.query.byInstallation({ installationId }).go({ pages: 'all' });
    return data;
  }

  async putRepositories(repositories: RepositoryRecord[]): Promise<void> {
    if (repositories.length) await gh().entities.repository.put(repositories).go();
  }

  async deleteRepositories(installationId: number, repoIds: number[]): Promise<void> {
    if (repoIds.length) await gh().entities.repository.delete(repoIds.map((repoId) => ({ installationId, repoId }))).go();
  }
}

/** Install claims `gh-claim#<sha256 of the state>`, removed by DynamoDB TTL once expired. */
export class DynamoDbClaims implements ClaimRepository {
  async create(claim: ClaimRecord): Promise<void> {
    await gh().entities.claim.create(claim).go();
  }

  async take(stateHash: string, teamId: string): Promise<ClaimRecord | undefined> {
    const take = gh()
      .entities.claim.delete({ stateHash })
      .where(({ teamId: t }, { eq }) => eq(t, teamId))
      .go({ response: 'all_old' });
    return unlessConditionFails(take.then(({ data }) => data ?? undefined), undefined);
  }
}

/** Git links of deployments `deployment#<id>` / `github`. */
export class DynamoDbGitDeployments implements GitDeploymentRepository {
  async put(link: Pick<GitDeploymentRecord, 'deploymentId' | 'installationId' | 'repo' | 'sha' | 'prNumber'>): Promise<void> {
    await gh().entities.gitDeployment.upsert(link).go();
  }

  async get(deploymentId: string): Promise<GitDeploymentRecord | undefined> {
    const { data } = await gh().entities.gitDeployment.get({ deploymentId }).go({ consistent: true });
    return data ?? undefined;
  }

  async linkPullRequest(deploymentId: string, prNumber: number): Promise<void> {
    await gh().entities.gitDeployment.patch({ deploymentId }).set({ prNumber }).remove(['reportedState']).go();
  }

  async setGithubDeploymentId(deploymentId: string, githubDeploymentId: number): Promise<number> {
    try {
      await gh()
        .entities.gitDeployment.patch({ deploymentId })
        .set({ githubDeploymentId })
        .where(({ githubDeploymentId: id }, { notExists }) => notExists(id))
        .go();
      return githubDeploymentId;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return (await this.get(deploymentId))?.githubDeploymentId ?? githubDeploymentId;
    }
  }

  async setReportedState(deploymentId: string, state: string): Promise<void> {
    await gh().entities.gitDeployment.patch({ deploymentId }).set({ reportedState: state }).go();
  }
}
