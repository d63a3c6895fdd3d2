/**
 * Intuit's metering categories of QBO accounting API calls (Intuit App Partner Program):
 * CorePlus calls take data out (reads, queries, reports, change data capture) and are metered
 * per app per month; Core calls put data in (create, update, delete, void, send) and are not.
 */
export type ApiCallCategory = 'coreplus' | 'core';

/** Path heads (the first segment under `/v3/company/{realmId}/`) that only ever read. */
const READ_ONLY_HEADS = new Set(['query', 'reports', 'cdc', 'companyinfo', 'preferences']);

/**
 * The category of a QBO call, from its method and path (the documented list, docs/configuration.md#api-governor):
 * - `POST query`, `GET` of any entity, `reports/*`, `cdc`, `companyinfo`, `preferences` read: CorePlus.
 * - `POST` to an entity (create, update, `?operation=delete|void`, `…/send`) and `batch`: Core.
 */
export function apiCallCategory(method: 'GET' | 'POST', path: string): ApiCallCategory {
  const head = path.split('/')[0].toLowerCase();
  if (READ_ONLY_HEADS.has(head)) return 'coreplus';
  return method === 'GET' ? 'coreplus' : 'core';
}
