import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StateStack } from './state-stack.ts';

export interface BuildsStackProps extends StackProps {
  readonly state: StateStack;
}

/** Builds: the CodeBuild project that runs the builder, and the build-state event wiring. */
export class BuildsStack extends Stack {
  readonly buildLogs: LogGroup;

  constructor(scope: Construct, id: string, props: BuildsStackProps) {
    super(scope, id, props);
    void props.state;
    this.buildLogs = new LogGroup(this, 'BuildLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
