/** Only same-origin paths: `returnTo` must never become an open redirect. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 512) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\') || /[\r\n]/.test(value)) return '/';
  return value;
}

/** `path` with one query parameter added. */
export function withQueryParam(path: string, name: string, value: string): string {
  const url = new URL(path, 'http://placeholder.invalid');
  url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}
