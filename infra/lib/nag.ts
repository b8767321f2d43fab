import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One acknowledged cdk-nag finding: the rule id (with `[finding]` where the rule has several) and why. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** Acknowledges cdk-nag findings on a construct and everything below it, each with its reason. */
export function acknowledge(scope: IConstruct, findings: ReadonlyArray<Acknowledgement>): void {
  for (const finding of findings) Validations.of(scope).acknowledge(finding);
}

/**
 * Acknowledges cdk-nag's IAM5 wildcard finding on `<arn><suffix>` (e.g. a table's `/index/*`, a
 * bucket's `/*`). The finding names the ARN as rendered in `scope`'s stack, which for a resource
 * of another stack is an export that exists only once references are resolved, so the id is
 * computed in the validation phase (after reference resolution, before the nag report).
 */
export function acknowledgeArnWildcard(scope: IConstruct, arn: string, suffix: string, reason: string): void {
  scope.node.addValidation({
    validate: () => {
      const resolved = Stack.of(scope).resolve(arn) as Record<string, unknown>;
      const imported = resolved['Fn::ImportValue'];
      const getAtt = resolved['Fn::GetAtt'];
      const rendered =
        typeof imported === 'string' ? imported : Array.isArray(getAtt) ? `<${getAtt.join('.')}>` : undefined;
      if (!rendered) return [`Cannot name the wildcard finding of ${JSON.stringify(resolved)}`];
      acknowledge(scope, [{ id: `AwsSolutions-IAM5[Resource::${rendered}${suffix}]`, reason }]);
      return [];
    },
  });
}

/** The `<table>/index/*` finding that every DynamoDB `grant*` adds. */
export function acknowledgeTableIndexes(scope: IConstruct, tableArn: string, reason: string): void {
  acknowledgeArnWildcard(scope, tableArn, '/index/*', reason);
}

/**
 * The partition, region and account of `scope`'s stack as cdk-nag renders them in a finding:
 * literal values for an environment-bound stack, `<AWS::Region>`-style pseudo parameters for an
 * environment-agnostic one.
 */
export function renderedEnv(scope: IConstruct): { partition: string; region: string; account: string } {
  const stack = Stack.of(scope);
  const literal = (value: string, pseudo: string) => {
    const resolved: unknown = stack.resolve(value);
    return typeof resolved === 'string' ? resolved : `<${pseudo}>`;
  };
  return {
    partition: literal(stack.partition, 'AWS::Partition'),
    region: literal(stack.region, 'AWS::Region'),
    account: literal(stack.account, 'AWS::AccountId'),
  };
}
