import { Stack, type StackProps } from 'aws-cdk-lib';
import { KeyValueStore } from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';
import type { StateStack } from './state-stack.ts';

export interface EdgeStackProps extends StackProps {
  readonly state: StateStack;
  readonly platformDomain: string;
}

/** The multi-tenant edge: one CloudFront distribution routing hosts through a KeyValueStore. */
export class EdgeStack extends Stack {
  readonly routes: KeyValueStore;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    void props.state;
    this.routes = new KeyValueStore(this, 'Routes', {
      comment: `Runway host routing for ${props.platformDomain}`,
    });
  }
}
