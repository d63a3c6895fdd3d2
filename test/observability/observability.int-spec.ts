import request from 'supertest';
import { QuickBooksMetric, ReauthorizationRequiredError, type ConnectionRef } from '@quickbooks-auth/nestjs';
import { findLeaks } from '../support/log-capture';
import { startObservabilityApp, type ObservabilityApp } from './observability-app';
import { checkQuickBooksMetrics, promtool } from './promtool';

const HOUR = 3600;
const LIFECYCLE = /^(connected|reconnected|refreshed|refresh failed|reauthorization required|disconnected)\b/;

/**
 * The observability contract against the emulator, in a host app wired as docs/monitoring.md
 * says: lifecycle log lines carry correlation ids, nothing secret reaches any output (I5),
 * /health/quickbooks works as a readiness probe and /metrics passes promtool.
 */
describe('observability (nestjs-pino + Prometheus + Terminus host)', () => {
  let o: ObservabilityApp;
  const secrets: Record<string, string> = {};
  const responses: string[] = [];
  const realms: string[] = [];

  const remember = async (ref: ConnectionRef) => {
    const c = await o.storage.get(ref);
    if (c) {
      secrets[`access:${ref.realmId}:${c.version}`] = c.accessToken;
      secrets[`refresh:${ref.realmId}:${c.version}`] = c.refreshToken;
    }
  };

  /** Connect through the host's HTTP callback route, so pino-http logs the real callback URL. */
  const connectOverHttp = async (tenantId: string): Promise<ConnectionRef> => {
    const { url } = await o.connect.createAuthorizeUrl({ tenantId });
    o.emulator.state.setAutoApprove(true);
    const res = await fetch(url, { redirect: 'manual' });
    const query = Object.fromEntries(new URL(res.headers.get('location')!).searchParams);
    secrets[`code:${Object.keys(secrets).length}`] = query.code;
    secrets[`state:${Object.keys(secrets).length}`] = query.state;
    const cb = await request(o.app.getHttpServer()).get('/quickbooks/callback').query(query).expect(200);
    responses.push(cb.text);
    const ref = { tenantId, realmId: (cb.body as { realmId: string }).realmId };
    realms.push(ref.realmId);
    await remember(ref);
    return ref;
  };

  beforeAll(async () => {
    o = await startObservabilityApp();
    o.nest.tapProcessOutput();
    secrets.clientSecret = o.options.clientSecret;
    secrets.stateSecret = o.options.stateSecret;
    for (const [i, part] of String(o.options.encryptionKeys).split(',').entries()) secrets[`key${i}`] = part.split(':')[1];

    // connect → use → refresh → rotation → 401 retry → transient failure → invalid_grant → disconnect
    const ref = await connectOverHttp('tenant-obs');
    const token = await o.tokens.getAccessToken(ref);
    responses.push((await request(o.app.getHttpServer()).get('/quickbooks/ping').set('Authorization', `Bearer ${token}`).expect(200)).text);
    o.emulator.state.clock.advance(HOUR - 200);
    await o.tokens.getAccessToken(ref);
    await remember(ref);
    o.emulator.state.clock.advance(25 * HOUR);
    // Another replica holds the lease: the caller finds it busy, waits, then refreshes itself.
    const held = (await o.storage.acquireLease(ref, 'other-replica#1', 60_000))!;
    const waiting = o.tokens.getAccessToken(ref);
    setTimeout(() => void o.storage.releaseLease(ref, { owner: 'other-replica#1', generation: held.leaseGeneration }), 300);
    await waiting;
    await remember(ref);
    let calls = 0;
    await o.tokens.withAccessToken(ref, async () => {
      if (++calls === 1) throw Object.assign(new Error('Unauthorized'), { response: { status: 401 } });
    });
    await remember(ref);
    o.emulator.state.faults.add({ endpoint: 'token', type: 'status', status: 503 });
    o.emulator.state.clock.advance(HOUR - 120);
    await o.tokens.getAccessToken(ref).catch(() => undefined);
    o.emulator.state.faults.clear();
    o.emulator.state.clock.advance(HOUR);
    await o.tokens.getAccessToken(ref);
    await remember(ref);

    const doomed = await connectOverHttp('tenant-obs');
    o.emulator.state.revokeRealm(doomed.realmId);
    o.emulator.state.clock.advance(2 * HOUR);
    await expect(o.tokens.getAccessToken(doomed)).rejects.toBeInstanceOf(ReauthorizationRequiredError);

    await expect(o.connect.disconnect(ref)).resolves.toEqual({ revokedAtIntuit: true });
  });

  afterAll(async () => {
    o?.nest.stop();
    await o?.close();
  });

  it('logs every lifecycle event with a correlation id, intuit_tid where Intuit answered, and hashed realms', () => {
    const lines = o.pino
      .records()
      .filter((r) => r.context === 'QuickBooksAuth' && typeof r.msg === 'string' && LIFECYCLE.test(r.msg))
      .map((r) => r.msg as string);
    const kinds = new Set(lines.map((l) => LIFECYCLE.exec(l)![1]));
    expect([...kinds].sort()).toEqual(['connected', 'disconnected', 'reauthorization required', 'refresh failed', 'refreshed']);
    for (const line of lines) {
      expect(line).toMatch(/ cid=[0-9a-f-]{36}\b/);
      expect(line).toMatch(/ realm=h:[0-9a-f]{12}\b/);
      for (const realm of realms) expect(line).not.toContain(realm);
    }
    for (const line of lines.filter((l) => /^(connected|refreshed|reauthorization required)/.test(l))) {
      expect(line).toMatch(/ intuit_tid=\S+/);
    }
  });

  it('redacts the bearer header and the callback code/state in pino-http request logs', () => {
    const reqs = o.pino.records().filter((r) => r.req && typeof r.req === 'object') as Array<{
      req: { url: string; headers: Record<string, string>; query?: Record<string, string> };
    }>;
    const ping = reqs.find((r) => r.req.url.startsWith('/quickbooks/ping'));
    const callback = reqs.find((r) => r.req.url.startsWith('/quickbooks/callback'));
    expect(ping?.req.headers.authorization).toBe('[Redacted]');
    expect(callback?.req.url).toMatch(/code=\[Redacted\]/);
    expect(callback?.req.url).toMatch(/state=\[Redacted\]/);
    expect(callback?.req.url).toMatch(/realmId=/);
  });

  it('serves /health/quickbooks as a readiness probe: 200 when working, 503 when the scheduler stalls', async () => {
    const ok = await request(o.app.getHttpServer()).get('/health/quickbooks').expect(200);
    const health = [ok.text];
    expect(ok.body.status).toBe('ok');
    expect(ok.body.info.quickbooks).toMatchObject({
      status: 'up',
      storage: { reachable: true },
      connections: { needs_reauth: 1, revoked: 1 },
    });

    const saved = { ...o.status };
    Object.assign(o.status, { schedulerEnabled: true, tickIntervalMs: 1_000, lastTickAt: Date.now() - HOUR * 1000 });
    try {
      const down = await request(o.app.getHttpServer()).get('/health/quickbooks').expect(503);
      health.push(down.text);
      expect(down.body.error.quickbooks).toMatchObject({ status: 'down', problems: ['refresh scheduler stalled'] });
    } finally {
      Object.assign(o.status, saved);
    }
    responses.push(...health);
    for (const realm of realms) expect(health.join('\n')).not.toContain(realm);
    expect(health.join('\n')).not.toContain('tenant-obs');
  });

  it('exposes every quickbooks_ metric on /metrics, with bounded labels, passing promtool check metrics', async () => {
    const res = await request(o.app.getHttpServer()).get('/metrics').expect(200);
    responses.push(res.text);
    for (const name of Object.values(QuickBooksMetric)) expect(res.text).toContain(`# TYPE ${name} `);
    expect(res.text).toMatch(/quickbooks_token_refresh_total\{outcome="success",reason="rotated",trigger="on_demand"\} 1/);
    expect(res.text).toMatch(/quickbooks_token_refresh_total\{outcome="reauth_required",reason="invalid_grant",trigger="unknown"\} 1/);
    expect(res.text).toMatch(/quickbooks_token_refresh_total\{outcome="failure",reason="server_error",trigger="on_demand"\} [1-9]/);
    expect(res.text).toMatch(/quickbooks_token_endpoint_requests_total\{grant_type="refresh_token",status="503"\} [1-9]/);
    expect(res.text).toMatch(/quickbooks_connections\{status="needs_reauth"\} 1/);
    expect(res.text).toMatch(/quickbooks_token_refresh_lease_busy_total\{trigger="on_demand"\} [1-9]/);
    for (const realm of realms) expect(res.text).not.toContain(realm);
    expect(res.text).not.toContain('tenant-obs');
    const check = checkQuickBooksMetrics(res.text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
    // The whole exposition (with the host's default process/nodejs metrics) parses too.
    expect(promtool(['check', 'metrics'], res.text).output).not.toMatch(/error while linting|text format parsing error/);
  });

  it('leaks no token, auth code, state, client secret, state secret or encryption key anywhere (I5)', () => {
    const everything = [o.pino.text(), o.nest.text(), ...responses].join('\n');
    expect(Object.keys(secrets).length).toBeGreaterThan(10);
    expect(o.pino.chunks.length).toBeGreaterThan(10);
    expect(findLeaks(everything, secrets)).toEqual([]);
  });
});
