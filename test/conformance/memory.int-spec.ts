import { MemoryConnectionStore } from '@quickbooks-auth/nestjs/auth/storage/memory/memory-connection.store';
import { MemoryTokenStorage } from '@quickbooks-auth/nestjs/auth/storage/memory/memory-token-storage';
import { cipherFor, describeTokenStorageConformance, type TokenColumn } from '@quickbooks-auth/nestjs/testing';

const COLUMN = { access_token: 'accessTokenEnc', refresh_token: 'refreshTokenEnc' } as const;

describeTokenStorageConformance('memory', async (keysSpec) => {
  const store = new MemoryConnectionStore();
  const row = (ref: { tenantId: string; realmId: string }) => {
    const found = store.rows.get(MemoryConnectionStore.key(ref));
    if (!found) throw new Error('no such row');
    return found;
  };
  return {
    storage: new MemoryTokenStorage(cipherFor(keysSpec), store),
    raw: {
      dump: async () =>
        [...store.rows.values()].flatMap((r) =>
          Object.values(r)
            .filter((v) => v !== null)
            .map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
        ),
      tamper: async (ref, field: TokenColumn, mutate) => {
        const r = row(ref);
        r[COLUMN[field]] = mutate(r[COLUMN[field]]!);
      },
      copyField: async (from, to, field: TokenColumn) => {
        row(to)[COLUMN[field]] = row(from)[COLUMN[field]];
      },
      swapFields: async (ref) => {
        const r = row(ref);
        [r.accessTokenEnc, r.refreshTokenEnc] = [r.refreshTokenEnc, r.accessTokenEnc];
      },
    },
    reopenWithKeys: async (spec) => new MemoryTokenStorage(cipherFor(spec), store),
    cleanup: async () => store.rows.clear(),
  };
});
