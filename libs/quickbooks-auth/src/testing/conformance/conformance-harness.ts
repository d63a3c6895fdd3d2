import type { ConnectionRef } from '../../domain/connection.interface';
import type { TokenStorage } from '../../auth/storage/token-storage.interface';

/** Which encrypted token of a row a raw-access helper touches. */
export type TokenColumn = 'access_token' | 'refresh_token';

/** Direct access to what the backend stored, bypassing the storage class. */
export interface ConformanceRawAccess {
  /** Every stored value as text (each column / hash field / file), for plaintext scans. */
  dump(): Promise<string[]>;
  /** Replace one stored ciphertext with `mutate(ciphertext)`. */
  tamper(ref: ConnectionRef, field: TokenColumn, mutate: (ciphertext: string) => string): Promise<void>;
  /** Copy one row's stored ciphertext of `field` over the same field of another row. */
  copyField(fromRef: ConnectionRef, toRef: ConnectionRef, field: TokenColumn): Promise<void>;
  /** Swap the stored access-token and refresh-token ciphertexts of one row. */
  swapFields(ref: ConnectionRef): Promise<void>;
}

/** What a factory returns: the storage under test and raw access to what it stored. */
export interface ConformanceHarness {
  /** The backend under test, empty, using the factory's key ring. */
  storage: TokenStorage;
  /** Reads and corrupts stored values behind the storage's back (plaintext scans, tamper cases). */
  raw: ConformanceRawAccess;
  /** The same data under a new key ring (`id:key` newest first), for rotation. */
  reopenWithKeys(keysSpec: string): Promise<TokenStorage>;
  /** Closes connections and removes what the harness created (called after each case). */
  cleanup(): Promise<void>;
}

/** Builds a fresh, empty harness whose storage encrypts with `keysSpec` (`id:base64key`, newest first). */
export type ConformanceFactory = (keysSpec: string) => Promise<ConformanceHarness>;
