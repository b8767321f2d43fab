/**
 * The layer rule of functions/src (HOUSE-STYLE.md "Layout"), checked by `npm test`
 * (tests/unit/architecture/layers.test.ts) and by hand with `npx depcruise functions/src local bench`:
 *
 *   handlers ─► lib ─► adapters ─► core ◄── builder (the build contract only)
 *
 * The core (schemas, domain functions, ports) knows no database, SDK, Powertools or framework:
 * repositories, settings and the logger come in through `core/context.ts`.
 */
// Resolved packages are `node_modules/<name>/…`; subpaths the resolver cannot map keep their bare name.
const PLATFORM_LIBRARIES = '(^|node_modules/)(@aws-sdk|@smithy|electrodb|@aws-lambda-powertools|@middy|@octokit|aws-lambda)(/|$)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'The domain core imports no adapter, lib, handler, SDK, ElectroDB or Powertools: those come in through core/context.ts.',
      severity: 'error',
      from: { path: '^functions/src/core/' },
      to: { path: ['^functions/src/(adapters|lib|handlers|builder|edge)/', '^(local|infra|bench|tests)/', PLATFORM_LIBRARIES] },
    },
    {
      name: 'contract-is-plain',
      comment: 'The build contract is bundled into the builder too: plain TypeScript and zod only.',
      severity: 'error',
      from: { path: '^functions/src/core/build/contract\\.ts$' },
      to: { pathNot: '^node_modules/zod/' },
    },
    {
      name: 'builder-is-standalone',
      comment:
        'The builder runs in CodeBuild on its own bundle: it shares only the build contract, the routing compiler and its pattern guard (vercel.json → Build Output API routes, pure), and the functions reader (.vc-config.json validation over the OutputTree port and its file-system implementation) with the control plane.',
      severity: 'error',
      from: { path: '^functions/src/builder/' },
      to: {
        path: '^functions/src/',
        pathNot: [
          '^functions/src/builder/',
          '^functions/src/core/build/contract\\.ts$',
          '^functions/src/core/routing/(config|guards|schema)\\.ts$',
          '^functions/src/core/functions/(config|tree)\\.ts$',
          '^functions/src/adapters/output-tree/fs\\.ts$',
        ],
      },
    },
    {
      name: 'adapters-no-handlers',
      comment: 'Adapters implement ports; they never reach up into an entry point.',
      severity: 'error',
      from: { path: '^functions/src/adapters/' },
      to: { path: '^functions/src/handlers/' },
    },
    {
      name: 'lib-no-handlers',
      severity: 'error',
      from: { path: '^functions/src/lib/' },
      to: { path: '^functions/src/handlers/' },
    },
    {
      name: 'handlers-no-persistence',
      comment:
        'Handlers parse, call the domain and shape the response: state is read and written only by the domain, through its repositories (a handler only hands their factories to the context).',
      severity: 'error',
      from: { path: '^functions/src/handlers/' },
      to: { path: ['^functions/src/adapters/db/', '(^|node_modules/)(electrodb|@aws-sdk)(/|$)'], pathNot: '^functions/src/adapters/db/dynamodb/index\\.ts$' },
    },
    {
      name: 'handlers-independent',
      comment: 'Each handler is its own Lambda: one handler module never imports another (the route table aside).',
      severity: 'error',
      from: { path: '^functions/src/handlers/' },
      to: { path: '^functions/src/handlers/', pathNot: ['^functions/src/handlers/http/routes\\.ts$', '^functions/src/handlers/http/openapi\\.json$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(cdk\\.out|site)/' },
    // TypeScript 7's package has no compiler API; swc parses the TypeScript sources instead.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
