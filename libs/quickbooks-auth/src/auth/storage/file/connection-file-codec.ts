import { CONNECTION_STATUSES, type ConnectionRef, type InflightCall, type StoredConnection } from '../../../domain/connection.interface';
import { DecryptionError } from '../../../errors/decryption.error';
import { StorageError } from '../../../errors/storage.error';
import type { TokenCipher } from '../../../utils/crypto/token-cipher';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD, openToken, sealToken } from '../token-sealing';
import { revocationFromDoc, revocationToDoc, type FileRevocation } from './file-revocation';

const FORMAT = 'quickbooks-auth/connection-file';
/**
 * Envelope version. Protocol v2 only added fields inside the encrypted document (leaseGeneration,
 * inflight, lastErrorFingerprint), so the envelope and its version stay as they were: files of
 * earlier releases read as generation 0 with nothing in flight and gain the fields on their next
 * write. An earlier release still opens these files (it ignores the new fields) unless one is
 * reauth_pending, which it reports as corrupt. The pending revocation (`revocation`) was added the
 * same way: absent reads as none; an earlier release reports a revoke_pending file as corrupt.
 */
const VERSION = 1;
/** AAD field of the whole-file ciphertext (I6: bound to tenant + realm + this field). */
export const CONNECTION_FILE_FIELD = 'connection_file';

/** What is on disk: ids in clear (to find the AAD and list refs), everything else encrypted. */
export interface ConnectionEnvelope {
  format: string;
  version: number;
  tenantId: string;
  realmId: string;
  ciphertext: string;
}

const DATE_FIELDS = [
  'accessTokenExpiresAt',
  'refreshTokenExpiresAt',
  'refreshTokenHardExpiresAt',
  'leaseExpiresAt',
  'nextRefreshAt',
  'nextAttemptAt',
  'lastRefreshedAt',
  'createdAt',
  'updatedAt',
] as const;
const REQUIRED_DATES = new Set(['accessTokenExpiresAt', 'refreshTokenExpiresAt', 'nextRefreshAt', 'createdAt', 'updatedAt']);

/**
 * Two layers: the tokens are sealed per field exactly as in the SQL and Redis backends (same AAD),
 * then the whole document is encrypted, so not even lease owners or expiries are readable on disk.
 * `revocation` (the pending one, already sealed) travels inside the document.
 */
export function encodeConnectionFile(conn: StoredConnection, cipher: TokenCipher, revocation: FileRevocation | null = null): string {
  const ref = { tenantId: conn.tenantId, realmId: conn.realmId };
  const { accessToken, refreshToken, ...rest } = conn;
  const doc = {
    ...rest,
    accessTokenEnc: accessToken ? sealToken(cipher, ref, ACCESS_TOKEN_FIELD, accessToken) : null,
    refreshTokenEnc: refreshToken ? sealToken(cipher, ref, REFRESH_TOKEN_FIELD, refreshToken) : null,
    revocation: revocationToDoc(revocation),
  };
  const envelope: ConnectionEnvelope = {
    format: FORMAT,
    version: VERSION,
    ...ref,
    ciphertext: cipher.encrypt(JSON.stringify(doc), { ...ref, field: CONNECTION_FILE_FIELD }),
  };
  return `${JSON.stringify(envelope)}\n`;
}

/**
 * Parses the envelope only (no decryption). Errors name the file, never its content (I5, I8).
 * With `expected`, a file whose ids differ (copied from another connection) is refused (I7).
 */
export function parseEnvelope(text: string, displayName: string, expected?: ConnectionRef): ConnectionEnvelope {
  let envelope: ConnectionEnvelope;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new StorageError(`Connection file ${displayName} is corrupt (not JSON)`, 'storage_corrupt');
  }
  if (
    envelope?.format !== FORMAT ||
    typeof envelope.tenantId !== 'string' ||
    typeof envelope.realmId !== 'string' ||
    typeof envelope.ciphertext !== 'string'
  ) {
    throw new StorageError(`File ${displayName} is not a quickbooks-auth connection file`, 'storage_foreign_file');
  }
  if (envelope.version !== VERSION) {
    throw new StorageError(`Connection file ${displayName} has unsupported version ${Number(envelope.version)}`, 'storage_foreign_file');
  }
  if (expected && (envelope.tenantId !== expected.tenantId || envelope.realmId !== expected.realmId)) {
    throw new StorageError(`Connection file ${displayName} belongs to another connection`, 'storage_foreign_file');
  }
  return envelope;
}

/**
 * Decrypts and validates the document. A tampered or moved file fails the GCM tag (DecryptionError).
 * Without `withTokens` the sealed tokens inside are not opened (reported as ''): the document's
 * other fields, for a file whose tokens cannot be decrypted.
 */
export function decodeConnectionFile(
  envelope: ConnectionEnvelope,
  displayName: string,
  cipher: TokenCipher,
  withTokens: boolean | 'access' = true,
): StoredConnection {
  const ref = { tenantId: envelope.tenantId, realmId: envelope.realmId };
  const plaintext = decryptIn(displayName, 'document', () => cipher.decrypt(envelope.ciphertext, { ...ref, field: CONNECTION_FILE_FIELD }));
  const bad = (what: string): never => {
    throw new StorageError(`Connection file ${displayName} is corrupt (${what})`, 'storage_corrupt');
  };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(plaintext);
  } catch {
    return bad('document is not JSON');
  }
  if (doc.tenantId !== ref.tenantId || doc.realmId !== ref.realmId) bad('ids');
  for (const field of DATE_FIELDS) {
    const value = doc[field];
    if (value === null && !REQUIRED_DATES.has(field)) continue;
    const date = typeof value === 'string' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) bad(field);
    doc[field] = date;
  }
  // Last use (proactive 'recent' policy): absent in files of earlier releases, read as never recorded.
  if (doc.lastUsedAt === undefined || doc.lastUsedAt === null) doc.lastUsedAt = null;
  else if (typeof doc.lastUsedAt !== 'string' || Number.isNaN(new Date(doc.lastUsedAt).getTime())) bad('lastUsedAt');
  else doc.lastUsedAt = new Date(doc.lastUsedAt);
  if (!CONNECTION_STATUSES.includes(doc.status as StoredConnection['status'])) bad('status');
  if (!Number.isInteger(doc.version) || !Number.isInteger(doc.failureCount)) bad('counters');
  if (typeof doc.refreshTokenFingerprint !== 'string') bad('fingerprint');
  if (!Array.isArray(doc.scopes)) bad('scopes');
  // Protocol v2 fields: absent in files of earlier releases (read as never leased, nothing in
  // flight); when present they fence writes, so a malformed value is corruption, never a default.
  if (doc.leaseGeneration === undefined) doc.leaseGeneration = 0;
  else if (!isGeneration(doc.leaseGeneration)) bad('leaseGeneration');
  doc.inflight = doc.inflight === undefined || doc.inflight === null ? null : (inflightOf(doc.inflight) ?? bad('inflight'));
  if (doc.lastErrorFingerprint === undefined) doc.lastErrorFingerprint = null;
  else if (doc.lastErrorFingerprint !== null && typeof doc.lastErrorFingerprint !== 'string') bad('lastErrorFingerprint');
  // Hard-expiry warnings (issue 16): absent in earlier files, read as none yet.
  if (doc.reconnectWarnedDays === undefined) doc.reconnectWarnedDays = null;
  else if (doc.reconnectWarnedDays !== null && !isGeneration(doc.reconnectWarnedDays)) bad('reconnectWarnedDays');
  // The pending revocation is read by decodeRevocation; a connection never carries it.
  if (revocationFromDoc(doc.revocation) === undefined) bad('revocation');
  delete doc.revocation;
  const open = (field: 'accessTokenEnc' | 'refreshTokenEnc', aadField: typeof ACCESS_TOKEN_FIELD): string => {
    const sealed = doc[field];
    delete doc[field];
    if (sealed === null || sealed === undefined) return '';
    if (typeof sealed !== 'string') return bad(field);
    if (!withTokens || (withTokens === 'access' && aadField === REFRESH_TOKEN_FIELD)) return '';
    return decryptIn(displayName, aadField, () => openToken(cipher, ref, aadField, sealed));
  };
  doc.accessToken = open('accessTokenEnc', ACCESS_TOKEN_FIELD);
  doc.refreshToken = open('refreshTokenEnc', REFRESH_TOKEN_FIELD);
  return doc as unknown as StoredConnection;
}

/** Every ciphertext in a file (the document and the sealed tokens inside it), for key rotation. */
export function ciphertextsOf(envelope: ConnectionEnvelope, displayName: string, cipher: TokenCipher): string[] {
  const doc = documentOf(envelope, displayName, cipher) as {
    accessTokenEnc?: unknown;
    refreshTokenEnc?: unknown;
    revocation?: { tokenEnc?: unknown } | null;
  };
  return [envelope.ciphertext, doc.accessTokenEnc, doc.refreshTokenEnc, doc.revocation?.tokenEnc].filter(
    (v): v is string => typeof v === 'string',
  );
}

/** The file's pending revocation, still sealed (null: none). Decrypts the document, not the token. */
export function decodeRevocation(envelope: ConnectionEnvelope, displayName: string, cipher: TokenCipher): FileRevocation | null {
  const revocation = revocationFromDoc((documentOf(envelope, displayName, cipher) as { revocation?: unknown }).revocation);
  if (revocation === undefined) throw new StorageError(`Connection file ${displayName} is corrupt (revocation)`, 'storage_corrupt');
  return revocation;
}

function documentOf(envelope: ConnectionEnvelope, displayName: string, cipher: TokenCipher): Record<string, unknown> {
  const ref = { tenantId: envelope.tenantId, realmId: envelope.realmId };
  const plaintext = decryptIn(displayName, 'document', () => cipher.decrypt(envelope.ciphertext, { ...ref, field: CONNECTION_FILE_FIELD }));
  try {
    return JSON.parse(plaintext);
  } catch {
    throw new StorageError(`Connection file ${displayName} is corrupt (document is not JSON)`, 'storage_corrupt');
  }
}

function isGeneration(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** An in-flight record exactly as encodeConnectionFile writes it (ISO dates), else null. */
function inflightOf(value: unknown): InflightCall | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { fingerprint, owner, generation, startedAt, deadlineAt } = value as Record<string, unknown>;
  if (typeof fingerprint !== 'string' || typeof owner !== 'string' || !isGeneration(generation)) return null;
  const started = isoDate(startedAt);
  const deadline = isoDate(deadlineAt);
  if (!started || !deadline) return null;
  // A fresh object: nothing but the five known fields comes back from disk.
  return { fingerprint, owner, generation, startedAt: started, deadlineAt: deadline };
}

function isoDate(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString() === value ? date : null;
}

/** Re-throws a decryption failure naming the file and the layer, never the content. */
function decryptIn(displayName: string, layer: string, fn: () => string): string {
  try {
    return fn();
  } catch (err) {
    const reason = err instanceof DecryptionError ? err.reason : 'unreadable';
    throw new DecryptionError(`connection file ${displayName} (${layer}): ${reason}`);
  }
}
