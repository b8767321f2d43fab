import fs from 'node:fs';
import { Function as CloudFrontFunction, FunctionCode, FunctionRuntime, type IKeyValueStore } from 'aws-cdk-lib/aws-cloudfront';
import type { Construct } from 'constructs';
import { cloudFrontJsProblems } from '../../../functions/src/edge/cloudfront-js.ts';

export interface CloudFrontJsFunctionProps {
  /** The committed function source, deployed byte for byte. */
  readonly sourcePath: string;
  readonly comment: string;
  /** The KeyValueStore the function reads through `cf.kvs()`. @default none */
  readonly keyValueStore?: IKeyValueStore;
}

/**
 * A CloudFront Function on the `cloudfront-js-2.0` runtime, published on deploy, whose source is
 * checked against the runtime's documented features at synthesis (`cloudFrontJsProblems`):
 * `cdk synth` fails on syntax or an API the runtime lacks, which `node:vm` would run locally.
 */
export class CloudFrontJsFunction extends CloudFrontFunction {
  constructor(scope: Construct, id: string, props: CloudFrontJsFunctionProps) {
    super(scope, id, {
      comment: props.comment,
      code: FunctionCode.fromFile({ filePath: props.sourcePath }),
      runtime: FunctionRuntime.JS_2_0,
      autoPublish: true,
      ...(props.keyValueStore ? { keyValueStore: props.keyValueStore } : {}),
    });
    this.node.addValidation({
      validate: () =>
        cloudFrontJsProblems(fs.readFileSync(props.sourcePath, 'utf8')).map(
          (problem) => `${props.sourcePath}: ${problem} (cloudfront-js-2.0 runtime features)`,
        ),
    });
  }
}
