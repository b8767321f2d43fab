/**
 * The API's one rule for percent-escapes in path parameters, used where parameters are taken from
 * the path (local/route-matcher.ts, for the local gateway and the fake GitHub) and where they are
 * validated (lib/http.ts, for every handler, in AWS as locally): a parameter is percent-decoded
 * once; one holding a malformed escape (`%`, `%zz`, a cut UTF-8 sequence such as `%E2%82`) is not
 * decodable, so it is kept as sent — the route still matches — and the handler refuses it with
 * 400 `invalid_path_parameter` and the error shape. Neither a 404 (the route exists) nor a 500
 * (nothing crashed): the request is malformed.
 */

/**
 * One path parameter percent-decoded (`decodeURIComponent`), or as sent when it holds a
 * malformed escape.
 * @param raw the parameter as it appears in the request path
 */
export function decodePathParameter(raw: string): string {
  return isDecodable(raw) ? decodeURIComponent(raw) : raw;
}

/**
 * True when `value` holds a `%` that does not start a decodable escape (what
 * {@link decodePathParameter} keeps as sent).
 */
export function hasMalformedEscape(value: string): boolean {
  return value.includes('%') && !isDecodable(value);
}

function isDecodable(value: string): boolean {
  try {
    decodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}
