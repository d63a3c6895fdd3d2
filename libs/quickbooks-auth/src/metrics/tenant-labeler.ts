/** The label value for tenants outside the chosen set, and for everything past the cap. */
export const OTHER_TENANT_LABEL = 'other';

/** Prometheus label values may be any string, but keep them printable and short. */
const MAX_LABEL_LENGTH = 64;

/**
 * Builds the tenant → label function behind `quickbooks_tenant_events_total`. Bounded twice: only
 * chosen tenants (or the groups a function names) get a value of their own, and a process never
 * hands out more than `maxValues` distinct values, whatever the function returns.
 * @internal
 */
export function createTenantLabeler(
  tenants: readonly string[] | ((tenantId: string) => string | null | undefined),
  maxValues: number,
): (tenantId: string) => string {
  const chosen = typeof tenants === 'function' ? null : new Set(tenants);
  const given = new Set<string>();
  return (tenantId) => {
    let value: string | null | undefined;
    try {
      value = chosen ? (chosen.has(tenantId) ? tenantId : null) : (tenants as (id: string) => string | null | undefined)(tenantId);
    } catch {
      value = null; // a throwing mapper must not break a refresh
    }
    if (typeof value !== 'string' || value === '') return OTHER_TENANT_LABEL;
    value = value.slice(0, MAX_LABEL_LENGTH);
    if (given.has(value)) return value;
    if (given.size >= maxValues) return OTHER_TENANT_LABEL;
    given.add(value);
    return value;
  };
}
