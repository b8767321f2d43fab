import { spawnSync } from 'node:child_process';
import { DockerImage, Duration, Stack } from 'aws-cdk-lib';
import type { IDistribution } from 'aws-cdk-lib/aws-cloudfront';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { ConsoleConfig } from '../../../site/src/lib/api.ts';
import { astroBuild, SITE_DIR } from '../console-build.ts';
import { acknowledge, acknowledgeArnWildcard, renderedEnv } from '../nag.ts';

export interface ConsoleSiteProps {
  /** The console stack's private site bucket. */
  readonly bucket: IBucket;
  /** The console distribution: objects are served from it, with at most a second at the edge. */
  readonly distribution: IDistribution;
  /** `/config.json`: where the API is (and, locally only, the edge port). */
  readonly config: ConsoleConfig;
}

/**
 * Publishes the console: the static Astro build and its run-time `/config.json`, deployed into
 * the console bucket by a BucketDeployment (a Lambda-backed custom resource, so AWS only; the
 * emulator deploys just the state stack). It lives in the API stack because `config.json` names
 * the API's URL while the API's CORS names the console's origin: API → console, console →
 * nothing, no cycle.
 *
 * Every object gets `Cache-Control: public, max-age=0, must-revalidate`: after an update browsers
 * and CloudFront (its minimum TTL of one second) revalidate, so no invalidation is needed and no
 * page of an old build asks for assets `prune` has removed.
 */
export class ConsoleSite extends Construct {
  readonly deployment: BucketDeployment;
  private readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.bucketArn = props.bucket.bucketArn;
    const site = Source.asset(SITE_DIR, {
      bundling: {
        // Used only where local bundling is impossible; Astro runs on the machine that deploys.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: {
          tryBundle(outputDir: string) {
            const { command, args, options } = astroBuild(outputDir);
            const run = spawnSync(command, args, { ...options, stdio: ['ignore', process.stderr, 'inherit'] });
            if (run.status !== 0) throw new Error(`astro build of the console failed (${run.error?.message ?? `exit ${run.status}`})`);
            return true;
          },
        },
      },
    });
    this.deployment = new BucketDeployment(this, 'Files', {
      sources: [site, Source.jsonData('config.json', props.config)],
      destinationBucket: props.bucket,
      prune: true,
      retainOnDelete: false,
      memoryLimit: 512,
      cacheControl: [CacheControl.setPublic(), CacheControl.maxAge(Duration.seconds(0)), CacheControl.mustRevalidate()],
    });
    this.acknowledgeFindings();
  }

  /** The CDK asset bucket's objects as cdk-nag names them (pseudo parameters when env-agnostic). */
  private assetBucketObjects(): string {
    const { partition, region, account } = renderedEnv(this);
    // The default synthesizer's bootstrap qualifier (a custom one makes cdk-nag name another ARN).
    const qualifier = (Stack.of(this).synthesizer as { qualifier?: string }).qualifier ?? 'hnb659fds';
    return `arn:${partition}:s3:::cdk-${qualifier}-assets-${account}-${region}/*`;
  }

  /** The deployment's singleton handler lives at the stack's root, outside this construct. */
  private acknowledgeFindings(): void {
    const stack = Stack.of(this);
    const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('BucketDeployment created no handler function at the stack root');
    for (const scope of [handler, this.deployment]) {
      acknowledge(scope, [
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's BucketDeployment handler: the AWS-managed minimum for its own logs.",
        },
        { id: 'AwsSolutions-L1', reason: "CDK's BucketDeployment handler runtime is chosen and updated by aws-cdk-lib." },
        ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: "BucketDeployment reads the CDK asset and replaces the console bucket's files: the grant's action set.",
        })),
        {
          id: `AwsSolutions-IAM5[Resource::${this.assetBucketObjects()}]`,
          reason: "Reads the console's build from the CDK asset bucket (the asset's key is known only at deploy time).",
        },
      ]);
    }
    acknowledgeArnWildcard(handler, this.bucketArn, '/*', 'Replaces the files of the console bucket, which holds nothing else.');
  }
}
