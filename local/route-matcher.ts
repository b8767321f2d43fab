import { match, type MatchFunction } from 'path-to-regexp';

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
 * Gateway's is. A path with a malformed escape (`%zz`) matches nothing.
 */
export function createRouteMatcher<R extends MatchableRoute>(routes: readonly R[]): (method: string, path: string) => RouteMatch<R> | undefined {
  const compiled = routes.map((route) => ({ route, match: compileTemplate(route.path) }));
  return (method, path) => {
    for (const { route, match: matchPath } of compiled) {
      if (route.method !== method) continue;
      let result: ReturnType<typeof matchPath>;
      try {
        result = matchPath(path);
      } catch (error) {
        if (error instanceof URIError) return undefined;
        throw error;
      }
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
  return match(source, { sensitive: true, trailing: false });
}
