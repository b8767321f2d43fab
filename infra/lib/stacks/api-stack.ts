import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { acknowledge, acknowledgeTableIndexes } from '../nag.ts';
import type { Construct } from 'constructs';
import { HTTP_HANDLERS, HTTP_ROUTES } from '../../../functions/src/handlers/http/routes.ts';
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
}

/** The public HTTP API: one Lambda per handler module, routes from the shared route table. */
export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Record<string, RunwayFunction> = {};

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { state } = props;
    this.api = new HttpApi(this, 'HttpApi', { description: 'Runway control-plane API' });

    const environment = {
      RUNWAY_TABLE_NAME: state.table.tableName,
      RUNWAY_IDEMPOTENCY_TABLE_NAME: state.idempotencyTable.tableName,
      RUNWAY_ARTIFACT_BUCKET: state.artifactBucket.bucketName,
      RUNWAY_KMS_KEY_ID: state.secretsKey.keyId,
      RUNWAY_PLATFORM_DOMAIN: props.platformDomain,
    };

    for (const name of HTTP_HANDLERS) {
      const fn = new RunwayFunction(this, `${pascal(name)}Fn`, {
        handlerFile: `http/${name}.ts`,
        serviceName: `api-${name}`,
        environment,
      });
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
      } else {
        state.table.grantReadWriteData(fn);
      }
      acknowledgeTableIndexes(
        fn,
        state.table.tableArn,
        "Access patterns query the gsi1/gsi2 indexes of the control-plane table; the grant names the table's own indexes only.",
      );
      this.functions[name] = fn;
      const integration = new HttpLambdaIntegration(`${pascal(name)}Integration`, fn);
      for (const route of HTTP_ROUTES.filter((r) => r.handler === name)) {
        this.api.addRoutes({ path: route.path, methods: [route.method as HttpMethod], integration });
      }
    }
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

    acknowledge(this.api, [
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Every route except health, the OpenAPI document and the signed GitHub webhook checks a hashed bearer token inside the handler, where object-level authorization also happens.',
      },
    ]);
  }
}

/** `health` → `Health`, `env-vars` → `EnvVars`. */
function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}
