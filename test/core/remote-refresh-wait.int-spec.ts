import { TokenRefresher } from '@quickbooks-auth/nestjs/auth/refresh/token-refresher.service';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { openScratchStore, type ScratchStore } from '../support/scratch-stores';
import { connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';
import { TEST_CLIENT } from '../support/test-keys';

/**
 * Two replicas on one Redis store: the one that loses the lease waits for the other's refresh by
 * reading the row, and learns how long that call took (start to stored answer), which is how it
 * times its reads around the answer of the next one (holder-poll-delay). Real HTTP, real Redis.
 */
describe("waiting for another replica's refresh", () => {
  const LATENCY_MS = 600;
  let emulator: RunningEmulator;
  let store: ScratchStore;
  let a: Harness;
  let b: Harness;

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    store = await openScratchStore('redis', 'qbwait');
    const options = { accessTokenCacheSeconds: 0 };
    a = await startHarness({ storage: store.storage, emulator, options });
    // One deployment: the same keys on both replicas.
    b = await startHarness({ storage: store.storage, emulator, options: { ...options, encryptionKeys: a.options.encryptionKeys } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await store?.cleanup();
    await emulator?.close();
  });

  it('serves the holder’s token after one token call, and learns the call’s duration from the wait', async () => {
    const ref = { tenantId: 'tenant-wait', realmId: await connectTenant(a, 'tenant-wait') };
    emulator.state.clock.advance(3600);
    emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: LATENCY_MS, count: 1 });
    const waiterLatency = b.app.get(TokenRefresher).callLatency;
    expect(waiterLatency.typicalMs()).toBeUndefined();

    const holding = a.tokens.getAccessToken(ref);
    // B arrives once A's lease and call record are stored.
    for (let i = 0; i < 100 && !(await a.storage.get(ref))?.inflight; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await a.storage.get(ref))!.inflight).not.toBeNull();
    const [held, waited] = await Promise.all([holding, b.tokens.getAccessToken(ref)]);

    expect(waited).toBe(held);
    expect(emulator.state.stats.realmCalls(ref.realmId).refresh_token).toBe(1);
    // The holder's own call, and the waiter's view of it: at least the endpoint's latency.
    expect(a.app.get(TokenRefresher).callLatency.typicalMs()).toBeGreaterThanOrEqual(LATENCY_MS);
    const learned = waiterLatency.typicalMs();
    expect(learned).toBeGreaterThanOrEqual(LATENCY_MS);
    expect(learned).toBeLessThan(LATENCY_MS + 2_000);
  });
});
