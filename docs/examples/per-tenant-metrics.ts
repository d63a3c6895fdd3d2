// docs/monitoring.md: the opt-in, bounded per-tenant metric.
import { QuickBooksAuthModule, type MetricsTenantLabelOptions, type QuickBooksAuthModuleOptions } from '@quickbooks-auth/nestjs';

declare const options: QuickBooksAuthModuleOptions;
/** The host's own tenant → plan lookup. */
declare const plans: Map<string, 'enterprise' | 'growth' | 'starter'>;

// Key accounts by id; everyone else is counted as tenant="other".
const keyAccounts: MetricsTenantLabelOptions = { tenants: ['acme', 'globex'] };

// Or groups, such as the customer's plan: at most 10 series, whatever the lookup returns.
const byPlan: MetricsTenantLabelOptions = {
  tenants: (tenantId) => plans.get(tenantId) ?? null,
  maxValues: 10,
};

export const withKeyAccounts = QuickBooksAuthModule.forRoot({ ...options, metricsTenantLabel: keyAccounts });
export const withPlans = QuickBooksAuthModule.forRoot({ ...options, metricsTenantLabel: byPlan });
