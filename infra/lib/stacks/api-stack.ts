import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { acknowledge, acknowledgeArnWildcard, acknowledgeTableIndexes } from '../nag.ts';
import type { Construct } from 'constructs';
import { HTTP_HANDLERS, HTTP_ROUTES } from '../../../functions/src/handlers/http/routes.ts';
import { GitHubIntegration } from '../constructs/github-integration.ts';
import { RunwayFunction } from '../constructs/runway-function.ts';
import type { StateStack } from './state-stack.ts';

export interface ApiStackProps extends StackProps {
  readonly state: StateStack;
  /** Platform domain deployments are served under, e.g. `runway.example.com`. */
  readonly platformDomain: string;
  /** Steady-state request rate limit of the whole API (requests per second). @default 50 */
  readonly throttleRateLimit?: number;
  /** Burst limit of the whole API. @default 100 */
  readonly throttleBurstLimit?: number;
  /** Requests one API token may make per minute, across all handlers. @default 1200 */
  readonly tokenRateLimitPerMinute?: number;
}

/**
 * The public HTTP API: one Lambda per handler module, routes from the shared route table; and the
 * GitHub integration behind its webhook (queue and worker).
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Record<string, RunwayFunction> = {};
  readonly github: GitHubIntegration;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { state } = props;
    this.api = new HttpApi(this, 'HttpApi', { description: 'Runway control-plane API' });

    const environment = {
      ...state.controlPlaneEnvironment(props.platformDomain),
      RUNWAY_RATE_LIMIT_PER_MINUTE: String(props.tokenRateLimitPerMinute ?? 1200),
    };

    for (const name of HTTP_HANDLERS) {
      const fn = new RunwayFunction(this, `${pascal(name)}Fn`, {
        handlerFile: `http/${name}.ts`,
        serviceName: `api-${name}`,
        environment,
        // Checking up to 20,000 blobs of a new deployment, or listing the repositories of a large
        // organisation's installation when linking it, takes longer than the default 10 s.
        ...(name === 'deployments' || name === 'git' ? { timeout: Duration.seconds(29) } : {}),
      });
      grantHandler(name, fn, state);
      this.functions[name] = fn;
      const integration = new HttpLambdaIntegration(`${pascal(name)}Integration`, fn);
      for (const route of HTTP_ROUTES.filter((r) => r.handler === name)) {
        this.api.addRoutes({ path: route.path, methods: [route.method as HttpMethod], integration });
      }
    }

    this.github = new GitHubIntegration(this, 'GitHub', {
      table: state.table,
      idempotencyTable: state.idempotencyTable,
      app: state.githubApp,
      environment,
    });
    this.github.grantEnqueue(handlerFn(this.functions, WEBHOOK_HANDLER));

    // Account-wide protection in front of the per-token limiter inside the handlers.
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    const stage = this.api.defaultStage?.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = {
      throttlingRateLimit: props.throttleRateLimit ?? 50,
      throttlingBurstLimit: props.throttleBurstLimit ?? 100,
    };
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
        integrationError: '$context.integrationErrorMessage',
      }),
    };

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'GitHubWebhookUrl', {
      description: "The GitHub App's webhook URL",
      value: `${this.api.apiEndpoint}${webhookRoute().path}`,
    });

    acknowledge(this.api, [
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Every route except health, the OpenAPI document and the signed GitHub webhook checks a hashed bearer token inside the handler, where object-level authorization also happens.',
      },
    ]);
  }
}

/** The handler module of GitHub's signed deliveries: public, no token, so no control-plane table. */
const WEBHOOK_HANDLER = 'github-webhook';
/** Handlers that call GitHub as the App (read its credentials). The webhook only verifies signatures. */
const GITHUB_HANDLERS = new Set(['git', 'deployments', 'builds']);

/** Handlers that store or read blobs (`blobs/<teamId>/<sha256>`). */
const BLOB_HANDLERS = new Set(['files', 'deployments']);
/** Handlers that encrypt or decrypt env var values. */
const KMS_HANDLERS = new Set(['env']);
/**
 * Handlers that answer lists with a cursor (their `next` is sealed, their `?cursor=` opened:
 * functions/src/lib/cursor.ts). A test checks this against the route table.
 */
export const PAGED_HANDLERS = new Set(['teams', 'tokens', 'projects', 'aliases', 'deployments']);

/**
 * The permissions of one handler, all through grant* calls: the health probe reads one key; the
 * OpenAPI document needs nothing; the GitHub webhook verifies signatures and records delivery
 * ids with the webhook secret only; every token-authenticated module reads and writes the table (token lookup, rate-limit
 * counter, its own items); blobs, KMS and the GitHub App's secret only where used.
 */
function grantHandler(name: string, fn: RunwayFunction, state: StateStack): void {
  if (name === 'openapi') return;
  if (GITHUB_HANDLERS.has(name)) state.githubApp.grantUse(fn);
  if (name === WEBHOOK_HANDLER) {
    // Verifies the signature with the webhook secret (never the App's key), enqueues once per
    // delivery id; the worker does everything that touches the control plane or GitHub.
    state.githubApp.grantVerify(fn);
    state.idempotencyTable.grantReadWriteData(fn);
    return;
  }
  acknowledgeTableIndexes(
    fn,
    state.table.tableArn,
    "Access patterns query the gsi1/gsi2 indexes of the control-plane table; the grant names the table's own indexes only.",
  );
  if (name === 'health') {
    // The health check only probes that the table and bucket answer.
    state.table.grant(fn, 'dynamodb:GetItem');
    state.artifactBucket.grantRead(fn, '__health__');
    acknowledge(
      fn,
      ['s3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "grantRead of the single __health__ key; the action wildcards are the grant's read set.",
      })),
    );
    return;
  }
  state.table.grantReadWriteData(fn);
  if (PAGED_HANDLERS.has(name)) state.cursorKey.grantUse(fn);
  if (BLOB_HANDLERS.has(name)) {
    state.artifactBucket.grantReadWrite(fn, 'blobs/*');
    acknowledge(fn, [
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "grantReadWrite of the blobs/ prefix; the action wildcards are the grant's set (List lets HeadObject tell 404 from 403).",
      })),
    ]);
    acknowledgeArnWildcard(
      fn,
      state.artifactBucket.bucketArn,
      '/blobs/*',
      'Blobs are keyed blobs/<teamId>/<sha256>: the prefix is the narrowest resource that covers every team.',
    );
  }
  if (KMS_HANDLERS.has(name)) {
    state.secretsKey.grantEncryptDecrypt(fn);
    acknowledge(fn, [
      ...['kms:ReEncrypt*', 'kms:GenerateDataKey*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "grantEncryptDecrypt on the env-var key only; the action wildcards are the grant's set.",
      })),
    ]);
  }
}

/** The function of a handler module the stack wires to something else. */
function handlerFn(functions: Record<string, RunwayFunction>, name: string): RunwayFunction {
  const fn = functions[name];
  if (!fn) throw new Error(`No API function "${name}": is it still in HTTP_ROUTES?`);
  return fn;
}

/** The webhook's route in the shared route table (its path is the App's webhook URL). */
function webhookRoute() {
  const route = HTTP_ROUTES.find((r) => r.handler === WEBHOOK_HANDLER);
  if (!route) throw new Error(`No route of "${WEBHOOK_HANDLER}" in HTTP_ROUTES`);
  return route;
}

/** `health` → `Health`, `env-vars` → `EnvVars`. */
function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
