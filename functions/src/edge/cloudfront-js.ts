import { parse, type Node } from 'acorn';
import { full } from 'acorn-walk';

/**
 * A static check of a CloudFront Function source against what the `cloudfront-js-2.0` runtime
 * documents, because `node:vm` (the local sandbox) runs any modern JavaScript and a function that
 * passes every local test can still be refused by `CreateFunction` or fail at the edge.
 *
 * Source of every rule: "JavaScript runtime 2.0 features for CloudFront Functions",
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
 * (core features, primitive and built-in objects, globals, built-in modules, restricted features),
 * and "Quotas on CloudFront Functions" (function size 10 KB),
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions.
 *
 * Used by the unit tests on every committed function source and by the CDK constructs that
 * deploy them (synthesis fails on a finding), so any future function gets the same check.
 */

/** CloudFront Functions quota: maximum function code size, 10 KB. */
export const MAX_FUNCTION_BYTES = 10 * 1024;

/**
 * Syntax the runtime documents: ES 5.1 statements, `const`/`let`, `async`/`await`, template
 * literals, arrow functions, rest parameters, `**`. Anything else (for-of, spread, destructuring,
 * default parameters, classes, optional chaining, `??`, generators, exports) is refused.
 */
const ALLOWED_NODES = new Set([
  'Program', 'ImportDeclaration', 'ImportDefaultSpecifier', 'VariableDeclaration', 'VariableDeclarator',
  'FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'BlockStatement', 'ExpressionStatement',
  'IfStatement', 'ForStatement', 'ForInStatement', 'WhileStatement', 'DoWhileStatement', 'ReturnStatement',
  'TryStatement', 'CatchClause', 'ThrowStatement', 'BreakStatement', 'ContinueStatement', 'SwitchStatement',
  'SwitchCase', 'LabeledStatement', 'EmptyStatement', 'Identifier', 'Literal', 'TemplateLiteral', 'TemplateElement',
  'ArrayExpression', 'ObjectExpression', 'Property', 'MemberExpression', 'CallExpression', 'NewExpression',
  'UnaryExpression', 'BinaryExpression', 'LogicalExpression', 'AssignmentExpression', 'UpdateExpression',
  'ConditionalExpression', 'SequenceExpression', 'AwaitExpression', 'ThisExpression', 'RestElement',
]);

/** Modules a function may import ("Built-in modules", plus `cloudfront` for KeyValueStore helpers). */
const MODULES = new Set(['cloudfront', 'crypto', 'querystring', 'buffer']);

/**
 * Global names the runtime provides ("Primitive objects", "Built-in objects", "Error types",
 * "Globals", "Buffer"). Any other free name (`process`, `require`, `fetch`, `setTimeout`, `Map`,
 * `Reflect`, `Intl`, …) does not exist there.
 */
const GLOBALS = new Set([
  'Object', 'String', 'Number', 'Boolean', 'Math', 'Date', 'Function', 'RegExp', 'JSON', 'Array', 'Promise',
  'Symbol', 'ArrayBuffer', 'DataView', 'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array',
  'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array', 'TextDecoder', 'TextEncoder', 'console',
  'Error', 'EvalError', 'InternalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError',
  'globalThis', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'isFinite', 'isNaN',
  'parseFloat', 'parseInt', 'atob', 'btoa', 'NaN', 'Infinity', 'undefined', 'arguments', 'Buffer',
]);

/** The static members the page lists for each documented object; any other one is refused. */
const STATIC_MEMBERS: Record<string, ReadonlySet<string>> = {
  Object: new Set([
    'create', 'defineProperties', 'defineProperty', 'freeze', 'getOwnPropertyDescriptor', 'getOwnPropertyDescriptors',
    'getOwnPropertyNames', 'getPrototypeOf', 'isExtensible', 'isFrozen', 'isSealed', 'keys', 'preventExtensions', 'seal',
    'assign', 'entries', 'values', 'is', 'setPrototypeOf', 'prototype',
  ]),
  String: new Set(['fromCharCode', 'fromCodePoint', 'prototype']),
  Number: new Set([
    'EPSILON', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER', 'MAX_VALUE', 'MIN_VALUE', 'NaN', 'NEGATIVE_INFINITY',
    'POSITIVE_INFINITY', 'isFinite', 'isInteger', 'isNaN', 'isSafeInteger', 'parseInt', 'parseFloat', 'prototype',
  ]),
  Array: new Set(['isArray', 'of', 'prototype']),
  JSON: new Set(['parse', 'stringify']),
  Promise: new Set(['all', 'allSettled', 'any', 'reject', 'resolve', 'race', 'prototype']),
  Symbol: new Set(['for', 'keyFor', 'prototype']),
  Date: new Set(['now', 'parse', 'UTC', 'prototype']),
  ArrayBuffer: new Set(['isView', 'prototype']),
  console: new Set(['log']),
  Buffer: new Set(['alloc', 'allocUnsafe', 'byteLength', 'compare', 'concat', 'from', 'isBuffer', 'isEncoding']),
};

/**
 * Methods of ES 2015+ that the page does not list for any object, refused wherever they are
 * called (a static check cannot know the receiver's type, and none of these has a documented
 * namesake).
 */
const UNDOCUMENTED_METHODS = new Set([
  'at', 'flat', 'flatMap', 'findLast', 'findLastIndex', 'toSorted', 'toReversed', 'toSpliced', 'with',
  'matchAll', 'normalize', 'localeCompare', 'toLocaleString', 'toLocaleLowerCase', 'toLocaleUpperCase',
  'fromEntries', 'groupBy', 'hasOwn', 'structuredClone',
]);

/** Dynamic code and timers ("Restricted features"). */
const RESTRICTED_CALLS = new Set(['eval', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval']);

type AnyNode = Node & Record<string, unknown>;

/**
 * What in `source` the cloudfront-js-2.0 runtime does not support, as readable findings
 * (`"ForOfStatement at line 3"`); an empty array when the source passes. Checks: size ≤ 10 KB,
 * parse as an ES module, allowed syntax, `await` only in top-level `async function`s, imports only
 * of documented modules (default form), no free names beyond the documented globals, no
 * undocumented static members or methods, no dynamic code or timers, `console.log` with one
 * argument, and a `handler` function declaration.
 */
export function cloudFrontJsProblems(source: string): string[] {
  const found: string[] = [];
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_FUNCTION_BYTES) found.push(`the source is ${bytes} bytes, over the ${MAX_FUNCTION_BYTES}-byte function size quota`);
  let ast: AnyNode;
  try {
    ast = parse(source, { ecmaVersion: 2022, sourceType: 'module', locations: true }) as unknown as AnyNode;
  } catch (error) {
    return [...found, `does not parse: ${(error as Error).message}`];
  }
  const declared = declaredNames(ast);
  const at = (node: AnyNode) => `${node.type} at line ${(node.loc as { start: { line: number } }).start.line}`;

  full(ast as unknown as Node, (walked) => {
    const node = walked as unknown as AnyNode;
    if (!ALLOWED_NODES.has(node.type)) found.push(at(node));
    switch (node.type) {
      case 'LogicalExpression':
        if (node.operator === '??') found.push(`?? in ${at(node)}`);
        break;
      case 'AssignmentExpression':
        if (/^(\?\?|\|\||&&)=$/.test(node.operator as string)) found.push(`${node.operator as string} in ${at(node)}`);
        break;
      case 'Property':
        if (node.computed || node.shorthand || node.method || node.kind !== 'init') found.push(`ES6 property form in ${at(node)}`);
        break;
      case 'ArrowFunctionExpression':
      case 'FunctionExpression':
        if (node.async) found.push(`async closure in ${at(node)}`);
        if (node.generator) found.push(`generator in ${at(node)}`);
        break;
      case 'FunctionDeclaration':
        if (node.generator) found.push(`generator in ${at(node)}`);
        break;
      case 'Literal':
        if (node.regex && /[^gimsy]/.test((node.regex as { flags: string }).flags)) found.push(`regex flag in ${at(node)}`);
        if (typeof node.bigint === 'string') found.push(`BigInt in ${at(node)}`);
        break;
      case 'ImportDeclaration': {
        const from = (node.source as { value: string }).value;
        const specifiers = node.specifiers as AnyNode[];
        if (!MODULES.has(from)) found.push(`import of "${from}" in ${at(node)}: only ${[...MODULES].join(', ')} exist`);
        if (specifiers.length !== 1 || specifiers[0]?.type !== 'ImportDefaultSpecifier') found.push(`import form in ${at(node)}: use "import name from '${from}'"`);
        break;
      }
      case 'NewExpression':
        if (isName(node.callee, 'Function')) found.push(`Function constructor in ${at(node)} (dynamic code is not supported)`);
        break;
      case 'CallExpression': {
        const callee = node.callee as AnyNode;
        if (callee.type === 'Identifier' && RESTRICTED_CALLS.has(callee.name as string) && !declared.has(callee.name as string)) {
          found.push(`${callee.name as string}() in ${at(node)} (restricted feature)`);
        }
        if (isName(callee, 'Function')) found.push(`Function constructor in ${at(node)} (dynamic code is not supported)`);
        if (isName(callee, 'require')) found.push(`require() in ${at(node)}: use an import of a documented module`);
        if (callee.type === 'MemberExpression' && isName(callee.object, 'console') && (node.arguments as unknown[]).length !== 1) {
          found.push(`console.log with ${(node.arguments as unknown[]).length} arguments in ${at(node)} (the runtime takes one string)`);
        }
        if (callee.type === 'MemberExpression' && !callee.computed) {
          const method = (callee.property as { name: string }).name;
          if (UNDOCUMENTED_METHODS.has(method)) found.push(`.${method}() in ${at(node)} is not in the runtime's documented methods`);
        }
        break;
      }
      case 'MemberExpression': {
        const object = node.object as AnyNode;
        if (object.type === 'Identifier' && !node.computed && !declared.has(object.name as string)) {
          const members = STATIC_MEMBERS[object.name as string];
          const member = (node.property as { name: string }).name;
          if (members && !members.has(member)) found.push(`${object.name as string}.${member} in ${at(node)} is not documented`);
        }
        break;
      }
    }
  });

  for (const ref of freeReferences(ast)) {
    if (!declared.has(ref.name) && !GLOBALS.has(ref.name) && !RESTRICTED_CALLS.has(ref.name) && ref.name !== 'require') {
      found.push(`${ref.name} at line ${ref.line} is not a global of the runtime`);
    }
  }
  const handler = (ast.body as AnyNode[]).some((n) => n.type === 'FunctionDeclaration' && isName(n.id, 'handler'));
  if (!handler) found.push('no top-level "function handler(event)"');
  const asyncNotTop = (ast.body as AnyNode[]).length > 0 && hasNestedAsync(ast);
  if (asyncNotTop) found.push('async function below the top level (async closures are not supported)');
  return found;
}

function isName(node: unknown, name: string): boolean {
  const n = node as AnyNode | null;
  return Boolean(n) && n!.type === 'Identifier' && n!.name === name;
}

/** Every name the source declares anywhere (functions, variables, parameters, catch clauses, imports). */
function declaredNames(ast: AnyNode): Set<string> {
  const names = new Set<string>();
  const addPattern = (p: AnyNode | null | undefined) => {
    if (!p) return;
    if (p.type === 'Identifier') names.add(p.name as string);
    else if (p.type === 'RestElement') addPattern(p.argument as AnyNode);
  };
  full(ast as unknown as Node, (walked) => {
    const node = walked as unknown as AnyNode;
    if (node.type === 'VariableDeclarator') addPattern(node.id as AnyNode);
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') addPattern(node.id as AnyNode);
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') {
      for (const param of node.params as AnyNode[]) addPattern(param);
    }
    if (node.type === 'CatchClause') addPattern(node.param as AnyNode);
    if (node.type === 'ImportDefaultSpecifier') addPattern(node.local as AnyNode);
    if (node.type === 'LabeledStatement') names.add((node.label as { name: string }).name);
  });
  return names;
}

/** Identifiers used as values (not property names, keys, labels or declarations). */
function freeReferences(ast: AnyNode): Array<{ name: string; line: number }> {
  const refs: Array<{ name: string; line: number }> = [];
  const skip = new WeakSet<object>();
  full(ast as unknown as Node, (walked) => {
    const node = walked as unknown as AnyNode;
    if (node.type === 'MemberExpression' && !node.computed) skip.add(node.property as object);
    if (node.type === 'Property' && !node.computed) skip.add(node.key as object);
    if (node.type === 'LabeledStatement' || node.type === 'BreakStatement' || node.type === 'ContinueStatement') {
      if (node.label) skip.add(node.label as object);
    }
    if (node.type === 'VariableDeclarator') skip.add(node.id as object);
    if (node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') {
      if (node.id) skip.add(node.id as object);
      for (const param of node.params as AnyNode[]) skip.add(param.type === 'RestElement' ? (param.argument as object) : param);
    }
    if (node.type === 'CatchClause' && node.param) skip.add(node.param as object);
    if (node.type === 'ImportDefaultSpecifier') skip.add(node.local as object);
  });
  full(ast as unknown as Node, (walked) => {
    const node = walked as unknown as AnyNode;
    if (node.type === 'Identifier' && !skip.has(node)) {
      refs.push({ name: node.name as string, line: (node.loc as { start: { line: number } }).start.line });
    }
  });
  return refs;
}

/** True when an `async function` is declared anywhere but the program's top level. */
function hasNestedAsync(ast: AnyNode): boolean {
  const top = new Set(ast.body as AnyNode[]);
  let nested = false;
  full(ast as unknown as Node, (walked) => {
    const node = walked as unknown as AnyNode;
    if (node.type === 'FunctionDeclaration' && node.async && !top.has(node)) nested = true;
  });
  return nested;
}
