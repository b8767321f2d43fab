import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ValidationError } from '#core/errors';
import { FORBIDDEN_HEADER_PREFIXES, FORBIDDEN_HEADERS, InvalidRoutingConfigError, parse } from './schema.ts';

export { InvalidRoutingConfigError };

/**
 * LEGACY, to be removed when the edge runs the router (`router.ts`) on Build Output API routes
 * (`config.ts`): the compact KeyValueStore format today's viewer-request function reads.
 *
 * Build-time compiler of a deployment's routing config (runway.json / vercel.json) into the compact
 * JSON the edge functions read from the KeyValueStore under `c:<key>`.
 *
 * Compiled shape (every field optional, absent = off), regexes are unanchored and matched against
 * the raw (still percent-encoded) request path with `new RegExp('^' + re + '$')`:
 * - `r`: redirects `[re, destination, status?]` (status omitted = 308)
 * - `w`: rewrites `[re, destination, 1?]` (1 = literal source, applies to paths with an extension too)
 * - `h`: header rules `[re, {name: value}]`
 * - `c`: 1 = cleanUrls, `t`: 1/0 = trailingSlash true/false, `s`: 1 = SPA fallback
 * Destinations use `$1`..`$9` for captures (`:name` is turned into its `$n`), `$$` for a literal `$`.
 */

/** CloudFront KeyValueStore value limit. */
export const MAX_COMPILED_CONFIG_BYTES = 1024;
const MAX_CAPTURES = 9;

const SourcePattern = z
  .string()
  .min(1)
  .max(256)
  .refine((s) => s.startsWith('/'), 'must start with "/"')
  .describe('Path pattern, Vercel syntax: "/blog/:slug", "/docs/:path*", "/(.*)", "/old/*"');

const Redirect = z
  .strictObject({
    source: SourcePattern,
    destination: z
      .string()
      .min(1)
      .max(512)
      .refine(
        (d) => (d.startsWith('/') && !d.startsWith('//')) || /^https?:\/\/[^/\\\s]/.test(d),
        'must be a path ("/new") or an absolute http(s) URL',
      )
      .describe('Path or absolute URL; ":name" and "$1" insert what the source captured'),
    permanent: z.boolean().optional().describe('true (default): 308; false: 307'),
    statusCode: z
      .union([z.literal(301), z.literal(302), z.literal(307), z.literal(308)])
      .optional()
      .describe('Explicit status; use instead of "permanent"'),
  })
  .refine((r) => r.permanent === undefined || r.statusCode === undefined, 'set "permanent" or "statusCode", not both');

const Rewrite = z.strictObject({
  source: SourcePattern,
  destination: z
    .string()
    .min(1)
    .max(512)
    .refine(
      (d) => d.startsWith('/') && !d.startsWith('//') && !/[?#\\]/.test(d),
      'must be a path inside the deployment ("/index.html"); external URLs and query strings are not supported',
    )
    .describe('Path of a file of the same deployment'),
});

const HeaderName = z
  .string()
  .min(1)
  .max(128)
  .refine((k) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k), 'is not a valid HTTP header name')
  .transform((k) => k.toLowerCase())
  .refine(
    (k) => !FORBIDDEN_HEADERS.has(k) && !FORBIDDEN_HEADER_PREFIXES.some((p) => k.startsWith(p)),
    'cannot be set at the edge (CloudFront read-only or reserved header)',
  );

const HeaderRule = z.strictObject({
  source: SourcePattern,
  headers: z
    .array(
      z.strictObject({
        key: HeaderName,
        value: z
          .string()
          .max(MAX_COMPILED_CONFIG_BYTES)
          .refine((v) => /^[\x20-\x7e\t]*$/.test(v), 'must be printable ASCII (percent-encode anything else)'),
      }),
    )
    .min(1),
});

const routingFields = {
  redirects: z.array(Redirect).optional().describe('Evaluated in order; the first match answers'),
  rewrites: z.array(Rewrite).optional().describe('Evaluated in order after redirects; the first match wins'),
  headers: z.array(HeaderRule).optional().describe('Every matching rule applies; later rules override'),
  cleanUrls: z.boolean().optional().describe('Serve /about from about.html and redirect /about.html to /about'),
  trailingSlash: z.boolean().optional().describe('true: /about → /about/; false: /about/ → /about (308)'),
};

/** runway.json routing fields. Unknown fields are rejected. */
export const RunwayRoutingConfigSchema = z.strictObject({
  ...routingFields,
  spa: z.boolean().optional().describe('Serve /index.html for extension-less paths that are no directory'),
});
export type RunwayRoutingConfig = z.infer<typeof RunwayRoutingConfigSchema>;

/** The vercel.json fields Runway honours; every other vercel.json field is ignored. */
export const VercelRoutingConfigSchema = z.object(routingFields);
export type VercelRoutingConfig = z.infer<typeof VercelRoutingConfigSchema>;

export interface CompiledRoutingConfig {
  r?: Array<[string, string] | [string, string, number]>;
  w?: Array<[string, string] | [string, string, 1]>;
  h?: Array<[string, Record<string, string>]>;
  c?: 1;
  t?: 0 | 1;
  s?: 1;
}

/** The compiled config does not fit one KeyValueStore value. */
export class RoutingConfigTooLargeError extends ValidationError {
  override name = 'RoutingConfigTooLargeError';
  readonly bytes: number;
  readonly sections: Record<string, number>;
  constructor(bytes: number, sections: Record<string, number>) {
    const parts = Object.entries(sections)
      .map(([name, size]) => `${name} ${size} B`)
      .join(', ');
    super(
      'routing_config_too_large',
      `The compiled routing config is ${bytes} bytes, over the ${MAX_COMPILED_CONFIG_BYTES}-byte edge limit ` +
        `(${parts}). Trim it: merge similar redirects into one pattern ("/old/:path*" → "/new/:path*"), ` +
        `drop rules that only restate defaults, and shorten long header values.`,
      { bytes, limit: MAX_COMPILED_CONFIG_BYTES, sections },
    );
    this.bytes = bytes;
    this.sections = sections;
  }
}

/** One parameter or group of a source pattern and the regex groups holding its value. */
export interface PatternCapture {
  /** Parameter name; null for unnamed groups and `*`, which are referenced as `$1`, `$2`… */
  name: string | null;
  /** Regex group of the value. */
  group: number;
  /** Regex group of the value with its leading "/" (optional and `*` parameters only). */
  withSlash?: number;
}

/** A source pattern compiled to an unanchored regex string. */
export interface CompiledPattern {
  regex: string;
  captures: PatternCapture[];
  /** No parameter, group or wildcard: the pattern names exactly one path. */
  literal: boolean;
}

class PatternError extends Error {}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Viewers send paths percent-encoded (UTF-8), so "/café" must match and redirect as "/caf%C3%A9".
const encodeNonAscii = (char: string): string => (/^[\x20-\x7e]$/.test(char) ? char : encodeURIComponent(char));

/** Read a balanced `( ... )` starting at `start`; returns its body and the index after `)`. */
function readGroup(s: string, start: number): { body: string; end: number } {
  let depth = 0;
  let inClass = false;
  for (let i = start; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') {
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') {
      inClass = true;
    } else if (ch === '(') {
      if (depth > 0 && s[i + 1] !== '?') {
        throw new PatternError('capturing groups are not allowed inside a group; use "(?:...)"');
      }
      depth++;
    } else if (ch === ')') {
      depth--;
      if (depth === 0) {
        const body = s.slice(start + 1, i);
        if (body === '') throw new PatternError('empty group "()"');
        return { body, end: i + 1 };
      }
    }
  }
  throw new PatternError('unbalanced "("');
}

/**
 * Compile a Vercel (path-to-regexp) source pattern: `:name`, `:name(regex)`, modifiers `?` `*` `+`,
 * unnamed groups `(.*)`, a bare `*` wildcard, and `\\` to escape. An optional or `*` parameter
 * takes the "/" before it along ("/docs/:path*" matches "/docs" too). Matching is case-sensitive.
 */
export function compilePathPattern(source: string): CompiledPattern {
  let re = '';
  let groups = 0;
  const captures: PatternCapture[] = [];
  const capture = (name: string | null, body: string | undefined, modifier: string): void => {
    const inner = body ?? (modifier === '*' || modifier === '+' ? '.' : '[^/]');
    // Without a custom regex, "*" and "+" span segments; a custom regex repeats per segment.
    const value =
      body === undefined
        ? `${inner}${modifier === '*' ? '*' : '+'}`
        : modifier === '*' || modifier === '+'
          ? `(?:${inner})(?:/(?:${inner}))*`
          : inner;
    if ((modifier === '?' || modifier === '*') && re.endsWith('/')) {
      re = `${re.slice(0, -1)}(/(${value}))?`;
      captures.push({ name, group: groups + 2, withSlash: groups + 1 });
      groups += 2;
      return;
    }
    re += modifier === '?' || modifier === '*' ? `(${value})?` : `(${value})`;
    captures.push({ name, group: ++groups });
  };
  const modifierAt = (i: number): string => (/^[?*+]$/.test(source[i] ?? '') ? (source[i] as string) : '');

  for (let i = 0; i < source.length; ) {
    const ch = source[i] as string;
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new PatternError('trailing "\\"');
      re += escapeRegex(next);
      i += 2;
    } else if (ch === ':') {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i + 1))?.[0];
      if (!name) throw new PatternError(`":" at position ${i} must be followed by a parameter name`);
      if (captures.some((c) => c.name === name)) throw new PatternError(`parameter ":${name}" is used twice`);
      i += 1 + name.length;
      let body: string | undefined;
      if (source[i] === '(') ({ body, end: i } = readGroup(source, i));
      const modifier = modifierAt(i);
      i += modifier.length;
      capture(name, body, modifier);
    } else if (ch === '(') {
      const { body, end } = readGroup(source, i);
      const modifier = modifierAt(end);
      i = end + modifier.length;
      capture(null, body, modifier);
    } else if (ch === '*') {
      capture(null, '.*', '');
      i++;
    } else {
      const char = String.fromCodePoint(source.codePointAt(i) as number);
      re += escapeRegex(encodeNonAscii(char));
      i += char.length;
    }
  }
  if (groups > MAX_CAPTURES) throw new PatternError(`uses ${groups} regex groups; at most ${MAX_CAPTURES} fit`);
  try {
    new RegExp(`^${re}$`);
  } catch (cause) {
    throw new PatternError(`not a valid pattern (${(cause as Error).message})`);
  }
  return { regex: re, captures, literal: captures.length === 0 };
}

/**
 * Compile a destination into a `String.replace` template: `:name` (modifier dropped, as Vercel
 * does) and `$n` become their regex group, other `$` become `$$`, `\\:` is a literal colon. After
 * a "/" an optional parameter uses its group with the slash, so "/new/:path*" gives "/new" for "/old".
 */
function compileDestination(destination: string, captures: PatternCapture[]): string {
  let out = '';
  const insert = (c: PatternCapture): void => {
    if (c.withSlash !== undefined && out.endsWith('/')) out = `${out.slice(0, -1)}$${c.withSlash}`;
    else out += `$${c.group}`;
  };
  for (let i = 0; i < destination.length; ) {
    const ch = destination[i] as string;
    const rest = destination.slice(i + 1);
    if (ch === '\\' && rest.startsWith(':')) {
      out += ':';
      i += 2;
    } else if (ch === '$' && /^[1-9]/.test(rest)) {
      const n = Number(rest[0]);
      const c = captures[n - 1];
      if (!c) throw new PatternError(`"$${n}" but the source has ${captures.length} capture(s)`);
      insert(c);
      i += 2;
    } else if (ch === '$') {
      out += '$$';
      i++;
    } else if (ch === ':' && /^[A-Za-z_]/.test(rest)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0] as string;
      const c = captures.find((x) => x.name === name);
      if (!c) throw new PatternError(`":${name}" is not a parameter of the source (escape a literal colon as "\\:")`);
      insert(c);
      i += 1 + name.length;
      if (/^[?*+]/.test(destination.slice(i))) i++;
    } else {
      const char = String.fromCodePoint(destination.codePointAt(i) as number);
      out += encodeNonAscii(char);
      i += char.length;
    }
  }
  return out;
}

function invalid(file: string, path: string, error: PatternError): InvalidRoutingConfigError {
  return new InvalidRoutingConfigError(`${file}: ${path}: ${error.message}`, { file, path }, { cause: error });
}

/**
 * Validate and compile the routing fields of runway.json and vercel.json (runway.json wins per field).
 * Returns the KVS entry `c:<key>` → `value`, or nulls when nothing is configured.
 * @throws InvalidRoutingConfigError when a file fails its schema or a pattern does not compile
 * @throws RoutingConfigTooLargeError when the compiled value exceeds 1024 bytes
 */
export function compileRoutingConfig(input: { runwayJson?: unknown; vercelJson?: unknown }): {
  key: string | null;
  value: string | null;
} {
  const runway = parse(RunwayRoutingConfigSchema, 'runway.json', input.runwayJson);
  const vercel = parse(VercelRoutingConfigSchema, 'vercel.json', input.vercelJson);
  const pick = <K extends keyof VercelRoutingConfig>(field: K): RunwayRoutingConfig[K] =>
    runway?.[field] !== undefined ? runway[field] : vercel?.[field];
  const file = <K extends keyof VercelRoutingConfig>(field: K): string =>
    runway?.[field] !== undefined ? 'runway.json' : 'vercel.json';

  const compiled: CompiledRoutingConfig = {};
  const at = <T>(field: string, index: number, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof PatternError) {
        throw invalid(file(field as keyof VercelRoutingConfig), `${field}[${index}]`, error);
      }
      throw error;
    }
  };

  const redirects = pick('redirects') ?? [];
  if (redirects.length > 0) {
    compiled.r = redirects.map((r, i) =>
      at('redirects', i, () => {
        const pattern = compilePathPattern(r.source);
        const destination = compileDestination(r.destination, pattern.captures);
        const status = r.statusCode ?? (r.permanent === false ? 307 : 308);
        return status === 308 ? [pattern.regex, destination] : [pattern.regex, destination, status];
      }),
    );
  }
  const rewrites = pick('rewrites') ?? [];
  if (rewrites.length > 0) {
    compiled.w = rewrites.map((w, i) =>
      at('rewrites', i, () => {
        const pattern = compilePathPattern(w.source);
        const destination = compileDestination(w.destination, pattern.captures);
        return pattern.literal ? [pattern.regex, destination, 1] : [pattern.regex, destination];
      }),
    );
  }
  const headers = pick('headers') ?? [];
  if (headers.length > 0) {
    compiled.h = headers.map((h, i) =>
      at('headers', i, () => [
        compilePathPattern(h.source).regex,
        Object.fromEntries(h.headers.map((header) => [header.key, header.value])),
      ]),
    );
  }
  if (pick('cleanUrls') === true) compiled.c = 1;
  const trailingSlash = pick('trailingSlash');
  if (trailingSlash !== undefined) compiled.t = trailingSlash ? 1 : 0;
  if (runway?.spa === true) compiled.s = 1;

  if (Object.keys(compiled).length === 0) return { key: null, value: null };
  const value = JSON.stringify(compiled);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_COMPILED_CONFIG_BYTES) {
    const sections = Object.fromEntries(
      Object.entries(compiled).map(([name, section]) => [sectionName(name), Buffer.byteLength(JSON.stringify(section))]),
    );
    throw new RoutingConfigTooLargeError(bytes, sections);
  }
  const key = createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 12);
  return { key, value };
}

const SECTION_NAMES: Record<string, string> = {
  r: 'redirects',
  w: 'rewrites',
  h: 'headers',
  c: 'cleanUrls',
  t: 'trailingSlash',
  s: 'spa',
};

function sectionName(field: string): string {
  return SECTION_NAMES[field] ?? field;
}
