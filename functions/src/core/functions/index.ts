/**
 * Functions of the Build Output API: `.vc-config.json` (`parseFunctionConfig`), the `.func` tree
 * (`readFunctions` over the `OutputTree` port) and Lambda's limits.
 */
export {
  type ConfigNote,
  FUNCTION_DEFAULTS,
  FunctionConfig,
  FunctionConfigError,
  LAMBDA_LIMITS,
  LAMBDA_RESERVED_ENV,
  NODE_RUNTIMES,
  type NodeRuntime,
  parseFunctionConfig,
  toVcConfig,
} from './config.ts';
export { type DeploymentFunction, type OutputTree, readFunctions, type TreeEntry } from './tree.ts';
export { type DeployedFunction, type DeployFunctionsInput, FUNCTION_NAME_PREFIX, type FunctionDeployer, functionLogGroup, functionNameFor } from './deployer.ts';
export { FUNCTION_LOG_LEVELS, type FunctionLogItem, type FunctionLogLevel, type FunctionLogPage, type FunctionLogs, formatLambdaLogLine, parseLambdaLogLine } from './logs.ts';
export { deploymentLogs, type LogFilters } from './read-logs.ts';
