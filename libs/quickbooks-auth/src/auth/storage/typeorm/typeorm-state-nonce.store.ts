import type { DataSource } from 'typeorm';
import { sqlDialectFor, type SqlDialect } from './sql-dialect';
import { driverErrorCode } from './storage-error.mapper';
import type { StateNonceStore } from '../../state/state-nonce-store.interface';

/**
 * Shared nonce store on the token database (MySQL/MariaDB, PostgreSQL or SQLite): the primary
 * key makes the first INSERT win, so a state is consumed once across every replica. Expired
 * nonces are swept now and then.
 */
export class TypeOrmStateNonceStore implements StateNonceStore {
  private inserts = 0;
  private readonly dialect: SqlDialect;

  constructor(private readonly dataSource: DataSource) {
    this.dialect = sqlDialectFor(dataSource);
  }

  async consume(nonce: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.dataSource.query(this.dialect.bind('INSERT INTO quickbooks_oauth_states (nonce, expires_at) VALUES (?, ?)'), [
        nonce,
        expiresAt.getTime() + 60_000,
      ]);
    } catch (err) {
      if (this.dialect.isDuplicateKey(driverErrorCode(err))) return false;
      throw err;
    }
    if (++this.inserts % 100 === 0) {
      await this.dataSource
        .query(this.dialect.bind('DELETE FROM quickbooks_oauth_states WHERE expires_at < ?'), [Date.now()])
        .catch(() => undefined);
    }
    return true;
  }
}
