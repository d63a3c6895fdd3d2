export { ApiGovernor, type GovernedCallOptions } from './api-governor.service';
export type { ApiGovernorOptions, ApiGovernorSharedOptions, ApiCallMeterOptions } from './api-governor-options';
export { apiCallCategory, type ApiCallCategory } from './api-call-category';
export {
  INTUIT_MAX_CONCURRENT_PER_REALM,
  INTUIT_MAX_REQUESTS_PER_MINUTE_PER_REALM,
  BUILDER_TIER_MONTHLY_COREPLUS_CALLS,
} from './resolve-api-governor-options';
