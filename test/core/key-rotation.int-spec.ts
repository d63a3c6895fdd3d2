import { randomBytes } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { DecryptionError, KeyRotationService } from '@quickbooks-auth/nestjs';
import { connectTenant, startHarness } from '../support/quickbooks-harness';
import { openScratchStore, type ScratchSqlKind, type ScratchSqlStore } from '../support/scratch-stores';
import { TEST_CLIENT, testStateSecret } from '../support/test-keys';

type EncryptedColumns = Record<'access_token_enc' | 'refresh_token_enc', string | null>;
const SELECT_CIPHERTEXTS = 'SELECT access_token_enc, refresh_token_enc FROM quickbooks_connections';

const databases: Array<[string, ScratchSqlKind]> = [
  ['MariaDB', 'mariadb'],
  ['PostgreSQL', 'postgres'],
];

/** Key rotation on the SQL servers: new key first, re-encrypt while running, drop the old key. */
describe.each(databases)('encryption key rotation (TypeORM on %s)', (_name, kind) => {
  let emulator: RunningEmulator;
  let db: ScratchSqlStore;
  const k1 = `k1:${randomBytes(32).toString('base64')}`;
  const k2 = `k2:${randomBytes(32).toString('base64')}`;

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    db = await openScratchStore(kind, 'qb_rot');
  });
  afterAll(async () => {
    await emulator?.close();
    await db?.cleanup();
  });

  const keyIds = async () =>
    (await db.query<EncryptedColumns>(SELECT_CIPHERTEXTS))
      .flatMap((r) => [r.access_token_enc, r.refresh_token_enc])
      .filter(Boolean)
      .map((c) => c!.split(':')[1]);

  it('re-encrypts every row under the new key, after which the old key can go', async () => {
    const stateSecret = testStateSecret();
    const opts = (keys: string) => ({ storage: db.storage, emulator, options: { encryptionKeys: keys, stateSecret } });
    const realms: string[] = [];
    const old = await startHarness(opts(k1));
    for (let i = 0; i < 5; i++) realms.push(await connectTenant(old, `tenant-${i % 2}`));
    await old.close();
    expect(new Set(await keyIds())).toEqual(new Set(['k1']));

    const rotating = await startHarness(opts(`${k2},${k1}`));
    const report = await rotating.app.get(KeyRotationService).reencryptAll({ batchSize: 2 });
    expect(report).toEqual({ scanned: 5, reencrypted: 5, failed: 0 });
    await rotating.close();
    expect(new Set(await keyIds())).toEqual(new Set(['k2']));

    const fresh = await startHarness(opts(k2));
    for (const [i, realmId] of realms.entries()) {
      await expect(fresh.tokens.getAccessToken({ tenantId: `tenant-${i % 2}`, realmId })).resolves.toEqual(expect.any(String));
    }
    await fresh.close();

    // Without the key that encrypted them, rows fail with a typed error, not garbage.
    const wrong = await startHarness(opts(`k9:${randomBytes(32).toString('base64')}`));
    await expect(wrong.tokens.getAccessToken({ tenantId: 'tenant-0', realmId: realms[0] })).rejects.toBeInstanceOf(DecryptionError);
    await wrong.close();

    // A failed row is logged by tenant and realm, the realm hashed when hashRealmIdsInLogs is on.
    const hashing = await startHarness({
      ...opts(`k8:${randomBytes(32).toString('base64')}`),
      options: { ...opts(k2).options, encryptionKeys: `k8:${randomBytes(32).toString('base64')}`, hashRealmIdsInLogs: true },
    });
    expect(await hashing.app.get(KeyRotationService).reencryptAll()).toMatchObject({ scanned: 5, failed: 5 });
    await hashing.close();
    const failures = hashing.logs.lines.filter((l) => l.includes('could not re-encrypt'));
    expect(failures).toHaveLength(5);
    for (const line of failures) expect(line).toMatch(/realm=h:[0-9a-f]{12}:/);
    for (const realmId of realms) expect(hashing.logs.lines.join('\n')).not.toContain(realmId);
  });
});
