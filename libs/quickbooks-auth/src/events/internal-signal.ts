import type { RefreshSignal } from './refresh-signal';
import type { QuickBooksAuthEventBase } from './quickbooks-auth.events';

/** Where an undecryptable row was found: the scheduler's claim, a token read, a listing or summary. */
export type UndecryptableOperation = 'claim' | 'read' | 'list';

/**
 * What the module's producers tell its in-process consumers (metrics, tests, the bench), through
 * AuthEventsPublisher.signal(). Only `lifecycle` also goes to the host's EventEmitter2, as the
 * public `quickbooks.*` event it carries; the others never leave the module. Ids, codes, statuses
 * and fingerprints only, never a token (I5).
 * - lifecycle: a `quickbooks.*` event, as the host receives it.
 * - token_call: one call to Intuit's token endpoint (status null: no response).
 * - refresh_protocol: what the refresh protocol noticed (lease contention, refused sends, ...).
 * - undecryptable_row: a stored row failed to decrypt.
 */
export type InternalSignal =
  | { kind: 'lifecycle'; name: string; payload: QuickBooksAuthEventBase }
  | { kind: 'token_call'; grantType: string; status: number | null; latencyMs: number }
  | { kind: 'refresh_protocol'; signal: RefreshSignal }
  | { kind: 'undecryptable_row'; operation: UndecryptableOperation };

/** An in-process consumer of internal signals. It must not throw; what it throws is swallowed. */
export type InternalSignalListener = (signal: InternalSignal) => void;
