import { randomBytes } from 'node:crypto';
import type { StoredConnection } from '@quickbooks-auth/nestjs';
import { startEmulator, type RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import { findLeaks } from '../support/log-capture';
import { createScratchDatabase } from '../support/mariadb';
import { freePort } from '../support/private-servers';
import { startHarness, type Harness } from '../support/quickbooks-harness';
import { testKeyRing, testStateSecret } from '../support/test-keys';
import { buildExampleApp, type ExampleBuild } from './example-build';
import { ExampleReplica, type ReplicaExit } from './example-replica';

/**
 * A rolling deploy of the example app, black box: two replicas (real child processes running
 * apps/example/src/main.ts in live mode, from a transpile-only build of the working tree) share one
 * MariaDB database and talk to the emulator over real HTTP. Each round ages the emulator's clock
 * (every access token expired at Intuit, every refresh token due to rotate), sends company-info
 * requests that refresh on demand (QBO answers 401, withAccessToken forces a refresh), and SIGTERMs
 * one replica while those token calls are in flight. Its replacement starts at once (a new process
 * on a new port, like a rolling update's new pod); the next round rolls the other replica.
 *
 * The case that used to lose connections is in every round: requests whose client gives up while
 * their refresh is in flight, so the refresh outlives its request (what a refresh started by
 * non-HTTP work looks like to the library; the example has no such work of its own, and its
 * scheduler has nothing due here). Their token calls are held longer than every request still open
 * on that replica, so nothing but the refresher's drain keeps the process alive until the rotated
 * token is stored: Nest closes the HTTP server after onModuleDestroy and before storage closes,
 * and that close waits only for open requests. Also in every round: requests still open (drained
 * either way), requests on the other replica, and a request whose refresh would start after
 * shutdown began (RefreshShutdownError: 503 + Retry-After).
 *
 * Synchronisation is on observable events only: the emulator's in-flight refresh count and QBO call
 * count, log lines, process exit. The injected latencies are what keep the calls in flight.
 */

const CLIENT_ID = 'rolling-deploy-client';
/** Where "the load balancer" serves the app; the registered redirect URI derives from it. */
const PUBLIC_URL = 'http://example-app.deploy.test';
/** Every refresh's token call is held this long at the emulator. */
const TOKEN_LATENCY_MS = 1000;
/**
 * Added to the aborted requests' token calls: they outlive every request still open on the
 * replica (the late one included) by about a second.
 */
const ABORTED_EXTRA_MS = 2000;
/** The late request sits at QBO this long; its 401 comes back after SIGTERM has landed. */
const LATE_QBO_HOLD_MS = 2000;
/** A SIGTERMed replica must be gone within this (it has about 3 s of refreshes to drain). */
const EXIT_BOUND_MS = 10_000;
const DAY_AND_AN_HOUR_S = 25 * 3600;

interface Tenant {
  id: string;
  key: string;
  realmId: string;
}

type Slot = 'A' | 'B';

describe('example app: rolling deploy with on-demand refreshes in flight (2 replicas, MariaDB, emulator over HTTP)', () => {
  const clientSecret = `canary-client-secret-${randomBytes(12).toString('hex')}`;
  const keyRing = testKeyRing('k1');
  const stateSecret = testStateSecret();
  const cookieSecret = `canary-cookie-${randomBytes(24).toString('hex')}`;
  // Roles in every round (R = the replica being rolled, O = the other one).
  const roles = ['late', 'abortedA', 'abortedB', 'openR1', 'openR2', 'openO1', 'openO2', 'idle'] as const;
  const tenants: Record<(typeof roles)[number], Tenant> = Object.fromEntries(
    roles.map((role, i) => [role, { id: `roll-t${i + 1}`, key: `roll-key-${i + 1}-${randomBytes(12).toString('hex')}`, realmId: '' }]),
  ) as Record<(typeof roles)[number], Tenant>;
  const all = (): Tenant[] => roles.map((r) => tenants[r]);
  const oauthSecrets: string[] = [];

  let db: Awaited<ReturnType<typeof createScratchDatabase>>;
  let emulator: RunningEmulator;
  let inspector: Harness;
  let env: Record<string, string>;
  let build: ExampleBuild;
  const live: Partial<Record<Slot, ExampleReplica>> = {};
  const everyReplica: ExampleReplica[] = [];
  const generation: Record<Slot, number> = { A: 1, B: 1 };

  const replica = (slot: Slot): ExampleReplica => live[slot]!;
  const stats = () => emulator.state.statsSnapshot();
  const grantOf = (t: Tenant) => emulator.state.store.latestGrantForRealm(t.realmId)!;
  const stored = async (t: Tenant): Promise<StoredConnection> => (await inspector.storage.get({ tenantId: t.id, realmId: t.realmId }))!;

  /** A new replica process in `slot`, on a port of its own (the one it replaces may still be draining). */
  async function start(slot: Slot): Promise<ExampleReplica> {
    const r = ExampleReplica.start(build, `${slot}${generation[slot]++}`, await freePort(), env);
    live[slot] = r;
    everyReplica.push(r);
    return r;
  }

  /** Waits for an observable condition (emulator state); fails naming it. */
  async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * `Connection: close`: Node's HTTP server, once closing, waits for a keep-alive connection that
   * was busy when close() began until the client drops it after its response (undici: ~4 s idle).
   * That would hold the replica open a few seconds more and drain the aborted refreshes by accident
   * again; a client that does not keep connections alive (or a load balancer that drops them) is
   * the case the drain is for.
   */
  function companyInfo(r: ExampleReplica, t: Tenant, signal?: AbortSignal): Promise<Response> {
    return fetch(`${r.baseUrl}/quickbooks/connections/${t.realmId}/company-info`, {
      headers: { 'x-api-key': t.key, accept: 'application/json', connection: 'close' },
      signal,
    });
  }

  /** company-info for every tenant, spread over the given replicas: [tenant, status, right company]. */
  async function companyInfoForAll(over: ExampleReplica[]): Promise<Array<[string, number, boolean]>> {
    return Promise.all(
      all().map(async (t, i) => {
        const res = await companyInfo(over[i % over.length], t);
        const body = (await res.json()) as { companyInfo?: { CompanyName?: string } };
        return [t.id, res.status, body.companyInfo?.CompanyName === `Emulated Company ${t.realmId}`] as [string, number, boolean];
      }),
    );
  }

  /** The real connect flow: connect on one replica, Intuit consent (auto-approved), callback on the other. */
  async function connect(t: Tenant, startOn: ExampleReplica, finishOn: ExampleReplica): Promise<string> {
    const started = await fetch(`${startOn.baseUrl}/quickbooks/connect`, { headers: { 'x-api-key': t.key }, redirect: 'manual' });
    expect(started.status).toBe(302);
    const consent = await fetch(started.headers.get('location')!, { redirect: 'manual' });
    expect(consent.status).toBe(302);
    const callback = new URL(consent.headers.get('location')!);
    expect(callback.origin).toBe(PUBLIC_URL);
    oauthSecrets.push(callback.searchParams.get('code')!, callback.searchParams.get('state')!);
    const done = await fetch(`${finishOn.baseUrl}${callback.pathname}${callback.search}`, {
      headers: { 'x-api-key': t.key, accept: 'application/json' },
    });
    expect(done.status).toBe(200);
    const body = (await done.json()) as { connection: { realmId: string; status: string } };
    expect(body.connection.status).toBe('active');
    return body.connection.realmId;
  }

  beforeAll(async () => {
    build = buildExampleApp();
    db = await createScratchDatabase('qb_roll');
    emulator = await startEmulator({
      clients: [{ clientId: CLIENT_ID, clientSecret, redirectUris: [`${PUBLIC_URL}/quickbooks/callback`] }],
      autoApprove: true,
    });
    // Reads the shared database as the replicas do (same key ring); it also applies the migrations
    // once before the replicas start. It never refreshes anything.
    inspector = await startHarness({ storage: { type: 'typeorm', url: db.url }, emulator, options: { encryptionKeys: keyRing } });
    env = {
      EXAMPLE_PUBLIC_URL: PUBLIC_URL,
      EXAMPLE_API_KEYS: all()
        .map((t) => `${t.key}:${t.id}`)
        .join(','),
      EXAMPLE_COOKIE_SECRET: cookieSecret,
      EXAMPLE_LOG_LEVEL: 'info',
      QB_CLIENT_ID: CLIENT_ID,
      QB_CLIENT_SECRET: clientSecret,
      QB_REDIRECT_URI: `${PUBLIC_URL}/quickbooks/callback`,
      QB_ENVIRONMENT: 'sandbox',
      QB_ENCRYPTION_KEYS: keyRing,
      QB_STATE_SECRET: stateSecret,
      QB_STORAGE: 'typeorm',
      DATABASE_URL: db.url,
      QB_INTUIT_BASE_URL: emulator.url,
    };
    await Promise.all([(await start('A')).ready, (await start('B')).ready]);
    emulator.state.faults.add({ endpoint: 'token', type: 'latency', grantType: 'refresh_token', latencyMs: TOKEN_LATENCY_MS });
  }, 90_000);

  afterAll(async () => {
    await Promise.all(everyReplica.map((r) => r.destroy()));
    await inspector?.close();
    await emulator?.close();
    await db?.drop();
    build?.remove();
  });

  it('connects every tenant through the real connect flow, started on one replica and finished on the other', async () => {
    for (const [i, t] of all().entries()) {
      const [on, other] = i % 2 ? [replica('A'), replica('B')] : [replica('B'), replica('A')];
      t.realmId = await connect(t, on, other);
    }
    expect(new Set(all().map((t) => t.realmId)).size).toBe(all().length);
    expect(stats().calls.byGrant.refresh_token).toBe(0);
  });

  /**
   * One round: SIGTERM `slot` with refreshes in flight, check what it left behind, restart it,
   * then prove every tenant works on the new pair.
   */
  async function roll(slot: Slot, round: number): Promise<void> {
    const R = replica(slot);
    const O = replica(slot === 'A' ? 'B' : 'A');
    const t = tenants;
    const inFlightAtStart = stats().inFlightRefreshes;
    expect(inFlightAtStart).toBe(0);
    emulator.state.clock.advance(DAY_AND_AN_HOUR_S); // QBO now rejects every access token; every refresh rotates

    // 1. The late request: held at QBO, so its 401 (and the refresh it asks for) come after SIGTERM.
    const qboCalls = stats().calls.byEndpoint.companyinfo ?? 0;
    emulator.state.faults.add({ endpoint: 'companyinfo', type: 'latency', latencyMs: LATE_QBO_HOLD_MS, count: 1 });
    const late = companyInfo(R, t.late).then(async (res) => ({
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      error: ((await res.json()) as { error?: string }).error,
    }));
    await until('the late request to reach QBO', () => (stats().calls.byEndpoint.companyinfo ?? 0) > qboCalls);
    const lateHeldUntil = Date.now() + LATE_QBO_HOLD_MS;

    // 2. Requests whose clients will give up: their refreshes are held the longest.
    emulator.state.faults.add({ endpoint: 'token', type: 'latency', grantType: 'refresh_token', latencyMs: ABORTED_EXTRA_MS, count: 2 });
    const aborts = [new AbortController(), new AbortController()];
    const aborted = [t.abortedA, t.abortedB].map((tenant, i) =>
      companyInfo(R, tenant, aborts[i].signal).then(
        (res) => `answered ${res.status}`,
        (err: Error) => err.name,
      ),
    );
    await until('the aborted requests’ refreshes to be in flight', () => stats().inFlightRefreshes === 2);

    // 3. Requests that stay open, on both replicas.
    const open = [
      ...[t.openR1, t.openR2].map((tenant) => companyInfo(R, tenant).then((res) => [tenant.id, res.status])),
      ...[t.openO1, t.openO2].map((tenant) => companyInfo(O, tenant).then((res) => [tenant.id, res.status])),
    ];
    await until('every refresh to be in flight', () => stats().inFlightRefreshes === 6);

    // 4. The load balancer drops the first two; the deploy SIGTERMs R and starts its replacement.
    for (const a of aborts) a.abort();
    // Precondition, not a wait: the late request is still held at QBO, its refresh not started.
    expect({ inFlight: stats().inFlightRefreshes, lateStillHeld: lateHeldUntil - Date.now() > 250 }).toEqual({
      inFlight: 6,
      lateStillHeld: true,
    });
    const termAt = R.sigterm();
    const replacement = start(slot);

    const exit = await Promise.race([
      R.exited,
      new Promise<ReplicaExit>((r) => setTimeout(() => r({ code: null, signal: null, at: -1 }), EXIT_BOUND_MS + 5_000).unref()),
    ]);
    // Every token call R sent has been answered by now, stored or (had R not drained) lost with it.
    await until('the token calls R sent to be answered', () => stats().inFlightRefreshes === 0);

    // What the drain is for: the refreshes that outlived their requests were stored before R
    // exited, leases released, nothing left in flight.
    const left = await Promise.all(
      [t.abortedA, t.abortedB, t.openR1, t.openR2].map(async (tenant) => {
        const row = await stored(tenant);
        const current = row.refreshToken === grantOf(tenant).current.value; // compared, never printed
        return {
          tenant: tenant.id,
          status: row.status,
          current,
          leased: row.leaseOwner !== null,
          inflight: row.inflight !== null,
          rotations: grantOf(tenant).rotations,
        };
      }),
    );
    expect(left).toEqual(
      [t.abortedA, t.abortedB, t.openR1, t.openR2].map((tenant) => ({
        tenant: tenant.id,
        status: 'active',
        current: true,
        leased: false,
        inflight: false,
        rotations: round,
      })),
    );

    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    // Bounded: about 3 s of token calls to drain (the rows above prove it waited for them).
    expect(exit.at - termAt).toBeLessThan(EXIT_BOUND_MS);
    const drained = R.messages()
      .map((m) => /^shutdown drained (\d+) refresh\(es\) in flight in (\d+) ms(.*)$/.exec(m))
      .filter((m) => m !== null);
    expect(drained).toHaveLength(1);
    const [, count, , rest] = drained[0]!;
    // The two aborted ones for sure; the two open ones unless they finished before SIGTERM was handled.
    expect(Number(count)).toBeGreaterThanOrEqual(2);
    expect(Number(count)).toBeLessThanOrEqual(4);
    expect(rest).toBe(''); // nothing "still running" when the bound hit
    expect(R.messages().filter((m) => /could not be stored|not stored|may need reconnecting/.test(m))).toEqual([]);

    expect(await Promise.all(aborted)).toEqual(['AbortError', 'AbortError']);
    expect(await Promise.all(open)).toEqual([t.openR1, t.openR2, t.openO1, t.openO2].map((tenant) => [tenant.id, 200]));
    // Its refresh would have started after shutdown began: refused (RefreshShutdownError), retryable.
    expect(await late).toEqual({ status: 503, retryAfter: '1', error: 'quickbooks_unavailable' });

    // 5. R's replacement; every tenant works on the new pair (the late and idle ones refresh now).
    const restarted = await replacement;
    await restarted.ready;
    expect(await companyInfoForAll([restarted, O])).toEqual(all().map((tenant) => [tenant.id, 200, true]));
    for (const tenant of all()) {
      expect({ tenant: tenant.id, rotations: grantOf(tenant).rotations, supersededUses: grantOf(tenant).supersededUses }).toEqual({
        tenant: tenant.id,
        rotations: round,
        supersededUses: 0,
      });
    }
    expect(stats().supersededRefreshTokenUses).toBe(0);
  }

  it('rolls replica A: exits 0 after draining, the refreshes that outlived their requests are stored, the restart serves every tenant', async () => {
    await roll('A', 1);
  }, 60_000);

  it('rolls replica B the same way', async () => {
    await roll('B', 2);
  }, 60_000);

  it('after the roll: every connection active with Intuit’s current refresh token, 0 superseded uses, company-info works everywhere', async () => {
    for (const t of all()) {
      const row = await stored(t);
      const grant = grantOf(t);
      expect({
        tenant: t.id,
        status: row.status,
        current: row.refreshToken === grant.current.value,
        supersededUses: grant.supersededUses,
        grantStatus: grant.status,
      }).toEqual({
        tenant: t.id,
        status: 'active',
        current: true,
        supersededUses: 0,
        grantStatus: 'active',
      });
    }
    const s = stats();
    expect({
      superseded: s.supersededRefreshTokenUses,
      invalidGrants: s.invalidGrants,
      maxConcurrentPerToken: s.concurrentRefreshesMaxPerToken,
    }).toEqual({
      superseded: 0,
      invalidGrants: 0,
      maxConcurrentPerToken: 1,
    });
    // Both replicas of the new generation answer for every tenant.
    expect(await companyInfoForAll([replica('A')])).toEqual(all().map((t) => [t.id, 200, true]));
    expect(await companyInfoForAll([replica('B')])).toEqual(all().map((t) => [t.id, 200, true]));
    // And they stop cleanly too, promptly: nothing in flight, so no drain line.
    const exits = await Promise.all(
      (['A', 'B'] as const).map(async (slot) => {
        const r = replica(slot);
        const termAt = r.sigterm();
        const e = await r.exited;
        return {
          replica: r.name,
          code: e.code,
          signal: e.signal,
          prompt: e.at - termAt < EXIT_BOUND_MS,
          drainLine: r.messages().some((m) => m.startsWith('shutdown drained')),
        };
      }),
    );
    expect(exits).toEqual(
      (['A', 'B'] as const).map((slot) => ({ replica: replica(slot).name, code: 0, signal: null, prompt: true, drainLine: false })),
    );
  });

  it('no replica logged a token, code, state, API key or secret', () => {
    const secrets: Record<string, string> = { clientSecret, stateSecret, cookieSecret, encryptionKey: keyRing.split(':')[1] };
    for (const t of all()) secrets[`apiKey ${t.id}`] = t.key;
    oauthSecrets.forEach((s, i) => (secrets[`oauth #${i}`] = s));
    let n = 0;
    for (const token of emulator.state.store.refreshTokens.keys()) secrets[`refresh token #${n++}`] = token;
    for (const token of emulator.state.store.accessTokens.keys()) secrets[`access token #${n++}`] = token;
    expect(n).toBeGreaterThan(all().length * 4);
    const text = everyReplica.map((r) => r.text()).join('\n');
    expect(everyReplica).toHaveLength(4);
    expect(text.length).toBeGreaterThan(1000);
    expect(findLeaks(text, secrets)).toEqual([]);
  });
});
