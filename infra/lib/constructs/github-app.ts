import { RemovalPolicy } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';

export interface GitHubAppProps {
  /**
   * GitHub's REST API, for GitHub Enterprise Server (`https://<host>/api/v3`).
   * @default unset: the handlers use https://api.github.com
   */
  readonly apiUrl?: string;
  /**
   * GitHub's web origin, where the App's install page lives (GitHub Enterprise Server).
   * @default unset: the handlers use https://github.com
   */
  readonly webUrl?: string;
  /** Keep the secret when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The GitHub App Runway acts as: its credentials in one Secrets Manager secret (JSON
 * `{appId, appSlug, privateKey, webhookSecret}`, the shape `functions/src/lib/github-app.ts`
 * reads) and the GitHub it lives on. CDK creates the secret with a placeholder that the handlers
 * reject as malformed (app id 0, no key), so nothing talks to GitHub until the operator writes the
 * App's real values (README, "GitHub App"). Stateful: retained by default, so a redeploy or a
 * deleted stack never loses the App's key.
 */
export class GitHubApp extends Construct {
  readonly secret: Secret;
  private readonly apiUrl: string | undefined;
  private readonly webUrl: string | undefined;

  constructor(scope: Construct, id: string, props: GitHubAppProps = {}) {
    super(scope, id);
    this.apiUrl = props.apiUrl;
    this.webUrl = props.webUrl;
    this.secret = new Secret(this, 'Secret', {
      description: "Runway's GitHub App: JSON {appId, appSlug, privateKey, webhookSecret, clientId, clientSecret}. Created as a placeholder; write the App's values (README, GitHub App).",
      generateSecretString: {
        // Only the webhook secret is generated (usable as the App's webhook secret); the rest
        // exists only in GitHub's App settings and is written here by the operator.
        secretStringTemplate: JSON.stringify({ placeholder: true, appId: 0, appSlug: '', privateKey: '', clientId: '', clientSecret: '' }),
        generateStringKey: 'webhookSecret',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    acknowledge(this.secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          "The value is a GitHub App's private key and webhook secret, which only GitHub issues: the key is rotated in the App's settings on GitHub, then written here by the operator (README, GitHub App). A rotation Lambda cannot mint a GitHub App key.",
      },
    ]);
  }

  /**
   * Lets a function read the App's credentials and tells it where they are (`RUNWAY_GITHUB_SECRET_ID`)
   * and, for GitHub Enterprise Server, where GitHub is (`RUNWAY_GITHUB_API_URL`, `RUNWAY_GITHUB_WEB_URL`).
   */
  grantUse(fn: LambdaFunction): void {
    this.secret.grantRead(fn);
    fn.addEnvironment('RUNWAY_GITHUB_SECRET_ID', this.secret.secretArn);
    if (this.apiUrl) fn.addEnvironment('RUNWAY_GITHUB_API_URL', this.apiUrl);
    if (this.webUrl) fn.addEnvironment('RUNWAY_GITHUB_WEB_URL', this.webUrl);
  }
}
