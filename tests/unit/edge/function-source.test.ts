import { readFileSync, statSync } from 'node:fs';
import { parse, type Node } from 'acorn';
import { full } from 'acorn-walk';
import { describe, expect, test } from 'vitest';
import { VIEWER_REQUEST, VIEWER_RESPONSE } from './helpers.ts';

/** CloudFront Functions hard limit on function code size. */
const MAX_FUNCTION_BYTES = 10 * 1024;

/**
 * ES syntax the cloudfront-js-2.0 runtime documents: ES 5.1 plus const/let, arrow functions,
 * template literals, async/await and `**`. Anything else (for-of, spread, destructuring, default
 * parameters, classes, optional chaining, `??`, exports) is refused before it reaches CloudFront.
 */
const ALLOWED = new Set([
  'Program', 'ImportDeclaration', 'ImportDefaultSpecifier', 'VariableDeclaration', 'VariableDeclarator',
  'FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'BlockStatement', 'ExpressionStatement',
  'IfStatement', 'ForStatement', 'ForInStatement', 'WhileStatement', 'DoWhileStatement', 'ReturnStatement',
  'TryStatement', 'CatchClause', 'ThrowStatement', 'BreakStatement', 'ContinueStatement', 'SwitchStatement',
  'SwitchCase', 'LabeledStatement', 'EmptyStatement', 'Identifier', 'Literal', 'TemplateLiteral', 'TemplateElement',
  'ArrayExpression', 'ObjectExpression', 'Property', 'MemberExpression', 'CallExpression', 'NewExpression',
  'UnaryExpression', 'BinaryExpression', 'LogicalExpression', 'AssignmentExpression', 'UpdateExpression',
  'ConditionalExpression', 'SequenceExpression', 'AwaitExpression', 'ThisExpression',
]);

function violations(source: string): string[] {
  const found: string[] = [];
  const ast = parse(source, { ecmaVersion: 2022, sourceType: 'module', locations: true });
  full(ast, (walked) => {
    const node = walked as unknown as Node & Record<string, unknown>;
    const at = `${node.type} at line ${(node.loc as { start: { line: number } }).start.line}`;
    if (!ALLOWED.has(node.type)) found.push(at);
    if (node.type === 'LogicalExpression' && node.operator === '??') found.push(`?? in ${at}`);
    if (node.type === 'AssignmentExpression' && /^(\?\?|\|\||&&)=$/.test(node.operator as string)) found.push(at);
    if (node.type === 'Property' && (node.computed || node.shorthand || node.method || node.kind !== 'init')) {
      found.push(`ES6 property form in ${at}`);
    }
    if ((node.type === 'ArrowFunctionExpression' || node.type === 'FunctionExpression') && node.async) {
      found.push(`async closure in ${at}`);
    }
    if (node.type === 'FunctionDeclaration' && node.async && (node.id as { name: string }).name !== 'handler') {
      found.push(`async function other than handler in ${at}`);
    }
    if (node.type === 'Literal' && node.regex && /[^gimsy]/.test((node.regex as { flags: string }).flags)) {
      found.push(`regex flag in ${at}`);
    }
    if (node.type === 'Literal' && typeof node.bigint === 'string') found.push(`BigInt in ${at}`);
  });
  const imports = ast.body.filter((n) => n.type === 'ImportDeclaration');
  if (imports.length !== 1 || !/^import cf from 'cloudfront';$/m.test(source)) {
    found.push('the only import must be "import cf from \'cloudfront\';"');
  }
  return found;
}

describe.each([
  ['viewer-request.js', VIEWER_REQUEST],
  ['viewer-response.js', VIEWER_RESPONSE],
])('%s', (name, path) => {
  const bytes = statSync(path).size;

  test(`is ${bytes} bytes, within the ${MAX_FUNCTION_BYTES}-byte CloudFront Functions limit`, () => {
    expect(bytes).toBeLessThanOrEqual(MAX_FUNCTION_BYTES);
  });

  test('uses only syntax the cloudfront-js-2.0 runtime supports', () => {
    expect(violations(readFileSync(path, 'utf8'))).toEqual([]);
  });

  test('defines an async handler and no exports', () => {
    const source = readFileSync(path, 'utf8');
    expect([/^async function handler\(event\)/m.test(source), /^\s*export\b/m.test(source)]).toEqual([true, false]);
  });
});

describe('the syntax check', () => {
  test.each([
    ['for (const x of [1]) {}', 'ForOfStatement'],
    ['const a = [...b];', 'SpreadElement'],
    ['const { a } = b;', 'ObjectPattern'],
    ['const a = b?.c;', 'ChainExpression'],
    ['const a = b ?? c;', '??'],
    ['function f(a = 1) {}', 'AssignmentPattern'],
    ['const f = async () => 1;', 'async closure'],
  ])('catches %s', (snippet, expected) => {
    expect(violations(`import cf from 'cloudfront';\n${snippet}`).join('; ')).toContain(expected);
  });
});
