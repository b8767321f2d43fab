import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import { esbuildTargetOf, LAMBDA_RUNTIME, RUNTIME_PROVIDED, SDK_MODE } from '../bundling.ts';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root, so entries can be given relative to it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface RunwayFunctionProps extends Omit<NodejsFunctionProps, 'entry'> {
  /** Handler file relative to `functions/src/handlers`, e.g. `http/health.ts`. */
  readonly handlerFile: string;
  /** Powertools service name. @default the construct id */
  readonly serviceName?: string;
}

/** The Lambda runtime of {@link LAMBDA_RUNTIME}; the esbuild target is derived from it. */
const RUNTIME = (() => {
  const runtime = Runtime.ALL.find((r) => r.name === LAMBDA_RUNTIME);
  if (!runtime) throw new Error(`CDK knows no Lambda runtime ${LAMBDA_RUNTIME}`);
  return runtime;
})();

/**
 * A Lambda function with Runway's defaults: the newest Node.js runtime (24) on arm64, an ESM
 * bundle minified by esbuild for that runtime's Node.js, with the AWS SDK v3 left to the runtime
 * (infra/lib/bundling.ts: the choice and its figures), JSON logs with a bounded retention,
 * active tracing and Powertools environment.
 */
export class RunwayFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: RunwayFunctionProps) {
    const { handlerFile, serviceName, environment, bundling, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: path.join(REPO_ROOT, 'functions/src/handlers', handlerFile),
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      ...rest,
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName ?? id,
        POWERTOOLS_METRICS_NAMESPACE: 'Runway',
        NODE_OPTIONS: '--enable-source-maps',
        ...environment,
      },
      // The same options as lambdaBuildOptions() in infra/lib/bundling.ts, which the bundle-size
      // test and bench:api bundle with.
      bundling: {
        format: OutputFormat.ESM,
        target: esbuildTargetOf(RUNTIME.name),
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        externalModules: SDK_MODE === 'external' ? RUNTIME_PROVIDED : [],
        esbuildArgs: { '--legal-comments': 'none', '--charset': 'utf8' },
        // ESM bundles still meet CommonJS dependencies that call require().
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        ...bundling,
      },
    });
    acknowledge(this, [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The AWS-managed minimum for writing the function\'s own logs.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords accept no resource narrower than *.',
      },
    ]);
  }
}
