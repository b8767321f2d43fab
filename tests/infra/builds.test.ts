import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { synthRunway } from './synth.ts';

const { stacks, templates } = synthRunway();
const t = templates.builds;

/** Every action and resource of the policies attached to a role of the template. */
function statementsOfRole(roleLogicalIdPrefix: string) {
  const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
    JSON.stringify(p.Properties.Roles).includes(roleLogicalIdPrefix),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
}

describe('builds stack', () => {
  test('one CodeBuild project: Node 22 Lambda compute, not privileged, logs to the build log group', () => {
    t.resourceCountIs('AWS::CodeBuild::Project', 1);
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        Image: Match.stringLikeRegexp('nodejs22'),
        ComputeType: 'BUILD_LAMBDA_4GB',
        PrivilegedMode: false,
      }),
      LogsConfig: { CloudWatchLogs: Match.objectLike({ Status: 'ENABLED', GroupName: Match.anyValue() }) },
    });
  });

  test('the build role (untrusted code) can touch no table, key, secret or platform bucket', () => {
    const project = Object.values(t.findResources('AWS::CodeBuild::Project'))[0]!;
    const roleId = project.Properties.ServiceRole['Fn::GetAtt'][0] as string;
    const statements = statementsOfRole(roleId);
    expect(statements.length).toBeGreaterThan(0);
    const actions = statements.flatMap((s) => [s.Action].flat());
    for (const action of actions) {
      expect(action).not.toMatch(/^(dynamodb|kms|secretsmanager|ssm|cloudfront|cloudfront-keyvaluestore|codebuild:StartBuild|iam|sts):/);
    }
    // Its only S3 access is reading the CDK asset that holds the builder program.
    const s3Resources = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:'))).map((s) => JSON.stringify(s.Resource));
    expect(s3Resources.length).toBeGreaterThan(0);
    for (const resource of s3Resources) {
      expect(resource).toMatch(/cdk-[a-z0-9]+-assets|AssetParameters|BootstrapVersion|hnb659fds/);
      expect(resource).not.toMatch(/Artifacts|ExportsOutput/);
    }
  });

  test('the build role names nothing of the platform: no state-stack resource (table, key, secrets, artifact bucket) in any statement', () => {
    const project = Object.values(t.findResources('AWS::CodeBuild::Project'))[0]!;
    const roleId = project.Properties.ServiceRole['Fn::GetAtt'][0] as string;
    const all = statementsOfRole(roleId);
    // Cross-stack references to the state stack's resources appear as imports: the build log
    // group (CodeBuild writes the build's output there as this role) is the only one.
    for (const statement of all.filter((st) => JSON.stringify(st.Resource).includes('Fn::ImportValue'))) {
      expect([statement.Action].flat().every((a) => a.startsWith('logs:')), JSON.stringify(statement)).toBe(true);
      expect(JSON.stringify(statement.Resource)).toMatch(/BuildLogs/);
    }
    const statements = JSON.stringify(all);
    for (const resource of [stacks.state.table.tableName, stacks.state.artifactBucket.bucketName, stacks.state.secretsKey.keyArn]) {
      expect(statements).not.toContain(JSON.stringify(stacks.builds.resolve(resource)).slice(1, -1));
    }
  });

  test('the platform\'s key, bucket and secrets grant nothing by resource policy: only IAM policies (which the build role lacks) open them', () => {
    const state = templates.state;
    for (const key of Object.values(state.findResources('AWS::KMS::Key'))) {
      for (const statement of key.Properties.KeyPolicy.Statement as Array<{ Principal: unknown; Effect: string }>) {
        // The account itself (which delegates to IAM): no role, service or other account.
        expect(JSON.stringify(statement.Principal)).toMatch(/^\{"AWS":\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::",\{"Ref":"AWS::AccountId"\},":root"\]\]\}\}$/);
      }
    }
    for (const policy of Object.values(state.findResources('AWS::S3::BucketPolicy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Effect: string; Principal: unknown; Condition?: unknown }>) {
        // Deny-only statements (TLS) or the edge's CloudFront origin access by its distribution.
        if (statement.Effect === 'Allow') expect(JSON.stringify(statement.Principal)).toMatch(/cloudfront\.amazonaws\.com|CanonicalUser/);
      }
    }
    state.resourceCountIs('AWS::SecretsManager::ResourcePolicy', 0);
  });

  test('the build runs outside any VPC: it reaches the internet, and nothing of the platform answers there without credentials it lacks', () => {
    const project = Object.values(t.findResources('AWS::CodeBuild::Project'))[0]!;
    expect(project.Properties.VpcConfig).toBeUndefined();
  });

  test('build state changes of this project reach the build-state function, with a dead-letter queue', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codebuild'],
        'detail-type': ['CodeBuild Build State Change'],
        detail: { 'project-name': [Match.anyValue()] },
      },
      Targets: [Match.objectLike({ Arn: Match.anyValue(), DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }), RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 8 }) })],
    });
  });

  test('only the deployments API and the GitHub worker may start and stop builds, on this project only', () => {
    const api = templates.api;
    const starters = Object.values(api.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('codebuild:StartBuild'));
    expect(starters.map((p) => JSON.stringify(p.Properties.Roles)).sort()).toEqual([
      expect.stringContaining('DeploymentsFn'),
      expect.stringContaining('GitHubWorkerFn'),
    ]);
    for (const starter of starters) {
      const statement = starter.Properties.PolicyDocument.Statement.find((s: { Action: string[] }) => [s.Action].flat().includes('codebuild:StartBuild'));
      expect(JSON.stringify(statement.Resource)).toMatch(/BuilderProject/);
    }
    expect(stacks.builds.builder.project).toBeDefined();
  });
});
