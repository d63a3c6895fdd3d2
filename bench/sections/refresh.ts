import OAuthClient from 'intuit-oauth';
import mysql from 'mysql2/promise';
import { createScratchDatabase } from '../../test/support/mariadb';
import { BENCH_CLIENT, startModuleApp } from '../lib/module-app';
import { progress } from '../lib/progress';
import { seedThroughStorage, startBenchEmulator } from '../lib/seed';
import { inputRange, timePaired } from '../lib/paired-timing';
import { median, msSince, now, percentile, round } from '../lib/stats';
import type { BenchProfile, SectionResult } from './section';

/**
 * Two comparisons against the same emulator and the same MariaDB table:
 * - full refresh: TokenRefresher.refresh (lease UPDATE that begins the call, token call, encrypt,
 *   CAS UPDATE) vs intuit-oauth's refreshUsingToken plus one raw UPDATE, batch by batch;
 * - on demand: getAccessToken on a connection whose access token has expired (read, lease, token
 *   call, CAS) vs a hand-rolled on-demand refresh (SELECT the refresh token, refreshUsingToken,
 *   one UPDATE), timed call by call, alternating which side goes first.
 * Each comparison has its own rows, half for each side, so neither disturbs the other.
 */
export async function benchRefresh(profile: BenchProfile): Promise<SectionResult> {
  const db = await createScratchDatabase('qbbench');
  const emulator = await startBenchEmulator();
  const app = await startModuleApp({
    emulatorUrl: emulator.url,
    storage: { type: 'typeorm', url: db.url },
    clockNow: () => emulator.state.clock.now(),
    // On demand must reach storage each time (the full-refresh figure calls the refresher itself).
    options: { accessTokenCacheSeconds: 0 },
  });
  const pool = mysql.createPool({ uri: db.url, connectionLimit: 10 });
  try {
    const minted = emulator.state.mint({ clientId: BENCH_CLIENT.clientId, count: 400 });
    const refs = await seedThroughStorage(app.storage, minted, { tenantId: 'bench-refresh', now: emulator.state.clock.now() });
    const ids = new Map<string, number>();
    const [rows] = await pool.query('SELECT id, realm_id FROM quickbooks_connections');
    for (const r of rows as Array<{ id: number; realm_id: string }>) ids.set(r.realm_id, r.id);

    const client = new OAuthClient({
      environment: 'sandbox',
      clientId: BENCH_CLIENT.clientId,
      clientSecret: BENCH_CLIENT.clientSecret,
      redirectUri: BENCH_CLIENT.redirectUri,
      logging: false,
    });
    client.setAuthorizeURLs({
      authorizeEndpoint: `${emulator.url}/connect/oauth2`,
      tokenEndpoint: `${emulator.url}/oauth2/v1/tokens/bearer`,
      revokeEndpoint: `${emulator.url}/v2/oauth2/tokens/revoke`,
      userInfoEndpoint: `${emulator.url}/v1/openid_connect/userinfo`,
    });
    // The baseline keeps its own copy of each refresh token (no rotation happens within 24 h).
    const baselineRt = new Map(minted.map((m) => [m.realmId, m.refresh_token]));
    const baseline = async (i: number) => {
      const realmId = minted[i % minted.length].realmId;
      const res = await client.refreshUsingToken(baselineRt.get(realmId)!);
      const t = res.getJson() as { access_token: string; refresh_token: string; expires_in: number };
      baselineRt.set(realmId, t.refresh_token);
      await pool.execute(
        'UPDATE quickbooks_connections SET access_token_enc = ?, refresh_token_enc = ?, access_token_expires_at = ?, updated_at = ? WHERE id = ?',
        [t.access_token, t.refresh_token, Date.now() + t.expires_in * 1000, Date.now(), ids.get(realmId) ?? 0],
      );
    };
    // The module's rows and the baseline's rows are disjoint halves so neither disturbs the other;
    // rows [0, 2 * half) are the full-refresh figure's, the rest the on-demand figure's.
    const half = Math.floor(refs.length / 4);
    const viaModule = async (i: number) => {
      const outcome = await app.refresher.refresh(refs[half + (i % half)], { trigger: 'scheduled', isFresh: () => false });
      if (outcome.kind !== 'refreshed') throw new Error(`refresh outcome ${outcome.kind}`);
    };
    const base = (i: number) => baseline(i % half);
    const timeEach = async (fn: (i: number) => Promise<void>, n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = now();
        await fn(i);
        out.push(msSince(t));
      }
      return out;
    };
    await timeEach(base, 50);
    await timeEach(viaModule, 50);
    const rounds: Array<{ baseP50: number; p50: number; baseP99: number; p99: number }> = [];
    for (let r = 0; r < profile.repeats; r++) {
      const b = await timeEach(base, profile.refreshIterations);
      const s = await timeEach(viaModule, profile.refreshIterations);
      rounds.push({ baseP50: percentile(b, 50), p50: percentile(s, 50), baseP99: percentile(b, 99), p99: percentile(s, 99) });
      progress(
        `refresh: repeat ${r + 1}/${profile.repeats}: module p50 ${round(rounds[r].p50)} ms, intuit-oauth + UPDATE p50 ${round(rounds[r].baseP50)} ms`,
      );
    }
    const ratio = median(rounds.map((x) => x.p50 / x.baseP50));
    // The same comparison with a token endpoint as slow as a fast Intuit (research: 200-1000 ms
    // measured; 100 ms is conservative): the module's extra statements against a real round trip.
    emulator.state.faults.add({ endpoint: 'token', type: 'latency', latencyMs: 100 });
    const slowRounds: Array<{ baseP50: number; p50: number }> = [];
    for (let r = 0; r < Math.min(3, profile.repeats); r++) {
      const b = await timeEach(base, 20);
      const s = await timeEach(viaModule, 20);
      slowRounds.push({ baseP50: percentile(b, 50), p50: percentile(s, 50) });
      progress(
        `refresh at 100 ms latency: repeat ${r + 1}: module p50 ${round(slowRounds[r].p50)} ms, intuit-oauth + UPDATE p50 ${round(slowRounds[r].baseP50)} ms`,
      );
    }
    emulator.state.faults.clear();
    const slowRatio = median(slowRounds.map((x) => x.p50 / x.baseP50));

    // On demand: the module's own path (getAccessToken on an expired token) against what a
    // hand-rolled integration does at that moment (it must read the refresh token too).
    const onDemandBase = refs.slice(2 * half, 3 * half);
    const onDemandRefs = refs.slice(3 * half, 4 * half);
    // The hand-rolled table keeps its refresh token in plain text (what the baseline reads back).
    for (const ref of onDemandBase) {
      await pool.execute('UPDATE quickbooks_connections SET refresh_token_enc = ? WHERE id = ?', [
        baselineRt.get(ref.realmId)!,
        ids.get(ref.realmId) ?? 0,
      ]);
    }
    const handRolled = async (i: number) => {
      const ref = onDemandBase[i % half];
      const [rows] = await pool.execute('SELECT id, refresh_token_enc FROM quickbooks_connections WHERE tenant_id = ? AND realm_id = ?', [
        ref.tenantId,
        ref.realmId,
      ]);
      const row = (rows as Array<{ id: number; refresh_token_enc: string }>)[0];
      const res = await client.refreshUsingToken(String(row.refresh_token_enc));
      const t = res.getJson() as { access_token: string; refresh_token: string; expires_in: number };
      await pool.execute(
        'UPDATE quickbooks_connections SET access_token_enc = ?, refresh_token_enc = ?, access_token_expires_at = ?, updated_at = ? WHERE id = ?',
        [t.access_token, t.refresh_token, Date.now() + t.expires_in * 1000, Date.now(), row.id],
      );
    };
    const onDemand = async (i: number) => {
      const ref = onDemandRefs[i % half];
      const token = await app.tokens.getAccessTokenDetails(ref);
      if (token.expiresAt.getTime() <= emulator.state.clock.now()) throw new Error('on-demand refresh served an expired token');
    };
    // Untimed: the module's row gets an expired access token again before each of its calls.
    const expire = (i: number) =>
      pool.execute('UPDATE quickbooks_connections SET access_token_expires_at = ? WHERE id = ?', [
        emulator.state.clock.now() - 1000,
        ids.get(onDemandRefs[i % half].realmId) ?? 0,
      ]);
    // Both sides call by call, alternating which goes first, the module's row expired before each pair.
    const timeBoth = (n: number, offset: number) => timePaired(inputRange(n, offset), handRolled, onDemand, expire);
    await timeBoth(50, 0);
    const onDemandRounds: Array<{ baseP50: number; p50: number; baseP99: number; p99: number }> = [];
    for (let r = 0; r < profile.repeats; r++) {
      const { base, subj } = await timeBoth(profile.refreshIterations, r * 7);
      onDemandRounds.push({
        baseP50: percentile(base, 50),
        p50: percentile(subj, 50),
        baseP99: percentile(base, 99),
        p99: percentile(subj, 99),
      });
      progress(
        `refresh on demand: repeat ${r + 1}/${profile.repeats}: getAccessToken p50 ${round(onDemandRounds[r].p50)} ms, SELECT + intuit-oauth + UPDATE p50 ${round(onDemandRounds[r].baseP50)} ms`,
      );
    }
    const onDemandRatio = median(onDemandRounds.map((x) => x.p50 / x.baseP50));
    return {
      figures: [
        {
          section: 'refresh',
          metric: 'full refresh p50 (lease, call, encrypt, CAS)',
          value: median(rounds.map((x) => x.p50)),
          unit: 'ms',
          baseline: median(rounds.map((x) => x.baseP50)),
          baselineLabel: 'intuit-oauth refreshUsingToken + 1 UPDATE',
          ratio,
          target: '≤ 1.3x',
          met: ratio <= 1.3,
        },
        {
          section: 'refresh',
          metric: 'full refresh p50, token endpoint at 100 ms',
          value: median(slowRounds.map((x) => x.p50)),
          unit: 'ms',
          baseline: median(slowRounds.map((x) => x.baseP50)),
          baselineLabel: 'intuit-oauth refreshUsingToken + 1 UPDATE, same latency',
          ratio: slowRatio,
          target: '≤ 1.3x',
          met: slowRatio <= 1.3,
        },
        {
          section: 'refresh',
          metric: 'on-demand refresh p50 (getAccessToken, expired token: read, lease, call, CAS)',
          value: median(onDemandRounds.map((x) => x.p50)),
          unit: 'ms',
          baseline: median(onDemandRounds.map((x) => x.baseP50)),
          baselineLabel: 'SELECT + intuit-oauth refreshUsingToken + 1 UPDATE',
          ratio: onDemandRatio,
          target: '≤ 1.6x',
          met: onDemandRatio <= 1.6,
        },
        {
          section: 'refresh',
          metric: 'on-demand refresh p99',
          value: median(onDemandRounds.map((x) => x.p99)),
          unit: 'ms',
          baseline: median(onDemandRounds.map((x) => x.baseP99)),
          baselineLabel: 'baseline p99',
          ratio: median(onDemandRounds.map((x) => x.p99 / x.baseP99)),
        },
        {
          section: 'refresh',
          metric: 'full refresh p99',
          value: median(rounds.map((x) => x.p99)),
          unit: 'ms',
          baseline: median(rounds.map((x) => x.baseP99)),
          baselineLabel: 'baseline p99',
          ratio: median(rounds.map((x) => x.p99 / x.baseP99)),
        },
      ],
      detail: { refreshesPerRepeat: profile.refreshIterations, rounds, slowRounds, onDemandRounds },
    };
  } finally {
    await pool.end();
    await app.close();
    await emulator.close();
    await db.drop();
  }
}
