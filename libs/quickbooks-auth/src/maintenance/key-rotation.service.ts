import { Inject, Injectable, Logger } from '@nestjs/common';
import { QUICKBOOKS_TOKEN_STORAGE } from '../quickbooks-auth.constants';
import type { TokenStorage } from '../auth/storage/token-storage.interface';
import { AuthEventsPublisher } from '../events/auth-events.publisher';

/** Totals of a re-encryption run. Drop an old key only after a run with `failed === 0`. */
export interface ReencryptionReport {
  /** Connections looked at. */
  scanned: number;
  /** Connections rewritten under the newest key (the others already were). */
  reencrypted: number;
  /** Connections that could not be read or written (logged by tenant and realm id). */
  failed: number;
}

/**
 * Re-encrypts every connection under the newest key of the ring, page by page, while the app
 * runs: each row is rewritten with a compare-and-swap on its current ciphertext, so a refresh
 * racing with it simply wins and the row is already under the new key.
 * Procedure: put the new key first in QB_ENCRYPTION_KEYS on every replica, run this, then drop
 * the old key.
 */
@Injectable()
export class KeyRotationService {
  private readonly logger = new Logger(KeyRotationService.name);

  /** @hidden Nest injects it; its parameters are internals. */
  constructor(
    @Inject(QUICKBOOKS_TOKEN_STORAGE) private readonly storage: TokenStorage,
    // For realmForLogs: realm ids in logs honour hashRealmIdsInLogs, as everywhere else.
    private readonly events: AuthEventsPublisher,
  ) {}

  /** Re-encrypt every connection, `batchSize` (default 500) refs per page; `onProgress` after each page. */
  async reencryptAll(params: { batchSize?: number; onProgress?: (r: ReencryptionReport) => void } = {}): Promise<ReencryptionReport> {
    const report: ReencryptionReport = { scanned: 0, reencrypted: 0, failed: 0 };
    let cursor: string | null = null;
    do {
      const page = await this.storage.listRefs(cursor, params.batchSize ?? 500);
      for (const ref of page.refs) {
        report.scanned += 1;
        try {
          if (await this.storage.reencrypt(ref)) report.reencrypted += 1;
        } catch (err) {
          // One unreadable row (corrupt, or its key already dropped) must not stop the others.
          report.failed += 1;
          this.logger.error(
            `could not re-encrypt tenant=${ref.tenantId} realm=${this.events.realmForLogs(ref.realmId)}: ${(err as Error).message}`,
          );
        }
      }
      params.onProgress?.({ ...report });
      cursor = page.nextCursor;
    } while (cursor);
    return report;
  }
}
