import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { InvalidStateError } from '@quickbooks-auth/nestjs';
import { createScratchDatabase } from '../support/mariadb';
import { approveAtEmulator, startHarness, type Harness } from '../support/quickbooks-harness';
import { TEST_CLIENT, testKeyRing } from '../support/test-keys';

/** Two replicas on one MariaDB: a state works once, whichever replica receives the callback. */
describe('OAuth state is single-use across replicas (MariaDB)', () => {
  let emulator: RunningEmulator;
  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    db = await createScratchDatabase('qb_state');
    const shared = { encryptionKeys: testKeyRing('k1'), stateSecret: 'shared-state-secret-'.padEnd(40, 'x') };
    a = await startHarness({ storage: { type: 'typeorm', url: db.url }, emulator, options: shared });
    b = await startHarness({ storage: { type: 'typeorm', url: db.url }, emulator, options: shared });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    await db?.drop();
  });

  it('a callback replayed on another replica is refused and exchanges nothing', async () => {
    const { url } = await a.connect.createAuthorizeUrl({ tenantId: 'tenant-r' });
    const query = await approveAtEmulator(a, url);
    const codeCalls = () => emulator.state.statsSnapshot().calls.byGrant.authorization_code;
    await expect(b.connect.handleCallback({ query })).resolves.toMatchObject({ connection: { tenantId: 'tenant-r', status: 'active' } });
    const after = codeCalls();
    await expect(a.connect.handleCallback({ query })).rejects.toBeInstanceOf(InvalidStateError);
    await expect(b.connect.handleCallback({ query })).rejects.toBeInstanceOf(InvalidStateError);
    expect(codeCalls()).toBe(after);
    expect(await a.tokens.listConnections('tenant-r')).toHaveLength(1);
  });
});
