/**
 * A connection file's pending revocation: a refresh token still to revoke at Intuit, sealed under
 * the refresh_token AAD field like the token it was, inside the encrypted document. Kept out of
 * the StoredConnection the file decodes to, and carried along by every write.
 */
export interface FileRevocation {
  tokenEnc: string;
  fingerprint: string;
  /** App clock. */
  dueAt: Date;
  attempts: number;
}

/** What a write does with the pending revocation: `value` starts as the file's, a write may replace it. */
export interface RevocationSlot {
  value: FileRevocation | null;
}

/** As encodeConnectionFile writes it. */
export function revocationToDoc(r: FileRevocation | null): Record<string, unknown> | null {
  return r ? { tokenEnc: r.tokenEnc, fingerprint: r.fingerprint, dueAt: r.dueAt.toISOString(), attempts: r.attempts } : null;
}

/** Exactly what revocationToDoc writes, else undefined (corrupt); null or absent (earlier releases) is none. */
export function revocationFromDoc(value: unknown): FileRevocation | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { tokenEnc, fingerprint, dueAt, attempts } = value as Record<string, unknown>;
  const due = typeof dueAt === 'string' ? new Date(dueAt) : null;
  if (typeof tokenEnc !== 'string' || !tokenEnc || typeof fingerprint !== 'string' || !fingerprint) return undefined;
  if (!due || Number.isNaN(due.getTime()) || !Number.isSafeInteger(attempts) || (attempts as number) < 0) return undefined;
  return { tokenEnc, fingerprint, dueAt: due, attempts: attempts as number };
}
