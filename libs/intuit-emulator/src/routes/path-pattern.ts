/** Raw (still percent-encoded) path parameters by name; a route decodes the ones it uses. */
export type PathParams = Record<string, string>;

/** Matches one path pattern; null when the path is not of it. */
export type PathMatcher = (path: string) => PathParams | null;

/**
 * Compiles `/v3/company/:realmId/companyinfo/:id`: literal segments match exactly, `:name` matches
 * one non-empty segment, and a final `**` matches any rest, none included (`/_emulator/**` matches
 * `/_emulator` and everything under it).
 */
export function compilePathPattern(pattern: string): PathMatcher {
  const segments = pattern.split('/').slice(1);
  const rest = segments.at(-1) === '**';
  if (rest) segments.pop();
  return (path) => {
    const parts = path.split('/').slice(1);
    if (rest ? parts.length < segments.length : parts.length !== segments.length) return null;
    const params: PathParams = {};
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      if (segment.startsWith(':')) {
        if (!parts[i]) return null;
        params[segment.slice(1)] = parts[i];
      } else if (segment !== parts[i]) return null;
    }
    return params;
  };
}
