import type { ConnectionRef } from './connection.interface';

/*
 * The rules for a connection ref, one set for the whole library (I7, I8). They answer with a problem
 * (a sentence naming the field, never its value) instead of throwing, so each layer raises its own
 * error: the services a ConnectionNotFoundError, storage a StorageError, an import a problem list.
 *
 * Decision (issue 19), when two validators disagreed (storage: realm ≤ 64 characters; services and
 * callbacks: realm ≤ 32 digits):
 * - A tenant id is 1..128 characters, without control characters or edge whitespace (some SQL
 *   collations ignore trailing spaces, so `acme` and `acme ` could otherwise address the same row).
 * - A realm id that ENTERS the library (an OAuth callback, the Disconnect landing, a service call, an
 *   import) must be a QuickBooks company id: 1..32 decimal digits. That is what the public API documents
 *   ("realmId must look like a QuickBooks company id", docs/security.md, docs/importing.md) and what the
 *   tests assert (`../1`, `abc` and 40 digits are refused before any query or Intuit call).
 * - A realm id that ADDRESSES A STORED ROW (every TokenStorage method) may be any safe string of at
 *   most 64 characters (the realm_id column width). Storage accepted that before the merge, and rows
 *   imported under it must stay readable, listable and deletable: storage never gets stricter than
 *   what it once stored. Every company id is a storable realm id, so the first rule is a subset of this one.
 */
export const MAX_TENANT_ID_LENGTH = 128;
export const MAX_STORED_REALM_ID_LENGTH = 64;
const QUICKBOOKS_REALM_ID = /^[0-9]{1,32}$/;
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const UNSAFE = /[\u0000-\u001f\u007f]|^\s|\s$/;

/** A realm id as Intuit issues it (callbacks, service calls, imports). */
export function isQuickBooksRealmId(value: unknown): value is string {
  return typeof value === 'string' && QUICKBOOKS_REALM_ID.test(value);
}

/** Why a tenant id is refused, or undefined when it is fine. */
export function tenantIdProblem(tenantId: unknown): string | undefined {
  return safeStringProblem('tenantId', tenantId, MAX_TENANT_ID_LENGTH);
}

/** Why a realm id that enters the library is refused, or undefined when it is fine. */
export function realmIdProblem(realmId: unknown): string | undefined {
  if (isQuickBooksRealmId(realmId)) return undefined;
  return safeStringProblem('realmId', realmId, MAX_STORED_REALM_ID_LENGTH) ?? 'realmId must be a QuickBooks company id (1 to 32 digits)';
}

/** Why a realm id cannot address a stored row, or undefined when it can (the wider, storage rule). */
export function storedRealmIdProblem(realmId: unknown): string | undefined {
  return safeStringProblem('realmId', realmId, MAX_STORED_REALM_ID_LENGTH);
}

/** Why a ref from a caller is refused (tenant rule + company-id rule), or undefined. */
export function connectionRefProblem(ref: ConnectionRef): string | undefined {
  return tenantIdProblem(ref?.tenantId) ?? realmIdProblem(ref?.realmId);
}

/** Why a ref cannot address a stored row (tenant rule + stored-realm rule), or undefined. */
export function storedConnectionRefProblem(ref: ConnectionRef): string | undefined {
  return tenantIdProblem(ref?.tenantId) ?? storedRealmIdProblem(ref?.realmId);
}

function safeStringProblem(name: string, value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return `${name} must be a non-empty string`;
  if (value.length > max) return `${name} must be at most ${max} characters`;
  if (UNSAFE.test(value)) return `${name} must not contain control characters or leading/trailing whitespace`;
  return undefined;
}
