import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Stack, type BundlingOptions } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AssetCode, Code, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { cloudFrontJsProblems } from '../../functions/src/edge/cloudfront-js.ts';
import { buildRunway } from '../../infra/lib/app.ts';
import { CloudFrontJsFunction } from '../../infra/lib/constructs/cloudfront-js-function.ts';
import { LAMBDA_EDGE_NODE_RUNTIMES } from '../../infra/lib/constructs/edge-lambda.ts';

/**
 * Runtimes from AWS's documented lists, and esbuild targets equal to them. The esbuild command of
 * each bundled function is read from the asset code CDK binds to it (whatever sets the target:
 * an explicit `bundling.target` or NodejsFunction's derivation from the runtime).
 */
const cdkContext = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../cdk.json'), 'utf8')).context;

const commands = new WeakMap<object, string>();
const bundled = new Map<IConstruct, string>();
const fromAsset = Code.fromAsset.bind(Code);
vi.spyOn(Code, 'fromAsset').mockImplementation((assetPath, options) => {
  const code = fromAsset(assetPath, options);
  const command = (options?.bundling as BundlingOptions | undefined)?.command;
  if (command) commands.set(code, command.join(' '));
  return code;
});
const bind = AssetCode.prototype.bind;
vi.spyOn(AssetCode.prototype, 'bind').mockImplementation(function (this: AssetCode, scope) {
  const command = commands.get(this);
  if (command) bundled.set(scope, command);
  return bind.call(this, scope);
});
afterAll(() => vi.restoreAllMocks());

const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'runway-runtimes-')), context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
const stacks = buildRunway(app);
app.synth();

function nodejsFunctions(): NodejsFunction[] {
  return Object.values(stacks).flatMap((stack) => stack.node.findAll().filter((c: IConstruct): c is NodejsFunction => c instanceof NodejsFunction));
}

describe('Lambda runtimes and esbuild targets', () => {
  const functions = nodejsFunctions();

  test('the esbuild command of every bundled function was seen', () => {
    expect(functions.length).toBeGreaterThan(10);
    expect(functions.filter((fn) => !bundled.has(fn)).map((fn) => fn.node.path)).toEqual([]);
  });

  test('every bundled function is built for the Node.js version it runs on', () => {
    const drift = functions
      .map((fn) => {
        const runtime = (fn as LambdaFunction).runtime.name;
        const target = /--target=([\w.]+)/.exec(bundled.get(fn) ?? '')?.[1];
        return { fn: fn.node.path, runtime, target };
      })
      .filter(({ runtime, target }) => target !== `node${/^nodejs(\d+)\.x$/.exec(runtime)?.[1]}`);
    expect(drift).toEqual([]);
  });

  test('the origin-request and origin-response Lambda@Edge run a runtime the Lambda@Edge restrictions page lists', () => {
    const edgeFns = Object.values(Template.fromStack(stacks.edge).findResources('AWS::Lambda::Function'));
    expect(edgeFns).toHaveLength(2);
    for (const fn of edgeFns) expect(LAMBDA_EDGE_NODE_RUNTIMES).toContain(fn.Properties.Runtime);
  });
});

describe('CloudFront Functions against the cloudfront-js-2.0 runtime', () => {
  const functions = Object.values(stacks).flatMap((stack) =>
    Object.entries(Template.fromStack(stack).findResources('AWS::CloudFront::Function')).map(([id, r]) => ({ id, ...r.Properties })),
  );

  test('every function in the app (edge and console) uses js-2.0 and passes the runtime check', () => {
    expect(functions.map((f) => f.id).sort()).toEqual([
      expect.stringMatching(/^ConsoleRequest/),
      expect.stringMatching(/^RoutingViewerRequest/),
      expect.stringMatching(/^RoutingViewerResponse/),
    ]);
    for (const fn of functions) {
      expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
      expect(cloudFrontJsProblems(fn.FunctionCode), fn.id).toEqual([]);
    }
  });

  test('synthesis fails on a source the runtime does not support', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-cff-'));
    const source = path.join(dir, 'bad.js');
    fs.writeFileSync(source, 'function handler(event) { for (const h of [1]) {} return event.request; }\n');
    const bad = new App({ outdir: path.join(dir, 'out') });
    new CloudFrontJsFunction(new Stack(bad, 'Bad'), 'Fn', { sourcePath: source, comment: 'bad' });
    expect(() => bad.synth()).toThrow(/ForOfStatement at line 1/);
  });
});
