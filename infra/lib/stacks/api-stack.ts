import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnStage, CorsHttpMethod, HttpApi, HttpMethod, HttpRoute, HttpRouteKey } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { acknowledge, acknowledgeArnWildcard, acknowledgeTableIndexes } from '../nag.ts';
import type { Construct } from 'constructs';
import { API_CORS, corsAllowOrigins } from '../../../functions/src/handlers/http/cors.ts';
import { DEFAULT_ROUTE, HTTP_HANDLERS, HTTP_ROUTES } from '../../../functions/src/handlers/http/routes.ts';
import { ConsoleSite } from '../constructs/console-site.ts';
import { GitHubIntegration } from '../constructs/github-integration.ts';
import { RunwayFunction } from '../constructs/runway-function.ts';
import type { ConsoleStack } from './console-stack.ts';
import type { StateStack } from './state-stack.ts';

export interface ApiStackProps extends StackProps {
  readonly state: StateStack;
  /** The console: its origin may call the API (CORS), and this stack publishes its files. */
  readonly console: ConsoleStack;
  /** Another URL the console is served at (a custom domain in front of it), also allowed by CORS. */
  readonly consoleUrl?: string;
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
 * The public HTTP API: one Lambda per handler module, routes from the shared route table, CORS
 * from the shared definition (handlers/http/cors.ts, which the local gateway reads too); the
 * GitHub integration behind its webhook (queue and worker); and the console's files with a
 * `config.json` naming this API.
 */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Record<string, RunwayFunction> = {};
  readonly github: GitHubIntegration;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { state } = props;
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Runway control-plane API',
      // API Gateway answers preflights itself only while no route matches them: the `$default`
      // route below receives every preflight, and its handler answers them 204; API Gateway adds
      // these headers to that answer (handlers/http/cors.ts, handlers/http/not-found.ts).
      corsPreflight: {
        allowOrigins: corsAllowOrigins(props.console.origin, props.consoleUrl),
        allowMethods: API_CORS.allowMethods.map((m) => CorsHttpMethod[m]),
        allowHeaders: [...API_CORS.allowHeaders],
        exposeHeaders: [...API_CORS.exposeHeaders],
        maxAge: Duration.seconds(API_CORS.maxAgeSeconds),
      },
    });

    const environment = {
      ...state.controlPlaneEnvironment(props.platformDomain),
      RUNWAY_RATE_LIMIT_PER_MINUTE: String(props.tokenRateLimitPerMinute ?? 1200),
    };

    for (const name of HTTP_HANDLERS) {
      const fn = new RunwayFunction(this, `${pascal(name)}Fn`, {
        handlerFile: `http/${name}.ts`,
        serviceName: `api-${name}`,
        environment,
        // Checking up to 20,000 blobs of a new deployment, verifying a batch of 100 direct
        // uploads, or listing the repositories of a large organisation's installation when
        // linking it, takes longer than the default 10 s (the HTTP API waits 30 s at most).
        ...(LONG_HANDLERS.has(name) ? { timeout: Duration.seconds(29) } : {}),
      });
      grantHandler(name, fn, state);
      this.functions[name] = fn;
      const integration = new HttpLambdaIntegration(`${pascal(name)}Integration`, fn);
      for (const route of HTTP_ROUTES.filter((r) => r.handler === name)) {
        this.api.addRoutes({ path: route.path, methods: [route.method as HttpMethod], integration });
      }
      // Unmatched requests reach a handler too, so they get the error shape, not API Gateway's own
      // 404; CORS preflights reach it as well (it answers them 204, see not-found.ts).
      if (name === DEFAULT_ROUTE.handler) new HttpRoute(this.api, 'DefaultRoute', { httpApi: this.api, routeKey: HttpRouteKey.DEFAULT, integration });
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

    new ConsoleSite(this, 'ConsoleSite', {
      bucket: props.console.bucket,
      distribution: props.console.distribution,
      config: { apiUrl: this.api.apiEndpoint },
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'GitHubWebhookUrl', {
      description: "The GitHub App's webhook URL",
      value: `${this.api.apiEndpoint}${webhookRoute().path}`,
    });

    acknowledge(this.api, [
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Every route except health, the OpenAPI document, the signed GitHub webhook and the catch-all 404 ($default) checks a hashed bearer token inside the handler, where object-level authorization also happens.',
      },
    ]);
  }
}

/** The handler module of GitHub's signed deliveries: public, no token, so no control-plane table. */
const WEBHOOK_HANDLER = 'github-webhook';
/** Handlers that call GitHub as the App (read its credentials). The webhook only verifies signatures. */
const GITHUB_HANDLERS = new Set(['git', 'deployments', 'builds']);

/** Handlers that may run up to 29 s (the HTTP API's integration timeout is 30 s). */
const LONG_HANDLERS = new Set(['deployments', 'git', 'files']);

/** What a handler may do with objects under one prefix of the artifact bucket. */
type ObjectAccess = 'read' | 'put' | 'delete';

/**
 * What each handler's code does in the artifact bucket, by key prefix (core/artifact-keys.ts),
 * and nothing more. `read` is GetObject and HeadObject (with s3:ListBucket, without which a
 * missing key answers 403 instead of 404: https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html);
 * `put` is PutObject, which is also all a presigned PUT URL the handler hands out can do ("The
 * credentials used by the presigned URL are those of the AWS Identity and Access Management (IAM)
 * principal who generated the URL": https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html);
 * `delete` is DeleteObject. tests/infra/api-grants.test.ts checks each call against the
 * synthesized policies, both ways.
 */
const ARTIFACT_ACCESS: Readonly<Record<string, Readonly<Record<string, readonly ObjectAccess[]>>>> = {
  // POST /v1/files puts a blob; POST /v1/files/uploads lists/HEADs the team's blobs and presigns
  // PUTs to uploads/; …/complete HEADs and hashes the upload, copies it to blobs/, deletes it.
  files: { blobs: ['read', 'put'], uploads: ['read', 'put', 'delete'] },
  // A deployment's file list is a blob (create puts it, redeploy and cancel read it); missing_files
  // lists/HEADs the team's blobs.
  deployments: { blobs: ['read', 'put'] },
  // The build API: the job reads the file list; /missing lists/HEADs blobs and presigns their PUTs;
  // /blobs presigns a PUT; /source presigns GETs of blobs; /manifest presigns a write-once PUT
  // (If-None-Match needs only PutObject); /cache HEADs and presigns a GET, POST /cache a PUT.
  builds: { blobs: ['read', 'put'], manifests: ['put'], cache: ['read', 'put'] },
};

/** Handlers that encrypt env var values (and read them back): the env API. */
const KMS_ENCRYPT_HANDLERS = new Set(['env']);
/** Handlers that only decrypt env var values: the build API, for the job of a build. */
const KMS_DECRYPT_HANDLERS = new Set(['builds']);
/**
 * Handlers that answer lists with a cursor (their `next` is sealed, their `?cursor=` opened:
 * functions/src/lib/cursor.ts). A test checks this against the route table.
 */
export const PAGED_HANDLERS = new Set(['teams', 'tokens', 'projects', 'aliases', 'deployments']);

/**
 * The permissions of one handler, all through grant* calls: the health probe reads one key; the
 * OpenAPI document needs nothing; the GitHub webhook verifies signatures and records delivery
 * ids with the webhook secret only; every token-authenticated module reads and writes the table
 * (token lookup, rate-limit counter, its own items); the artifact bucket, KMS and the GitHub App's
 * secret only as its code uses them ({@link ARTIFACT_ACCESS}).
 */
function grantHandler(name: string, fn: RunwayFunction, state: StateStack): void {
  // The OpenAPI document and the catch-all 404 read nothing.
  if (name === 'openapi' || name === DEFAULT_ROUTE.handler) return;
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
  grantArtifacts(name, fn, state);
  if (KMS_ENCRYPT_HANDLERS.has(name)) {
    state.secretsKey.grantEncryptDecrypt(fn);
    acknowledge(fn, [
      ...['kms:ReEncrypt*', 'kms:GenerateDataKey*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "grantEncryptDecrypt on the env-var key only; the action wildcards are the grant's set.",
      })),
    ]);
  }
  if (KMS_DECRYPT_HANDLERS.has(name)) state.secretsKey.grantDecrypt(fn);
}

/** The handler's {@link ARTIFACT_ACCESS}, as grantRead / grantPut / grantDelete per prefix. */
function grantArtifacts(name: string, fn: RunwayFunction, state: StateStack): void {
  const bucket = state.artifactBucket;
  const access = ARTIFACT_ACCESS[name] ?? {};
  const wildcards = new Set<string>();
  for (const [prefix, granted] of Object.entries(access)) {
    const keys = `${prefix}/*`;
    if (granted.includes('read')) {
      bucket.grantRead(fn, keys);
      for (const action of ['s3:GetBucket*', 's3:GetObject*', 's3:List*']) wildcards.add(action);
    }
    if (granted.includes('put')) {
      bucket.grantPut(fn, keys);
      wildcards.add('s3:Abort*');
    }
    if (granted.includes('delete')) {
      bucket.grantDelete(fn, keys);
      wildcards.add('s3:DeleteObject*');
    }
    acknowledgeArnWildcard(
      fn,
      bucket.bucketArn,
      `/${keys}`,
      `Keys under ${prefix}/ are per team, deployment or project (core/artifact-keys.ts): the prefix is the narrowest resource that covers them all.`,
    );
  }
  acknowledge(
    fn,
    [...wildcards].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: "The action wildcards of grantRead/grantPut/grantDelete on the prefixes this handler's code uses (List lets HeadObject tell 404 from 403).",
    })),
  );
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
