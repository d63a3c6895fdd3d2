import type { DataSource } from 'typeorm';
import type { StateNonceStore } from './state-nonce-store.interface';

const DUPLICATE = new Set(['ER_DUP_ENTRY', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);

/**
 * Shared nonce store on the token database: the primary key makes the first INSERT win, so a
 * state is consumed once across every replica. Expired nonces are swept now and then.
 */
export class TypeOrmStateNonceStore implements StateNonceStore {
  private inserts = 0;

  constructor(private readonly dataSource: DataSource) {}

  async consume(nonce: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.dataSource.query('INSERT INTO quickbooks_oauth_states (nonce, expires_at) VALUES (?, ?)', [nonce, expiresAt.getTime() + 60_000]);
    } catch (err) {
      const code = (err as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (err as { code?: string }).code;
      if (code && DUPLICATE.has(code)) return false;
      throw err;
    }
    if (++this.inserts % 100 === 0) {
      await this.dataSource.query('DELETE FROM quickbooks_oauth_states WHERE expires_at < ?', [Date.now()]).catch(() => undefined);
    }
    return true;
  }
}
