/** The GitHub App integration: installations and their teams, push / pull-request deployments, reports back. */
export * as Installation from './installation.ts';
export * as GitHubEvents from './events.ts';
export { report as reportToGitHub, reportEnd, publicUrl } from './report.ts';
export * from './schema.ts';
export * as GitHubWebhook from './webhook.ts';
export type * from './repository.ts';
