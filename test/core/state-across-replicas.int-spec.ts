import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { InvalidStateError } from '@quickbooks-auth/nestjs';
import { approveAtEmulator, startHarness, type Harness } from '../support/quickbooks-harness';
import { openScratchStore, type ScratchStoreKind } from '../support/scratch-stores';
import { TEST_CLIENT, testKeyRing, testStateSecret } from '../support/test-keys';

const stores: Array<[string, ScratchStoreKind]> = [
  ['MariaDB', 'mariadb'],
  ['encrypted files (one host)', 'file'],
];

/** Two replicas on one store: a state works once, whichever replica receives the callback. */
describe.each(stores)('OAuth state is single-use across replicas (%s)', (_name, kind) => {
  let emulator: RunningEmulator;
  let cleanup: () => Promise<void>;
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    const store = await openScratchStore(kind, 'qb_state');
    cleanup = store.cleanup;
    const shared = { encryptionKeys: testKeyRing('k1'), stateSecret: testStateSecret() };
    a = await startHarness({ storage: store.storage, emulator, options: shared });
    b = await startHarness({ storage: store.storage, emulator, options: shared });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    await cleanup?.();
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
