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
 * The GitHub App Runway acts as, in two Secrets Manager secrets: the App's credentials (JSON
 * `{appId, appSlug, privateKey, clientId, clientSecret}`, read by `functions/src/lib/github-app.ts`)
 * and, apart, the webhook secret — so the public webhook function, which only verifies
 * signatures, can never read the App's private key. CDK creates both: the webhook secret
 * generated (usable as the App's), the credentials as a placeholder the handlers reject until the
 * operator writes the App's values (README, "GitHub App"). Stateful: retained by default, so a
 * redeploy or a deleted stack never loses the App's key.
 */
export class GitHubApp extends Construct {
  readonly secret: Secret;
  readonly webhookSecret: Secret;
  private readonly apiUrl: string | undefined;
  private readonly webUrl: string | undefined;

  constructor(scope: Construct, id: string, props: GitHubAppProps = {}) {
    super(scope, id);
    this.apiUrl = props.apiUrl;
    this.webUrl = props.webUrl;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.secret = new Secret(this, 'Secret', {
      description: "Runway's GitHub App: JSON {appId, appSlug, privateKey, clientId, clientSecret}. Created as a placeholder; write the App's values (README, GitHub App).",
      generateSecretString: {
        // Nothing here can be generated: it exists only in GitHub's App settings. The generated
        // key only satisfies the API; the handlers refuse the placeholder until it is replaced.
        secretStringTemplate: JSON.stringify({ placeholder: true, appId: 0, appSlug: '', privateKey: '', clientId: '', clientSecret: '' }),
        generateStringKey: 'placeholderToken',
        excludePunctuation: true,
      },
      removalPolicy,
    });
    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      description: "Runway's GitHub App webhook secret (plain string): enter it as the App's webhook secret on GitHub.",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    for (const secret of [this.secret, this.webhookSecret]) {
      acknowledge(secret, [
        {
          id: 'AwsSolutions-SMG4',
          reason:
            "A GitHub App's private key, client secret and webhook secret are set in the App's settings on GitHub, then written here by the operator (README, GitHub App); a rotation Lambda cannot change them on GitHub's side.",
        },
      ]);
    }
  }

  /**
   * Lets a function act as the App: read its credentials (`RUNWAY_GITHUB_SECRET_ID`) and, for
   * GitHub Enterprise Server, know where GitHub is (`RUNWAY_GITHUB_API_URL`, `RUNWAY_GITHUB_WEB_URL`).
   */
  grantUse(fn: LambdaFunction): void {
    this.secret.grantRead(fn);
    fn.addEnvironment('RUNWAY_GITHUB_SECRET_ID', this.secret.secretArn);
    if (this.apiUrl) fn.addEnvironment('RUNWAY_GITHUB_API_URL', this.apiUrl);
    if (this.webUrl) fn.addEnvironment('RUNWAY_GITHUB_WEB_URL', this.webUrl);
  }

  /** Lets a function verify webhook signatures, and nothing else (`RUNWAY_GITHUB_WEBHOOK_SECRET_ID`). */
  grantVerify(fn: LambdaFunction): void {
    this.webhookSecret.grantRead(fn);
    fn.addEnvironment('RUNWAY_GITHUB_WEBHOOK_SECRET_ID', this.webhookSecret.secretArn);
  }
}
