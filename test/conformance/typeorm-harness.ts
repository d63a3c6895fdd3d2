import type { DataSource } from 'typeorm';
import type { ConnectionRef } from '@quickbooks-auth/nestjs/domain/connection.interface';
import { TypeOrmTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/typeorm/typeorm-token-storage';
import { cipherFor, type ConformanceHarness, type TokenColumn } from '@quickbooks-auth/nestjs/testing';

const COLUMN: Record<TokenColumn, string> = { access_token: 'access_token_enc', refresh_token: 'refresh_token_enc' };

/**
 * Conformance harness over an initialized, migrated DataSource (MySQL, PostgreSQL or SQLite): raw
 * access is plain SQL on quickbooks_connections, bypassing the storage class and its column transformers.
 */
export async function typeOrmHarness(dataSource: DataSource, keysSpec: string, close: () => Promise<void>): Promise<ConformanceHarness> {
  const postgres = dataSource.options.type === 'postgres';
  // [WHERE for the ref, SET for a value]: PostgreSQL numbers its placeholders.
  const BY_REF = postgres ? 'WHERE tenant_id = $1 AND realm_id = $2' : 'WHERE tenant_id = ? AND realm_id = ?';
  const BY_REF_AFTER_VALUE = postgres ? 'WHERE tenant_id = $2 AND realm_id = $3' : BY_REF;
  const VALUE = postgres ? '$1' : '?';
  await dataSource.query('DELETE FROM quickbooks_connections');
  const read = async (ref: ConnectionRef, column: string): Promise<string> => {
    const rows: Array<Record<string, string>> = await dataSource.query(`SELECT ${column} AS v FROM quickbooks_connections ${BY_REF}`, [
      ref.tenantId,
      ref.realmId,
    ]);
    if (!rows.length) throw new Error('no such row');
    return rows[0].v;
  };
  const write = (ref: ConnectionRef, column: string, value: string | null) =>
    dataSource.query(`UPDATE quickbooks_connections SET ${column} = ${VALUE} ${BY_REF_AFTER_VALUE}`, [value, ref.tenantId, ref.realmId]);
  return {
    storage: new TokenOrmStorageFactory(dataSource).open(keysSpec),
    raw: {
      dump: async () => {
        const rows: Array<Record<string, unknown>> = await dataSource.query('SELECT * FROM quickbooks_connections');
        return rows.flatMap((row) =>
          Object.values(row)
            .filter((v) => v !== null)
            .map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))),
        );
      },
      tamper: async (ref, field, mutate) => {
        await write(ref, COLUMN[field], mutate(await read(ref, COLUMN[field])));
      },
      copyField: async (from, to, field) => {
        await write(to, COLUMN[field], await read(from, COLUMN[field]));
      },
      swapFields: async (ref) => {
        const [access, refresh] = [await read(ref, COLUMN.access_token), await read(ref, COLUMN.refresh_token)];
        await write(ref, COLUMN.access_token, refresh);
        await write(ref, COLUMN.refresh_token, access);
      },
    },
    reopenWithKeys: async (spec) => new TokenOrmStorageFactory(dataSource).open(spec),
    cleanup: close,
  };
}

class TokenOrmStorageFactory {
  constructor(private readonly dataSource: DataSource) {}

  open(keysSpec: string): TypeOrmTokenStorage {
    return new TypeOrmTokenStorage(this.dataSource, cipherFor(keysSpec));
  }
}
