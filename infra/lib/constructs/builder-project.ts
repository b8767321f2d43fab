import { Duration, DockerImage, Stack } from 'aws-cdk-lib';
import { BuildEnvironmentVariableType, BuildSpec, CfnProject, ComputeType, LinuxArmBuildImage, LinuxArmLambdaBuildImage, Project, Source } from 'aws-cdk-lib/aws-codebuild';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import path from 'node:path';
import { BUILDER_BUNDLE } from '../../../functions/src/builder/bundle.ts';
import { EC2_COMPUTE_TIMEOUT_MINUTES, LAMBDA_COMPUTE_MAX_MINUTES, stepLimitsFor, type StepLimits } from '../../../functions/src/builder/limits.ts';
import { REPO_ROOT } from './runway-function.ts';
import { acknowledge, renderedEnv } from '../nag.ts';

/**
 * Where builds run. `lambda`: CodeBuild's Lambda compute (ARM, 4 GB), which starts in seconds and
 * bills per second but stops every build at 15 minutes and cannot run Docker, root tools or write
 * outside /tmp (https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html#lambda.limitations).
 * `ec2`: an ARM EC2 container (BUILD_GENERAL1_MEDIUM: 8 GB, 4 vCPUs,
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-compute-types.html) with a
 * build timeout of 5–2160 minutes (default 60), for longer builds.
 */
export type BuildCompute = { readonly kind: 'lambda' } | { readonly kind: 'ec2'; readonly timeoutMinutes?: number };

export interface BuilderProjectProps {
  /** Where build logs go; one stream per build. */
  readonly logGroup: ILogGroup;
  /** @default { kind: 'lambda' } */
  readonly compute?: BuildCompute;
}

/**
 * The CodeBuild project that runs the builder program (functions/src/builder, bundled with
 * esbuild into the project's source). It runs untrusted user code, so its role gets nothing from
 * the platform: no table, no bucket, no key. Everything a build reads or writes goes through
 * deployment-scoped URLs of the control-plane API, passed per build as environment overrides.
 */
export class BuilderProject extends Construct {
  readonly project: Project;
  /** The most a whole build may take on this compute, in minutes. */
  readonly ceilingMinutes: number;
  /** The builder's step limits, inside that ceiling (passed to every build). */
  readonly stepLimits: StepLimits;
  /**
   * Longest a build of this project runs: CodeBuild's Lambda compute stops builds at 15 minutes,
   * a fixed limit (https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html,
   * "Limitations of AWS Lambda compute"); EC2 compute at the project's timeout. The stuck-deployment
   * sweep reads it.
   */
  readonly buildLimit: Duration;

  constructor(scope: Construct, id: string, props: BuilderProjectProps) {
    super(scope, id);
    const bundle = new Asset(this, 'Builder', {
      path: path.join(REPO_ROOT, 'functions/src/builder'),
      bundling: {
        // Used only where local bundling is impossible; esbuild is a dependency of the repo.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: {
          tryBundle(outputDir: string) {
            buildSync({ ...BUILDER_BUNDLE, outfile: path.join(outputDir, 'builder.mjs') });
            return true;
          },
        },
      },
    });

    const compute = props.compute ?? { kind: 'lambda' };
    const ec2 = compute.kind === 'ec2';
    this.ceilingMinutes = ec2 ? (compute.timeoutMinutes ?? EC2_COMPUTE_TIMEOUT_MINUTES.default) : LAMBDA_COMPUTE_MAX_MINUTES;
    if (!Number.isInteger(this.ceilingMinutes) || this.ceilingMinutes < EC2_COMPUTE_TIMEOUT_MINUTES.min || this.ceilingMinutes > EC2_COMPUTE_TIMEOUT_MINUTES.max) {
      throw new Error(`A CodeBuild build timeout is ${EC2_COMPUTE_TIMEOUT_MINUTES.min}-${EC2_COMPUTE_TIMEOUT_MINUTES.max} whole minutes, got ${this.ceilingMinutes}`);
    }
    this.buildLimit = Duration.minutes(this.ceilingMinutes);
    this.stepLimits = stepLimitsFor(this.ceilingMinutes * 60_000);
    this.project = new Project(this, 'Project', {
      description: 'Runway builds: runs the builder for one deployment per build',
      source: Source.s3({ bucket: bundle.bucket, path: bundle.s3ObjectKey }),
      environment: {
        // Node.js 22 on both: the Lambda image, and the EC2 image's `nodejs: 22` runtime
        // (https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html).
        buildImage: ec2 ? LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0 : LinuxArmLambdaBuildImage.AMAZON_LINUX_2023_NODE_22,
        computeType: ec2 ? ComputeType.MEDIUM : ComputeType.LAMBDA_4GB,
        privileged: false,
        environmentVariables: {
          // The builder stops a step that outlives its share of the ceiling with a clear message.
          RUNWAY_INSTALL_TIMEOUT_SECONDS: { type: BuildEnvironmentVariableType.PLAINTEXT, value: String(Math.floor(this.stepLimits.installMs / 1000)) },
          RUNWAY_BUILD_TIMEOUT_SECONDS: { type: BuildEnvironmentVariableType.PLAINTEXT, value: String(Math.floor(this.stepLimits.buildMs / 1000)) },
        },
      },
      // Lambda compute takes no timeout (its 15 minutes are fixed).
      ...(ec2 ? { timeout: Duration.minutes(this.ceilingMinutes) } : {}),
      logging: { cloudWatch: { logGroup: props.logGroup } },
      buildSpec: BuildSpec.fromObject({
        version: '0.2',
        phases: {
          ...(ec2 ? { install: { 'runtime-versions': { nodejs: 22 } } } : {}),
          build: { commands: ['node builder.mjs'] },
        },
      }),
    });
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    const stack = Stack.of(this);
    const { partition, region, account } = renderedEnv(this);
    const projectId = stack.getLogicalId(this.project.node.defaultChild as CfnProject);
    acknowledge(this.project, [
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "Read of the CDK asset holding the builder program (the project's source), nothing else.",
      })),
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:logs:${region}:${account}:log-group:/aws/codebuild/<${projectId}>:*]`,
        reason: "CodeBuild's default log group of this project; streams are named per build.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:${partition}:codebuild:${region}:${account}:report-group/<${projectId}>-*]`,
        reason: 'Test report groups of this project only, as CodeBuild creates them.',
      },
      {
        id: 'AwsSolutions-CB4',
        reason: 'The project produces no artifacts: output leaves only through presigned URLs of the encrypted artifact bucket. Logs use the log group settings.',
      },
    ]);
  }

  /** Lets the stuck-deployment sweep stop builds of this project, and nothing else. */
  grantStop(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['codebuild:StopBuild'], resourceArns: [this.project.projectArn] });
  }

  /** Lets the control plane start and stop builds of this project, and nothing else. */
  grantStartStop(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['codebuild:StartBuild', 'codebuild:StopBuild', 'codebuild:BatchGetBuilds'],
      resourceArns: [this.project.projectArn],
    });
  }
}
