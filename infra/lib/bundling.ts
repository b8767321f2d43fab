import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { BUILDER_BUNDLE } from '../../functions/src/builder/bundle.ts';
import { HTTP_HANDLERS } from '../../functions/src/handlers/http/routes.ts';

/**
 * How Runway's Lambda functions are bundled, in one place for the constructs (runway-function.ts),
 * the bundle-size test and `npm run bench:api`. No CDK import here, so tests and benches load it fast.
 */

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The Lambda runtime of every control-plane function (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html). */
export const LAMBDA_RUNTIME = 'nodejs24.x';

/**
 * The Node.js runtimes Lambda@Edge accepts, from "Restrictions on Lambda@Edge → Supported
 * runtimes" (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-at-edge-function-restrictions.html#lambda-at-edge-restrictions-runtime).
 * Copies of that page disagree: older ones list Node.js 20 as the newest, the newest explicit
 * list has Node.js 22, 20 and 18 (16 and older are end-of-life), and a later rewording defers to
 * the Lambda runtime list without naming versions. Only runtimes an explicit list names are here.
 */
export const LAMBDA_EDGE_NODE_RUNTIMES: readonly string[] = ['nodejs22.x', 'nodejs20.x', 'nodejs18.x'];

/**
 * The runtime of the origin-response Lambda@Edge: the newest one {@link LAMBDA_EDGE_NODE_RUNTIMES}
 * names (Lambda deprecates nodejs22.x on 2027-04-30: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
 */
export const LAMBDA_EDGE_RUNTIME = 'nodejs22.x';

/** The esbuild target of a Lambda Node.js runtime: `nodejs24.x` → `node24`, so the bundle uses what the runtime has. */
export function esbuildTargetOf(runtimeName: string): string {
  const major = /^nodejs(\d+)\.x$/.exec(runtimeName)?.[1];
  if (!major) throw new Error(`Not a Lambda Node.js runtime: ${runtimeName}`);
  return `node${major}`;
}

/**
 * Packages the Lambda Node.js runtime provides: the AWS SDK for JavaScript v3
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html, "Runtime-included SDK
 * versions"). `@aws-sdk/signature-v4a` stays in the bundle: the runtime's set is not documented
 * to include it, and the KeyValueStore client cannot sign without it.
 */
export const RUNTIME_PROVIDED = ['@aws-sdk/client-*', '@aws-sdk/lib-*', '@aws-sdk/util-*', '@aws-sdk/core', '@aws-sdk/credential-provider-*', '@aws-sdk/s3-request-presigner', '@smithy/*'];

/**
 * Whether the AWS SDK is bundled or left to the runtime. `bench:api` measures both, per function
 * (bench/RESULTS.md, 2026-12-06, on a shared 2-core machine): with the SDK bundled the control-plane
 * functions are 585–1088 KB and none that reads the table fits 512 KB (ElectroDB 190 KB + zod
 * 99 KB + the DynamoDB client and @smithy/core ≈ 250 KB before any of our code); left to the
 * runtime they are 148–503 KB. Module init measured lower with the SDK bundled (minified and
 * tree-shaken): 155–331 ms against 270–690 ms for the same functions, 3.6 s against 6.0 s summed
 * over the 16 — loading the SDK's many unbundled files costs more than parsing it minified.
 * External it is, for the 512 KB limit (and the runtime's SDK gets its fixes without a redeploy),
 * at that init cost; `bundled` here is the one-line switch back, which the size test would refuse
 * until ElectroDB or zod shrink.
 */
export type SdkMode = 'bundled' | 'external';
export const SDK_MODE: SdkMode = 'external';

/** Largest bundle any deployable entry may have (tests/unit/architecture/bundles.test.ts). */
export const MAX_BUNDLE_BYTES = 512 * 1024;

/** esbuild options of a Lambda function: ESM, minified, for its runtime's Node.js. */
export function lambdaBuildOptions(sdk: SdkMode = SDK_MODE, runtime = LAMBDA_RUNTIME): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: esbuildTargetOf(runtime),
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    // Licence comments stay in the packages; non-ASCII text is written as UTF-8, not as escapes.
    legalComments: 'none',
    charset: 'utf8',
    external: sdk === 'external' ? RUNTIME_PROVIDED : [],
    // ESM bundles still meet CommonJS dependencies that call require().
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  };
}

/**
 * The launcher layer's bundle (infra/lib/constructs/user-functions.ts): `functions/src/launcher/layer.ts`
 * with everything bundled (it imports no SDK), for the oldest Node.js a user function may run
 * (nodejs20.x), written to `<dir>/runway/launcher.mjs` — `/opt/runway/launcher.mjs` in a function,
 * the handler `/opt/runway/launcher.handler`.
 */
export function launcherLayerBuildOptions(dir: string): BuildOptions {
  return {
    ...lambdaBuildOptions('bundled', 'nodejs20.x'),
    sourcemap: false,
    entryPoints: [path.join(REPO_ROOT, 'functions/src/launcher/layer.ts')],
    outfile: path.join(dir, 'runway', 'launcher.mjs'),
    absWorkingDir: REPO_ROOT,
  };
}

/** A deployable entry: what runs where, and how it is bundled. */
export interface DeployableEntry {
  /** Short name, e.g. `http/projects`. */
  name: string;
  /** Source file, absolute. */
  entry: string;
  /** `lambda`: a control-plane function; `edge`: Lambda@Edge; `codebuild`: the builder program. */
  kind: 'lambda' | 'edge' | 'codebuild';
}

/** Every entry the stacks deploy: one Lambda per HTTP handler module, the event and job functions, Lambda@Edge, the builder. */
export function deployableEntries(): DeployableEntry[] {
  const handlers = path.join(REPO_ROOT, 'functions/src/handlers');
  return [
    ...HTTP_HANDLERS.map((name) => ({ name: `http/${name}`, entry: path.join(handlers, 'http', `${name}.ts`), kind: 'lambda' as const })),
    { name: 'events/build-state', entry: path.join(handlers, 'events/build-state.ts'), kind: 'lambda' },
    { name: 'jobs/github-worker', entry: path.join(handlers, 'jobs/github-worker.ts'), kind: 'lambda' },
    { name: 'jobs/sweep-stuck', entry: path.join(handlers, 'jobs/sweep-stuck.ts'), kind: 'lambda' },
    { name: 'jobs/sweep-hosts', entry: path.join(handlers, 'jobs/sweep-hosts.ts'), kind: 'lambda' },
    { name: 'jobs/check-domains', entry: path.join(handlers, 'jobs/check-domains.ts'), kind: 'lambda' },
    { name: 'jobs/gc-functions', entry: path.join(handlers, 'jobs/gc-functions.ts'), kind: 'lambda' },
    { name: 'edge/origin-request', entry: path.join(REPO_ROOT, 'functions/src/edge/origin-request-aws.ts'), kind: 'edge' },
    { name: 'edge/origin-response', entry: path.join(REPO_ROOT, 'functions/src/edge/origin-response-aws.ts'), kind: 'edge' },
    { name: 'builder', entry: path.join(REPO_ROOT, 'functions/src/builder/main.ts'), kind: 'codebuild' },
  ];
}

/**
 * The esbuild options an entry is deployed with (for `edge`, the Lambda options with the SDK
 * bundled and the Lambda@Edge runtime's target, as its construct does).
 */
export function buildOptionsOf(entry: DeployableEntry, sdk: SdkMode = SDK_MODE): BuildOptions {
  if (entry.kind === 'codebuild') return { ...BUILDER_BUNDLE, entryPoints: [entry.entry] };
  const options = entry.kind === 'edge' ? lambdaBuildOptions('bundled', LAMBDA_EDGE_RUNTIME) : lambdaBuildOptions(sdk);
  return { ...options, entryPoints: [entry.entry], absWorkingDir: REPO_ROOT };
}
