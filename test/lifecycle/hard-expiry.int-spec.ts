import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import {
  ConnectionNotFoundError,
  InvalidArgumentError,
  ReconnectRealmMismatchError,
  type ConnectionRecoveredEvent,
  type ExpiringEvent,
  type ReconnectCampaignPage,
  type ReconnectCandidate,
} from '@quickbooks-auth/nestjs';
import { AuthEventsPublisher } from '@quickbooks-auth/nestjs/events/auth-events.publisher';
import { RefreshScheduler } from '@quickbooks-auth/nestjs/auth/refresh-scheduler/refresh-scheduler.service';
import { approveAtEmulator, startHarness, type Harness } from '../support/quickbooks-harness';
import { openScratchStore } from '../support/scratch-stores';
import { TEST_CLIENT, testKeyRing, testStateSecret } from '../support/test-keys';
import { seedConnections } from '../scheduler/support/seed-connections';

const DAY_S = 86_400;
const DAY_MS = DAY_S * 1000;
const TENANT = 'tenant-hard';

/**
 * The 5-year hard expiry as a lifecycle, end to end: two replicas share one MariaDB, the emulator
 * (over HTTP) issues grants with Intuit's 5-year cap and its clock is moved forward years, the
 * schedulers keep the connections alive on the way (one refresh per 60-day step, so the rolling
 * refresh token never lapses). Each horizon (90, 30, 7 days) is warned exactly once per connection
 * across both replicas; the reconnect campaign lists them; the reconnect flow re-binds the same
 * company (another company is refused) and emits quickbooks.connection_recovered; a connection
 * nobody reconnects dies at its deadline as Intuit says.
 */
describe('hard expiry lifecycle (two replicas, MariaDB, emulator clock moved 5 years)', () => {
  let emulator: RunningEmulator;
  let drop: () => Promise<void>;
  let a: Harness;
  let b: Harness;
  const expiring: Array<ExpiringEvent & { replica: string }> = [];
  const recovered: ConnectionRecoveredEvent[] = [];
  let refs: Array<{ tenantId: string; realmId: string }>;
  let hardExpiresAt: number;

  const now = () => emulator.state.clock.now();
  const daysLeft = () => (hardExpiresAt - now()) / DAY_MS;
  const tickBoth = () => Promise.all([a.app.get(RefreshScheduler).tick(), b.app.get(RefreshScheduler).tick()]);
  /** Moves the clock until `target` days are left, in 60-day steps with a tick of both replicas after each (keep-alive). */
  async function advanceTo(target: number): Promise<void> {
    while (daysLeft() - target > 60) {
      emulator.state.clock.advance(60 * DAY_S);
      await tickBoth();
    }
    emulator.state.clock.advance(Math.round((daysLeft() - target) * DAY_S));
    await tickBoth();
  }
  const hardWarnings = () => expiring.filter((e) => e.kind === 'refresh_hard');

  beforeAll(async () => {
    emulator = await startEmulator({ clients: [{ ...TEST_CLIENT, redirectUris: [TEST_CLIENT.redirectUri] }] });
    const store = await openScratchStore('mariadb', 'qb_hard');
    drop = store.cleanup;
    const options = { encryptionKeys: testKeyRing('k1'), stateSecret: testStateSecret(), scheduler: { enabled: true, tickSeconds: 3600 } };
    a = await startHarness({ storage: store.storage, emulator, options });
    b = await startHarness({ storage: store.storage, emulator, options });
    for (const [replica, h] of [
      ['a', a],
      ['b', b],
    ] as const) {
      h.app.get(AuthEventsPublisher).subscribe((name, payload) => {
        if (name === 'quickbooks.expiring') expiring.push({ ...(payload as ExpiringEvent), replica });
        if (name === 'quickbooks.connection_recovered') recovered.push(payload as ConnectionRecoveredEvent);
      });
    }
    const minted = emulator.state.mint({ clientId: TEST_CLIENT.clientId, count: 6 });
    refs = await seedConnections(a.storage, minted, { tenantId: TENANT, now: now(), due: true });
    hardExpiresAt = (await a.storage.get(refs[0]))!.refreshTokenHardExpiresAt!.getTime();
  }, 60_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    await drop?.();
  });

  it('stores the 5-year deadline Intuit sent, and warns nobody years before it', async () => {
    expect(daysLeft()).toBeGreaterThan(5 * 365 - 1);
    await advanceTo(120);
    expect(hardWarnings()).toEqual([]);
    for (const ref of refs) expect((await a.storage.get(ref))!.status).toBe('active');
  }, 120_000);

  it('warns each horizon exactly once per connection across both replicas', async () => {
    await advanceTo(85);
    expect(
      hardWarnings()
        .filter((e) => e.horizonDays === 90)
        .map((e) => e.realmId)
        .sort(),
    ).toEqual(refs.map((r) => r.realmId).sort());
    await advanceTo(80); // another refresh of every connection inside the 90-day horizon: nothing new
    await advanceTo(25);
    await advanceTo(20);
    await advanceTo(5);
    await advanceTo(4);
    for (const horizon of [90, 30, 7]) {
      const sent = hardWarnings().filter((e) => e.horizonDays === horizon);
      expect(sent.map((e) => e.realmId).sort()).toEqual(refs.map((r) => r.realmId).sort());
    }
    expect(hardWarnings()).toHaveLength(refs.length * 3);
    // Whichever replica claimed a connection, nothing was sent twice.
    expect(new Set(hardWarnings().map((e) => `${e.realmId}/${e.horizonDays}`)).size).toBe(hardWarnings().length);
    const first = hardWarnings()[0];
    expect(first.reconnectUrl).toBe(`http://localhost:3000/quickbooks/connect?realm=${first.realmId}`);
    expect(Math.abs(first.expiresAt.getTime() - hardExpiresAt)).toBeLessThan(5_000);
    expect(JSON.stringify(hardWarnings())).not.toMatch(/access_token|refresh_token|RT-|AT-/);
  }, 120_000);

  it('the reconnect campaign lists them soonest first, paged, with deadline and link', async () => {
    const seen: ReconnectCandidate[] = [];
    let cursor: string | null = null;
    do {
      const page: ReconnectCampaignPage = await b.tokens.listConnections({ needsReconnectWithinDays: 7, cursor, limit: 4 });
      seen.push(...page.connections);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((c) => c.realmId).sort()).toEqual(refs.map((r) => r.realmId).sort());
    for (let i = 1; i < seen.length; i++) expect(seen[i].reconnectBy.getTime()).toBeGreaterThanOrEqual(seen[i - 1].reconnectBy.getTime());
    expect(seen[0]).toMatchObject({ tenantId: TENANT, status: 'active', warnedDays: 7, undecryptable: false });
    expect(seen[0].reconnectUrl).toContain(seen[0].realmId);
    for (const c of seen) {
      expect(c).not.toHaveProperty('accessToken');
      expect(c).not.toHaveProperty('refreshToken');
      const stored = (await a.storage.get(c))!;
      expect(JSON.stringify(seen)).not.toContain(stored.refreshToken);
      expect(JSON.stringify(seen)).not.toContain(stored.accessToken);
    }
    expect((await a.tokens.listConnections({ needsReconnectWithinDays: 1 })).connections).toEqual([]);
    await expect(a.tokens.listConnections({ needsReconnectWithinDays: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(a.tokens.listConnections({ needsReconnectWithinDays: 7, cursor: 'forged' })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('reconnect re-binds the same company with a new 5-year grant and emits connection_recovered; another company is refused', async () => {
    const ref = refs[0];
    await expect(a.connect.createReconnectUrl({ tenantId: TENANT, realmId: '1234567890' })).rejects.toBeInstanceOf(ConnectionNotFoundError);
    await expect(a.connect.createReconnectUrl({ tenantId: 'tenant-other', realmId: ref.realmId })).rejects.toBeInstanceOf(
      ConnectionNotFoundError,
    );

    // The customer picks another company at Intuit: refused before the code is exchanged.
    const wrong = await a.connect.createReconnectUrl({ tenantId: TENANT, realmId: ref.realmId });
    const otherRealm = refs[1].realmId;
    const codeCalls = () => emulator.state.statsSnapshot().calls.byGrant.authorization_code ?? 0;
    const before = codeCalls();
    const wrongQuery = await approveAtEmulator(a, wrong.url, otherRealm);
    const refused = await b.connect.handleCallback({ query: wrongQuery }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReconnectRealmMismatchError);
    expect(refused).toMatchObject({ expectedRealmId: ref.realmId, receivedRealmId: otherRealm, code: 'reconnect_realm_mismatch' });
    expect(codeCalls()).toBe(before);
    expect((await a.storage.get(refs[1]))!.status).toBe('active');

    const { url } = await a.connect.createReconnectUrl({ tenantId: TENANT, realmId: ref.realmId, returnTo: '/settings' });
    const query = await approveAtEmulator(a, url, ref.realmId);
    const result = await b.connect.handleCallback({ query });
    expect(result).toMatchObject({ reconnected: true, returnTo: '/settings', connection: { ...ref, status: 'active' } });
    const newHard = result.connection.refreshTokenHardExpiresAt!.getTime();
    expect(newHard - now()).toBeGreaterThan(5 * 365 * DAY_MS - DAY_MS);
    expect(recovered).toEqual([
      expect.objectContaining({ ...ref, via: 'reconnect_url', previousStatus: 'active', refreshTokenHardExpiresAt: new Date(newHard) }),
    ]);
    expect(Math.abs(recovered[0].previousHardExpiresAt!.getTime() - hardExpiresAt)).toBeLessThan(5_000);
    // A new grant: its warnings start over, and it leaves the campaign.
    expect((await a.storage.get(ref))!.reconnectWarnedDays).toBeNull();
    const still = (await a.tokens.listConnections({ needsReconnectWithinDays: 30 })).connections.map((c) => c.realmId);
    expect(still).not.toContain(ref.realmId);
    expect(still).toHaveLength(refs.length - 1);
  });

  it('past the deadline Intuit refuses the others: needs_reauth, and only the reconnected one lives on', async () => {
    await advanceTo(-1);
    expect((await a.storage.get(refs[0]))!.status).toBe('active');
    for (const ref of refs.slice(1))
      expect((await a.storage.get(ref))!).toMatchObject({ status: 'needs_reauth', lastErrorCode: 'invalid_grant' });
    await expect(a.tokens.getAccessToken(refs[0])).resolves.toEqual(expect.any(String));
  }, 60_000);
});
