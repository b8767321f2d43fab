import { Duration, DockerImage, Stack } from 'aws-cdk-lib';
import { BuildSpec, CfnProject, ComputeType, LinuxArmLambdaBuildImage, Project, Source } from 'aws-cdk-lib/aws-codebuild';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import path from 'node:path';
import { BUILDER_BUNDLE } from '../../../functions/src/builder/bundle.ts';
import { REPO_ROOT } from './runway-function.ts';
import { acknowledge } from '../nag.ts';

export interface BuilderProjectProps {
  /** Where build logs go; one stream per build. */
  readonly logGroup: ILogGroup;
  /** CodeBuild compute; Lambda compute bills per second and starts in seconds. @default ComputeType.LAMBDA_4GB */
  readonly computeType?: ComputeType;
  /**
   * A build running longer is stopped. Lambda compute has a fixed 15-minute limit and takes no
   * timeout; this applies to EC2 compute types only. @default 30 minutes
   */
  readonly timeout?: Duration;
}

/**
 * The CodeBuild project that runs the builder program (functions/src/builder, bundled with
 * esbuild into the project's source). It runs untrusted user code, so its role gets nothing from
 * the platform: no table, no bucket, no key. Everything a build reads or writes goes through
 * deployment-scoped URLs of the control-plane API, passed per build as environment overrides.
 */
export class BuilderProject extends Construct {
  readonly project: Project;
  /**
   * Longest a build of this project runs: CodeBuild's Lambda compute stops builds at 15 minutes,
   * a fixed limit (https://docs.aws.amazon.com/codebuild/latest/userguide/lambda.html,
   * "Limitations of AWS Lambda compute"); EC2 compute at the project's timeout.
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

    const computeType = props.computeType ?? ComputeType.LAMBDA_4GB;
    const lambdaCompute = computeType.startsWith('BUILD_LAMBDA_');
    this.buildLimit = lambdaCompute ? Duration.minutes(15) : (props.timeout ?? Duration.minutes(30));
    this.project = new Project(this, 'Project', {
      description: 'Runway builds: runs the builder for one deployment per build',
      source: Source.s3({ bucket: bundle.bucket, path: bundle.s3ObjectKey }),
      environment: {
        buildImage: LinuxArmLambdaBuildImage.AMAZON_LINUX_2023_NODE_22,
        computeType,
        privileged: false,
      },
      ...(lambdaCompute ? {} : { timeout: this.buildLimit }),
      logging: { cloudWatch: { logGroup: props.logGroup } },
      buildSpec: BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: ['node builder.mjs'] } },
      }),
    });
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    // cdk-nag renders ARNs with the stack's region/account, or their pseudo parameters when the
    // stack is environment-agnostic.
    const stack = Stack.of(this);
    const literal = (value: string, pseudo: string) => {
      const resolved: unknown = stack.resolve(value);
      return typeof resolved === 'string' ? resolved : `<${pseudo}>`;
    };
    const partition = literal(stack.partition, 'AWS::Partition');
    const region = literal(stack.region, 'AWS::Region');
    const account = literal(stack.account, 'AWS::AccountId');
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
