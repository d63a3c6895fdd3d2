import type { RefreshSignal } from '../events/refresh-signal';
import { Test } from '@nestjs/testing';
import { register } from 'prom-client';
import { RefreshStatus } from '../auth/refresh/refresh-status.service';
import type { StorageStats } from '../auth/storage/token-storage.interface';
import { AuthEventsPublisher } from '../events/auth-events.publisher';
import { StorageStatsCache } from './storage-stats.cache';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../quickbooks-auth.constants';
import { UndecryptableConnections } from '../auth/undecryptable-connections.service';
import { QuickBooksMetric } from './quickbooks-metrics.constants';
import { quickBooksMetricProviders } from './quickbooks-metrics.providers';
import { apiGovernorMetricProviders } from '../governor/api-governor-metrics.providers';
import { createTenantLabeler } from './tenant-labeler';

const NOW = 1_800_000_000_000;
const base = { tenantId: 'tenant-secret-id', realmId: '9130000000001', correlationId: 'cid-1', intuitTid: 'tid-1', at: new Date(NOW) };

describe('QuickBooksMetricsService', () => {
  // Producers reach metrics only through the publisher's internal signal.
  const observer = (call: { grantType: string; status: number | null; latencyMs: number }) =>
    publisher.signal({ kind: 'token_call', ...call });
  const signal = (s: RefreshSignal) => publisher.signal({ kind: 'refresh_protocol', signal: s });
  const busy = (trigger: 'on_demand') => signal({ kind: 'lease_busy', trigger });
  let publisher: AuthEventsPublisher;
  let statsImpl: () => Promise<StorageStats>;
  let status: RefreshStatus;
  let close: () => Promise<void>;
  let tenantLabel: ((tenantId: string) => string) | null;
  let undecryptable: UndecryptableConnections;

  beforeEach(async () => {
    register.resetMetrics();
    tenantLabel = null;
    statsImpl = async () => ({
      byStatus: { active: 3, reauth_pending: 0, needs_reauth: 1, revoke_pending: 0, revoked: 0 },
      accessExpiringSoon: 1,
      accessExpired: 0,
      soonestAccessExpiry: new Date(NOW + 120_000),
      soonestRefreshExpiry: new Date(NOW + 86_400_000),
      staleLeases: 0,
    });
    const moduleRef = await Test.createTestingModule({
      providers: [
        ...quickBooksMetricProviders,
        ...apiGovernorMetricProviders,
        AuthEventsPublisher,
        RefreshStatus,
        UndecryptableConnections,
        { provide: QUICKBOOKS_TOKEN_STORAGE, useValue: { kind: 'memory' } },
        {
          provide: QUICKBOOKS_AUTH_RESOLVED_OPTIONS,
          useValue: {
            hashRealmIdsInLogs: false,
            clock: { now: () => NOW },
            leaseTtlMs: 90_000,
            scheduler: { tickSeconds: 30 },
            get metricsTenantLabel() {
              return tenantLabel;
            },
          },
        },
        { provide: StorageStatsCache, useValue: { get: async () => ({ stats: await statsImpl(), takenAt: NOW }) } },
      ],
    })
      .setLogger({ log: () => undefined, error: () => undefined, warn: () => undefined, debug: () => undefined, verbose: () => undefined })
      .compile();
    await moduleRef.init();
    publisher = moduleRef.get(AuthEventsPublisher);
    status = moduleRef.get(RefreshStatus);
    undecryptable = moduleRef.get(UndecryptableConnections);
    close = () => moduleRef.close();
  });

  afterEach(() => close());

  const text = () => register.metrics();

  it('counts reconnect warnings by horizon (refresh_hard with a horizon only)', async () => {
    publisher.expiring({ ...base, kind: 'refresh_hard', expiresAt: new Date(NOW + 20 * 86_400_000), horizonDays: 30, reconnectUrl: null });
    publisher.expiring({ ...base, kind: 'refresh_hard', expiresAt: new Date(NOW + 5 * 86_400_000), horizonDays: 7, reconnectUrl: null });
    publisher.expiring({ ...base, kind: 'refresh', expiresAt: new Date(NOW + 86_400_000) });
    const out = await text();
    expect(out).toContain('quickbooks_reconnect_warnings_total{horizon_days="30"} 1');
    expect(out).toContain('quickbooks_reconnect_warnings_total{horizon_days="7"} 1');
    expect(out).not.toMatch(/quickbooks_reconnect_warnings_total\{horizon_days="(undefined|)"\}/);
  });

  it('counts refresh outcomes with bounded labels and no tenant or realm', async () => {
    publisher.refreshed({
      ...base,
      rotated: true,
      trigger: 'scheduled',
      accessTokenExpiresAt: new Date(),
      refreshTokenExpiresAt: new Date(),
      latencyMs: 250,
    });
    publisher.refreshFailed({
      ...base,
      trigger: 'on_demand',
      reason: 'server_error',
      httpStatus: 503,
      failureCount: 1,
      nextAttemptAt: null,
    });
    publisher.refreshFailed({
      ...base,
      trigger: 'on_demand',
      reason: 'weird_error_from_a_bad_server',
      httpStatus: 400,
      failureCount: 2,
      nextAttemptAt: null,
    });
    publisher.reauthRequired({ ...base, reason: 'invalid_grant', reconnectUrl: null });
    publisher.expiring({ ...base, kind: 'refresh_hard', expiresAt: new Date(NOW + 86_400_000) });
    const out = await text();
    expect(out).toContain('quickbooks_token_expiry_warnings_total{kind="refresh_hard"} 1');
    expect(out).toContain('quickbooks_token_refresh_total{outcome="success",reason="rotated",trigger="scheduled"} 1');
    expect(out).toContain('quickbooks_token_refresh_total{outcome="failure",reason="server_error",trigger="on_demand"} 1');
    expect(out).toContain('quickbooks_token_refresh_total{outcome="failure",reason="other",trigger="on_demand"} 1');
    expect(out).toContain('quickbooks_token_refresh_total{outcome="reauth_required",reason="invalid_grant",trigger="unknown"} 1');
    expect(out).toContain('quickbooks_token_refresh_duration_seconds_count{trigger="scheduled"} 1');
    expect(out).toContain('quickbooks_auth_events_total{event="refresh_failed"} 2');
    expect(out).not.toContain('tenant-secret-id');
    expect(out).not.toContain(base.realmId);
  });

  it('per-tenant events only when opted in, for the chosen tenants, "other" for the rest', async () => {
    publisher.reauthRequired({ ...base, tenantId: 'acme', reason: 'invalid_grant', reconnectUrl: null });
    expect(await text()).not.toMatch(/^quickbooks_tenant_events_total\{/m);
    tenantLabel = createTenantLabeler(['acme'], 50);
    publisher.reauthRequired({ ...base, tenantId: 'acme', reason: 'invalid_grant', reconnectUrl: null });
    publisher.refreshFailed({
      ...base,
      trigger: 'scheduled',
      reason: 'server_error',
      httpStatus: 503,
      failureCount: 1,
      nextAttemptAt: null,
    });
    publisher.refreshFailed({
      ...base,
      tenantId: 'tenant-2',
      trigger: 'scheduled',
      reason: 'server_error',
      httpStatus: 503,
      failureCount: 1,
      nextAttemptAt: null,
    });
    const out = await text();
    expect(out).toContain('quickbooks_tenant_events_total{tenant="acme",event="reauth_required"} 1');
    expect(out).toContain('quickbooks_tenant_events_total{tenant="other",event="refresh_failed"} 2');
    expect(out).not.toContain('tenant-secret-id');
    expect(out).not.toContain(base.realmId);
  });

  it('counts token-endpoint calls by grant and status', async () => {
    observer({ grantType: 'refresh_token', status: 200, latencyMs: 10 });
    observer({ grantType: 'refresh_token', status: null, latencyMs: 10 });
    observer({ grantType: 'authorization_code', status: 400, latencyMs: 10 });
    busy('on_demand');
    const out = await text();
    expect(out).toContain('quickbooks_token_refresh_lease_busy_total{trigger="on_demand"} 1');
    expect(out).toContain('quickbooks_token_endpoint_requests_total{grant_type="refresh_token",status="200"} 1');
    expect(out).toContain('quickbooks_token_endpoint_requests_total{grant_type="refresh_token",status="none"} 1');
    expect(out).toContain('quickbooks_token_endpoint_requests_total{grant_type="authorization_code",status="400"} 1');
  });

  it('counts refresh-protocol safety events, never a rotation (ids only)', async () => {
    const ref = { tenantId: base.tenantId, realmId: base.realmId };
    signal({ kind: 'send_refused', ref, reason: 'lease_lost' });
    signal({ kind: 'send_refused', ref, reason: 'moved' });
    signal({ kind: 'reauth_parked', ref });
    signal({ kind: 'rotation_received', ref, sentFingerprint: 'a', newFingerprint: 'b' });
    const out = await text();
    expect(out).toContain('quickbooks_refresh_protocol_events_total{event="send_refused"} 2');
    expect(out).toContain('quickbooks_refresh_protocol_events_total{event="reauth_parked"} 1');
    expect(out).not.toContain('rotation_received');
    expect(out).not.toContain(base.tenantId);
  });

  it('fills gauges on scrape from RefreshStatus and storage stats', async () => {
    status.breakerState = 'open';
    status.schedulerEnabled = true;
    status.lastTickAt = Date.now();
    status.lastTickLagMs = 1500;
    const out = await text();
    expect(out).toContain('quickbooks_circuit_breaker_state{state="open"} 1');
    expect(out).toContain('quickbooks_circuit_breaker_state{state="closed"} 0');
    expect(out).toContain('quickbooks_connections{status="needs_reauth"} 1');
    expect(out).toContain('quickbooks_access_tokens_expiring_soon 1');
    expect(out).toContain('quickbooks_access_token_soonest_expiry_seconds 120');
    expect(out).toContain('quickbooks_refresh_token_soonest_expiry_seconds 86400');
    expect(out).toContain('quickbooks_scheduler_lag_seconds 1.5');
    expect(out).toContain('quickbooks_scheduler_healthy 1');
    expect(out).toContain('quickbooks_storage_up 1');
  });

  it('counts undecryptable rows by operation and gauges distinct connections, naming none', async () => {
    expect(await text()).toContain('quickbooks_undecryptable_connections 0');
    const row = { tenantId: base.tenantId, realmId: base.realmId, reason: 'authentication failed' };
    undecryptable.report(row, 'claim');
    undecryptable.report(row, 'claim');
    undecryptable.report(row, 'read');
    undecryptable.report({ ...row, realmId: '9130000000002' }, 'list');
    let out = await text();
    expect(out).toContain('quickbooks_undecryptable_rows_total{operation="claim"} 2');
    expect(out).toContain('quickbooks_undecryptable_rows_total{operation="read"} 1');
    expect(out).toContain('quickbooks_undecryptable_rows_total{operation="list"} 1');
    expect(out).toContain('quickbooks_undecryptable_connections 2');
    expect(out).not.toContain(base.tenantId);
    expect(out).not.toContain(base.realmId);
    // Reconnected: repaired, no longer counted.
    publisher.connected({ ...base, reconnected: true });
    out = await text();
    expect(out).toContain('quickbooks_undecryptable_connections 1');
  });

  it('drops store-wide gauges and reports storage down when stats fail', async () => {
    statsImpl = async () => Promise.reject(new Error('down'));
    const out = await text();
    expect(out).toContain('quickbooks_storage_up 0');
    expect(out).not.toMatch(/^quickbooks_connections\{/m);
    expect(Object.values(QuickBooksMetric).every((name) => out.includes(`# TYPE ${name} `))).toBe(true);
  });
});
