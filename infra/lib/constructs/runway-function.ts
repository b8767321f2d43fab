import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
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

/**
 * A Lambda function with Runway's defaults: the newest Node.js runtime (24) on arm64, ESM bundle minified by esbuild with
 * the AWS SDK v3 bundled (tree-shaken, no runtime-version drift), JSON logs with a bounded
 * retention, active tracing and Powertools environment.
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
      runtime: Runtime.NODEJS_24_X,
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
      bundling: {
        format: OutputFormat.ESM,
        // No `target`: NodejsFunction derives it from the runtime (nodejs24.x -> node24), so the
        // two cannot drift.
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // Bundle the SDK: tree-shaken clients start faster than the runtime's full copy and
        // do not drift with the runtime's version.
        externalModules: [],
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
