import {
  ConnectionNotFoundError,
  InvalidStateError,
  QuickBooksUnavailableError,
  ReauthorizationRequiredError,
  type StorageOptions,
} from '@quickbooks-auth/nestjs';
import { findLeaks } from '../support/log-capture';
import { approveAtEmulator, connectTenant, startHarness, type Harness } from '../support/quickbooks-harness';

const HOUR = 3600;

/**
 * The core lifecycle against the emulator over real HTTP, for one storage backend:
 * connect, refresh, rotation, single-flight, 401 retry, state attacks, tenant isolation,
 * invalid_grant, disconnect, and a canary scan of everything logged (I5).
 */
export function describeTokenLifecycle(
  name: string,
  storageFactory: () => Promise<{ storage: StorageOptions; cleanup: () => Promise<void>; rawDump?: () => Promise<string> }>,
): void {
  describe(`token lifecycle on ${name}`, () => {
    let h: Harness;
    let cleanup: () => Promise<void>;
    let rawDump: (() => Promise<string>) | undefined;
    const seenSecrets: Record<string, string> = {};

    beforeAll(async () => {
      const s = await storageFactory();
      cleanup = s.cleanup;
      rawDump = s.rawDump;
      h = await startHarness({ storage: s.storage });
      h.logs.tapProcessOutput();
    });

    afterAll(async () => {
      h?.logs.stop();
      await h?.close();
      await cleanup?.();
    });

    const remember = async (tenantId: string, realmId: string) => {
      const c = await h.storage.get({ tenantId, realmId });
      if (c) {
        seenSecrets[`access:${realmId}:${c.version}`] = c.accessToken;
        seenSecrets[`refresh:${realmId}:${c.version}`] = c.refreshToken;
      }
    };

    it('connects through the full flow and lists the connection without tokens', async () => {
      const { url, state } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-a' });
      expect(new URL(url).searchParams.get('state')).toBe(state);
      const query = await approveAtEmulator(h, url);
      seenSecrets.code = query.code;
      const result = await h.connect.handleCallback({ query, expectedTenantId: 'tenant-a' });
      expect(result.reconnected).toBe(false);
      expect(result.connection.status).toBe('active');
      const list = await h.tokens.listConnections('tenant-a');
      expect(list).toHaveLength(1);
      expect(JSON.stringify(list)).not.toMatch(/accessToken"|refreshToken"/);
      await remember('tenant-a', result.connection.realmId);
      // The token works at the QBO API.
      const token = await h.tokens.getAccessToken({ tenantId: 'tenant-a', realmId: result.connection.realmId });
      const res = await fetch(`${h.emulator.url}/v3/company/${result.connection.realmId}/companyinfo/${result.connection.realmId}`, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      });
      expect(res.status).toBe(200);
    });

    it('refreshes before expiry and follows a refresh-token rotation across a 24 h jump', async () => {
      const realmId = await connectTenant(h, 'tenant-rot');
      const ref = { tenantId: 'tenant-rot', realmId };
      const before = (await h.storage.get(ref))!;
      // Inside the minimum validity window: the next call refreshes; same RT within 24 h.
      h.emulator.state.clock.advance(HOUR - 200);
      const t1 = await h.tokens.getAccessToken(ref);
      const afterFirst = (await h.storage.get(ref))!;
      expect(t1).not.toBe(before.accessToken);
      expect(afterFirst.refreshToken).toBe(before.refreshToken);
      // Past 24 h: Intuit rotates the refresh token; the module stores the new one.
      h.emulator.state.clock.advance(25 * HOUR);
      const t2 = await h.tokens.getAccessToken(ref);
      const afterRotation = (await h.storage.get(ref))!;
      expect(t2).not.toBe(t1);
      expect(afterRotation.refreshToken).not.toBe(before.refreshToken);
      expect(afterRotation.accessTokenExpiresAt.getTime()).toBeGreaterThan(h.emulator.state.clock.now() + 3000_000);
      const summary = h.emulator.state.realmSummary(realmId)!;
      expect(summary.rotations).toBe(1);
      expect(summary.supersededUses).toBe(0);
      await remember(ref.tenantId, realmId);
    });

    it('1,000 concurrent callers on an expired token cause exactly one token call', async () => {
      const realmId = await connectTenant(h, 'tenant-stampede');
      const ref = { tenantId: 'tenant-stampede', realmId };
      h.emulator.state.clock.advance(2 * HOUR);
      const before = h.emulator.state.statsSnapshot().calls.byRealm[realmId]?.refresh_token ?? 0;
      const tokens = await Promise.all(Array.from({ length: 1000 }, () => h.tokens.getAccessToken(ref)));
      const after = h.emulator.state.statsSnapshot().calls.byRealm[realmId]?.refresh_token ?? 0;
      expect(after - before).toBe(1);
      expect(new Set(tokens).size).toBe(1);
      expect(h.emulator.state.statsSnapshot().concurrentRefreshesMaxPerToken).toBeLessThanOrEqual(1);
      await remember(ref.tenantId, realmId);
    });

    it('withAccessToken forces one refresh and retries once on a 401', async () => {
      const realmId = await connectTenant(h, 'tenant-401');
      const ref = { tenantId: 'tenant-401', realmId };
      const seen: string[] = [];
      const result = await h.tokens.withAccessToken(ref, async (token) => {
        seen.push(token);
        if (seen.length === 1) throw Object.assign(new Error('Unauthorized'), { response: { status: 401 } });
        return 'ok';
      });
      expect(result).toBe('ok');
      expect(seen).toHaveLength(2);
      expect(seen[1]).not.toBe(seen[0]);
      // A second 401 is the caller's problem: no loop.
      await expect(
        h.tokens.withAccessToken(ref, async () => {
          throw Object.assign(new Error('Unauthorized'), { status: 401 });
        }),
      ).rejects.toThrow('Unauthorized');
      await remember(ref.tenantId, realmId);
    });

    it('rejects state replay, forgery, expiry, another session and another tenant, storing nothing', async () => {
      const tokenCalls = () => h.emulator.state.statsSnapshot().calls.byGrant.authorization_code;
      // Replay: the same callback twice.
      const { url } = await h.connect.createAuthorizeUrl({ tenantId: 'tenant-state' });
      const query = await approveAtEmulator(h, url);
      await h.connect.handleCallback({ query });
      const callsAfterFirst = tokenCalls();
      await expect(h.connect.handleCallback({ query })).rejects.toBeInstanceOf(InvalidStateError);
      expect(tokenCalls()).toBe(callsAfterFirst);
      // Forgery: a state we did not sign, or one with a changed tenant.
      const fresh = await approveAtEmulator(h, (await h.connect.createAuthorizeUrl({ tenantId: 'tenant-state' })).url);
      const [body, sig] = fresh.state.split('.');
      const forgedBody = Buffer.from(Buffer.from(body, 'base64url').toString().replace('tenant-state', 'tenant-evil')).toString(
        'base64url',
      );
      await expect(h.connect.handleCallback({ query: { ...fresh, state: `${forgedBody}.${sig}` } })).rejects.toBeInstanceOf(
        InvalidStateError,
      );
      await expect(h.connect.handleCallback({ query: { ...fresh, state: 'garbage' } })).rejects.toBeInstanceOf(InvalidStateError);
      await expect(h.connect.handleCallback({ query: { ...fresh, state: undefined } })).rejects.toBeInstanceOf(InvalidStateError);
      // Another tenant's authenticated request presenting this state.
      await expect(h.connect.handleCallback({ query: fresh, expectedTenantId: 'tenant-other' })).rejects.toBeInstanceOf(InvalidStateError);
      // Session binding.
      const bound = await approveAtEmulator(h, (await h.connect.createAuthorizeUrl({ tenantId: 'tenant-state', sessionId: 'sess-1' })).url);
      await expect(h.connect.handleCallback({ query: bound, sessionId: 'sess-2' })).rejects.toBeInstanceOf(InvalidStateError);
      // Expiry: about 10 minutes.
      const late = await approveAtEmulator(h, (await h.connect.createAuthorizeUrl({ tenantId: 'tenant-state' })).url);
      h.emulator.state.clock.advance(11 * 60);
      await expect(h.connect.handleCallback({ query: late })).rejects.toThrow(/expired/);
      expect(tokenCalls()).toBe(callsAfterFirst);
      expect(await h.tokens.listConnections('tenant-evil')).toHaveLength(0);
      expect(await h.tokens.listConnections('tenant-other')).toHaveLength(0);
    });

    it('keeps tenants apart (I7)', async () => {
      const realmId = await connectTenant(h, 'tenant-x');
      const other = { tenantId: 'tenant-y', realmId };
      await expect(h.tokens.getAccessToken(other)).rejects.toBeInstanceOf(ConnectionNotFoundError);
      await expect(h.tokens.getConnection(other)).rejects.toBeInstanceOf(ConnectionNotFoundError);
      await expect(h.connect.disconnect(other)).rejects.toBeInstanceOf(ConnectionNotFoundError);
      expect(await h.tokens.listConnections('tenant-y')).toHaveLength(0);
      expect((await h.tokens.getConnection({ tenantId: 'tenant-x', realmId })).status).toBe('active');
      await remember('tenant-x', realmId);
    });

    it('invalid_grant marks only that connection needs_reauth, with the reconnect URL; reconnect clears it', async () => {
      const dead = await connectTenant(h, 'tenant-ig');
      const alive = await connectTenant(h, 'tenant-ig');
      await remember('tenant-ig', dead);
      h.emulator.state.revokeRealm(dead);
      h.emulator.state.clock.advance(2 * HOUR);
      const err = await h.tokens.getAccessToken({ tenantId: 'tenant-ig', realmId: dead }).catch((e) => e);
      expect(err).toBeInstanceOf(ReauthorizationRequiredError);
      expect(err.reconnectUrl).toContain(dead);
      expect((await h.tokens.getConnection({ tenantId: 'tenant-ig', realmId: dead })).status).toBe('needs_reauth');
      await expect(h.tokens.getAccessToken({ tenantId: 'tenant-ig', realmId: alive })).resolves.toEqual(expect.any(String));
      // Reconnecting the same realm replaces the tokens and clears needs_reauth.
      await connectTenant(h, 'tenant-ig', dead);
      expect((await h.tokens.getConnection({ tenantId: 'tenant-ig', realmId: dead })).status).toBe('active');
      await expect(h.tokens.getAccessToken({ tenantId: 'tenant-ig', realmId: dead })).resolves.toEqual(expect.any(String));
      await remember('tenant-ig', dead);
    });

    it('a transient failure keeps the connection and serves a still-valid token', async () => {
      const realmId = await connectTenant(h, 'tenant-503');
      const ref = { tenantId: 'tenant-503', realmId };
      h.emulator.state.faults.add({ endpoint: 'token', type: 'status', status: 503 });
      try {
        // Within the min-validity window but not expired: the old token is still served.
        h.emulator.state.clock.advance(HOUR - 120);
        await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
        // Expired: a typed error, never needs_reauth.
        h.emulator.state.clock.advance(600);
        await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(QuickBooksUnavailableError);
        const c = await h.tokens.getConnection(ref);
        expect(c.status).toBe('active');
        expect(c.failureCount).toBeGreaterThan(0);
      } finally {
        h.emulator.state.faults.clear();
      }
      await expect(h.tokens.getAccessToken(ref)).resolves.toEqual(expect.any(String));
      expect((await h.tokens.getConnection(ref)).failureCount).toBe(0);
    });

    it('a refresh that comes back short-lived (slow answer or slow write) is refreshed again, never served', async () => {
      const realmId = await connectTenant(h, 'tenant-slow');
      const ref = { tenantId: 'tenant-slow', realmId };
      h.emulator.state.clock.advance(HOUR); // expired: the next call refreshes
      const calls = () => h.emulator.state.statsSnapshot().calls.byRealm[realmId]?.refresh_token ?? 0;
      const before = calls();
      h.emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 600, count: 1 });
      const pending = h.tokens.getAccessTokenDetails(ref);
      await new Promise((r) => setTimeout(r, 200));
      // While the call is out, 58 minutes pass: the token it brings back (1 h from the request)
      // has 2 minutes left, under the 5-minute minimum validity.
      h.emulator.state.clock.advance(HOUR - 120);
      const token = await pending;
      expect(token.expiresAt.getTime() - h.emulator.state.clock.now()).toBeGreaterThan(300_000);
      expect(calls() - before).toBe(2);
    });

    it('disconnect revokes at Intuit and the connection is gone for callers', async () => {
      const realmId = await connectTenant(h, 'tenant-dc');
      const ref = { tenantId: 'tenant-dc', realmId };
      await remember(ref.tenantId, realmId);
      await expect(h.connect.disconnect(ref)).resolves.toEqual({ revokedAtIntuit: true });
      expect(h.emulator.state.realmSummary(realmId)!.status).toBe('revoked');
      await expect(h.tokens.getAccessToken(ref)).rejects.toBeInstanceOf(ConnectionNotFoundError);
    });

    it('stores no token in plain, base64 or URL-encoded form', async () => {
      if (!rawDump) return expect(rawDump).toBeUndefined();
      const raw = await rawDump();
      expect(raw.length).toBeGreaterThan(100);
      expect(findLeaks(raw, seenSecrets)).toEqual([]);
    });

    it('logs no secret anywhere (canary scan, I5)', async () => {
      const secrets: Record<string, string> = { ...seenSecrets, clientSecret: h.options.clientSecret, stateSecret: h.options.stateSecret };
      for (const [i, part] of String(h.options.encryptionKeys).split(',').entries()) secrets[`key${i}`] = part.split(':')[1];
      expect(Object.keys(seenSecrets).length).toBeGreaterThan(8);
      expect(h.logs.lines.length).toBeGreaterThan(5);
      expect(findLeaks(h.logs.text(), secrets)).toEqual([]);
    });
  });
}
