import type { Diagnostics } from 'recheck';
// recheck's pure-JavaScript build: its package entry would first try a native binary, a JVM or
// worker threads (and loads synckit, which breaks in an ESM bundle); this one checks in-process.
import recheck from 'recheck/lib/browser.js';
import { type BuildOutputConfig, InvalidRoutingConfigError, routePatterns } from './schema.ts';

/**
 * Deploy-time guard against regular expressions with super-linear matching (ReDoS, issue 11 item
 * 4): every route `src` and `has`/`missing` value of a config is checked with recheck
 * (https://makenowjust-labs.github.io/recheck/), a maintained checker combining automata theory
 * and fuzzing. One tenant's `^/(a+)+$` would otherwise take seconds per request on a long path.
 *
 * recheck's pure-JavaScript build (~3 MB) is used: it needs no native binary or JVM, so it runs
 * wherever the builder runs; it is too large for a ≤ 512 KB Lambda bundle, so this module is
 * imported by the builder only (config.ts, which the control plane imports, does not import it).
 * The router's per-request step budget and the edge's time bound stay the backstop for a config
 * that bypassed this check.
 */

/** Per-pattern time for recheck's automatic strategy, then for its fuzzer, in ms. */
export const CHECK_TIMEOUT_MS = { auto: 2_000, fuzz: 4_000 };

/** A pattern recheck found vulnerable. */
export interface UnsafePattern {
  where: string;
  pattern: string;
  complexity: 'exponential' | 'polynomial';
  /** An input that makes matching slow, as recheck reports it (e.g. `'/' + 'a'.repeat(31) + '\n'`). */
  attack: string;
}

/** What checking a whole config found. */
export interface PatternReport {
  checked: number;
  unsafe: UnsafePattern[];
  /** Patterns recheck could not decide in time (accepted: the router's budget bounds them). */
  undecided: string[];
}

/**
 * Check every distinct pattern of `config`.
 * @param options.timeoutMs per-pattern limits (default {@link CHECK_TIMEOUT_MS})
 * @returns the report; call {@link assertSafePatterns} to refuse the config
 */
export async function checkPatterns(config: BuildOutputConfig, options: { timeoutMs?: { auto: number; fuzz: number } } = {}): Promise<PatternReport> {
  const timeout = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const verdicts = new Map<string, Diagnostics>();
  const report: PatternReport = { checked: 0, unsafe: [], undecided: [] };
  for (const { where, pattern } of routePatterns(config)) {
    let verdict = verdicts.get(pattern);
    if (!verdict) {
      // The automatic strategy decides most patterns by automata quickly; a large alternation can
      // time out there while the fuzzer settles it (e.g. Next.js' `/_next/static/(?:…|…)/.+` miss route).
      // Checking is synchronous CPU work: yield between patterns so timers and I/O keep running.
      await new Promise((resolve) => setImmediate(resolve));
      verdict = recheck.checkSync(pattern, '', { timeout: timeout.auto });
      if (verdict.status === 'unknown') verdict = recheck.checkSync(pattern, '', { timeout: timeout.fuzz, checker: 'fuzz' });
      verdicts.set(pattern, verdict);
      report.checked++;
    }
    if (verdict.status === 'vulnerable') {
      report.unsafe.push({ where, pattern, complexity: verdict.complexity.type, attack: verdict.attack.pattern });
    } else if (verdict.status === 'unknown' && !report.undecided.includes(pattern)) {
      report.undecided.push(pattern);
    }
  }
  return report;
}

/**
 * Refuse a config with any pattern of super-linear matching time.
 * @param options.allowPolynomial accept polynomial patterns (exponential ones are still refused):
 *   for a framework's own `.vercel/output/config.json`. Next.js 16 through `vercel build` writes
 *   several (`/(.+)/\.rsc$`, `^/(?<path>.+)(?<rscSuffix>\.segments/.+\.segment\.rsc)(?:/)?$`), so
 *   refusing them refuses every Next.js app. They stay bounded: the edge answers 414 to a path
 *   over 1,024 characters before routing, and on 1,024 characters of their worst input each took
 *   ≤ 11 ms (Node 22, a loaded 2-core machine); the router's step budget bounds how many run. The
 *   caller logs what was accepted.
 * @throws InvalidRoutingConfigError (`invalid_routing_config`) naming each such route, its pattern
 *   and its complexity, e.g. `routes[0].src "^/(a+)+$" can take exponential time to match`
 */
export async function assertSafePatterns(config: BuildOutputConfig, file = 'the routing config', options: { allowPolynomial?: boolean } = {}): Promise<PatternReport> {
  const report = await checkPatterns(config);
  const refused = options.allowPolynomial ? report.unsafe.filter((u) => u.complexity === 'exponential') : report.unsafe;
  if (refused.length > 0) {
    const lines = refused.map((u) => `${u.where} ${JSON.stringify(u.pattern)} can take ${u.complexity} time to match (try ${u.attack})`);
    throw new InvalidRoutingConfigError(
      `${file}: ${refused.length} route pattern(s) can make each request slow:\n${lines.join('\n')}\n` +
        'Rewrite them without nested or overlapping quantifiers (e.g. "(a+)+" → "a+", "(.*)/(.*)" → "([^/]*)/(.*)").',
      { file, unsafe: refused.map(({ where, pattern, complexity }) => ({ where, pattern, complexity })) },
    );
  }
  return report;
}
