import type { Provided, Repositories } from '#core/context';
import { DynamoDbAliases, DynamoDbEdgeKeys } from './aliases.ts';
import { DynamoDbBuilds } from './builds.ts';
import { DynamoDbDeployments } from './deployments.ts';
import { DynamoDbDomains } from './domains.ts';
import { DynamoDbEnv } from './env.ts';
import { DynamoDbClaims, DynamoDbGitDeployments, DynamoDbInstallations } from './github.ts';
import { DynamoDbProjects } from './projects.ts';
import { DynamoDbMembers, DynamoDbTeams } from './teams.ts';
import { DynamoDbRateLimits, DynamoDbTokens } from './tokens.ts';

/**
 * Every repository over the control-plane table (ElectroDB, one service: see model.ts for the
 * keys), as factories for `provideDefaults`: each is built on first use.
 */
export const dynamoDbRepositories: Provided<Repositories> = {
  teams: () => new DynamoDbTeams(),
  members: () => new DynamoDbMembers(),
  tokens: () => new DynamoDbTokens(),
  rateLimits: () => new DynamoDbRateLimits(),
  projects: () => new DynamoDbProjects(),
  env: () => new DynamoDbEnv(),
  deployments: () => new DynamoDbDeployments(),
  aliases: () => new DynamoDbAliases(),
  edgeKeys: () => new DynamoDbEdgeKeys(),
  builds: () => new DynamoDbBuilds(),
  installations: () => new DynamoDbInstallations(),
  claims: () => new DynamoDbClaims(),
  gitDeployments: () => new DynamoDbGitDeployments(),
  domains: () => new DynamoDbDomains(),
};
