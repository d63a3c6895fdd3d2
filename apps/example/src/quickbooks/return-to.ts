/** A fixed origin to resolve `returnTo` against: whatever resolves elsewhere is not one of our paths. */
const DUMMY_ORIGIN = 'http://return-to.invalid';
/** Control characters (tabs and newlines are silently dropped by the URL parser), backslashes, encoded slashes. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const SUSPICIOUS = /[\x00-\x1f\x7f\\]|%2f|%5c/i;

/**
 * Only same-origin paths: `returnTo` must never become an open redirect. The value is resolved
 * with the URL parser (which collapses `/./`, `/../`, `%2e` segments the way a browser would) and
 * accepted only if it stays on the dummy origin with a path of a single leading `/`; what is
 * returned is re-serialised from the parsed URL, never the raw string.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) return '/';
  if (!value.startsWith('/') || SUSPICIOUS.test(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, DUMMY_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== DUMMY_ORIGIN || !url.pathname.startsWith('/') || url.pathname.startsWith('//')) return '/';
  return `${url.pathname}${url.search}`;
}

/** `path` with one query parameter added. */
export function withQueryParam(path: string, name: string, value: string): string {
  const url = new URL(path, DUMMY_ORIGIN);
  url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}
