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
