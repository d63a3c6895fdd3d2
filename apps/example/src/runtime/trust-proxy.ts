/**
 * EXAMPLE_TRUST_PROXY → Express `trust proxy`. Unset: no proxy is trusted, so X-Forwarded-For
 * and X-Forwarded-Proto are ignored (a client could otherwise pick its own IP and dodge the
 * login rate limit). A hop count (`1`) or Express's names and subnets (`loopback`,
 * `10.0.0.0/8, uniquelocal`) say which proxies to believe.
 */
export function parseTrustProxy(raw: string | undefined): boolean | number | string {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  if (!/^[A-Za-z0-9.:/,\s]+$/.test(value))
    throw new Error('EXAMPLE_TRUST_PROXY must be a hop count, or names and subnets such as "loopback, 10.0.0.0/8"');
  return value;
}
