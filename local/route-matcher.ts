import { match, type MatchFunction } from 'path-to-regexp';
import { decodePathParameter } from '../functions/src/lib/path-parameters.ts';

/** A route the matcher can pick: an HTTP method and a path template in API Gateway's syntax. */
export interface MatchableRoute {
  readonly method: string;
  /**
   * `/v1/projects/{idOrName}`: `{name}` is one path segment; `{name+}` one or more (API Gateway's
   * greedy path variable, docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html),
   * here allowed anywhere in the path, as the fake GitHub's branch names need.
   */
  readonly path: string;
}

export interface RouteMatch<R> {
  route: R;
  /** Decoded values by name; a greedy variable's segments joined with `/`. */
  params: Record<string, string>;
}

/**
 * One route matcher for the local stand-ins (the API gateway and the fake GitHub), over
 * path-to-regexp (the matcher Express uses). Routes are tried in the order given, the first
 * match wins; matching is case-sensitive and a trailing slash is a different path, as API
 * Gateway's is. Parameters are decoded by the API's one percent-escape rule
 * (functions/src/lib/path-parameters.ts): a malformed escape (`%zz`) is kept as sent, so the
 * route still matches and its handler answers 400, not the 404 of "no such route".
 */
export function createRouteMatcher<R extends MatchableRoute>(routes: readonly R[]): (method: string, path: string) => RouteMatch<R> | undefined {
  const compiled = routes.map((route) => ({ route, match: compileTemplate(route.path) }));
  return (method, path) => {
    for (const { route, match: matchPath } of compiled) {
      if (route.method !== method) continue;
      const result = matchPath(path);
      if (!result) continue;
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(result.params)) {
        if (value !== undefined) params[name] = Array.isArray(value) ? value.join('/') : value;
      }
      return { route, params };
    }
    return undefined;
  };
}

/** `{name}` → `:name`, `{name+}` → `*name`; everything else is literal text. */
function compileTemplate(template: string): MatchFunction<Partial<Record<string, string | string[]>>> {
  const source = template
    .split(/(\{\w+\+?\})/)
    .map((part) => {
      const variable = /^\{(\w+)(\+?)\}$/.exec(part);
      if (variable) return `${variable[2] ? '*' : ':'}${variable[1]}`;
      return part.replace(/[(){}[\]?+!:*\\]/g, '\\$&');
    })
    .join('');
  return match(source, { sensitive: true, trailing: false, decode: decodePathParameter });
}
