import { Harness, start } from './emulator-harness';

const DAY = 86_400;

describe('Intuit emulator: refresh token rotation and expiry', () => {
  let h: Harness;

  beforeAll(async () => {
    h = new Harness(await start());
  });
  afterAll(() => h.emu.close());
  beforeEach(() => h.emu.state.reset());

  it('within 24 h: same refresh token, new access token, rolling expiry counts down', async () => {
    const c = await h.mint();
    await h.advance(3600);
    const res = await h.refresh(c.refresh_token);
    expect(res.status).toBe(200);
    expect(res.data.refresh_token).toBe(c.refresh_token);
    expect(res.data.access_token).not.toBe(c.access_token);
    expect(res.data.expires_in).toBe(3600);
    expect(res.data.x_refresh_token_expires_in).toBeLessThanOrEqual(8_726_400 - 3600);
    expect(res.data.x_refresh_token_expires_in).toBeGreaterThan(8_726_400 - 3600 - 5);
    expect(res.data.x_refresh_token_hard_expires_in).toBeUndefined();
  });

  it('after 24 h: a new refresh token, rolling expiry reset; the old one is invalid_grant and counted', async () => {
    const c = await h.mint();
    await h.advance(25 * 3600);
    const rotated = await h.refresh(c.refresh_token);
    expect(rotated.status).toBe(200);
    expect(rotated.data.refresh_token).not.toBe(c.refresh_token);
    expect(rotated.data.x_refresh_token_expires_in).toBe(8_726_400);

    const old = await h.refresh(c.refresh_token);
    expect(old.status).toBe(400);
    expect(old.data).toEqual({ error: 'invalid_grant' });

    const stats = (await h.control('GET', '/stats')).data;
    expect(stats.supersededRefreshTokenUses).toBe(1);
    expect(stats.rotations).toBe(1);
    expect(stats.tokenFates).toMatchObject({ active: 1, superseded: 1 });
    const realm = (await h.control('GET', `/realms/${c.realmId}`)).data;
    expect(realm).toMatchObject({ status: 'active', rotations: 1, supersededUses: 1, calls: { refresh_token: 2 } });
    expect(JSON.stringify(realm)).not.toContain(c.refresh_token);

    // The new token keeps working and is stable for another 24 h.
    const again = await h.refresh(rotated.data.refresh_token);
    expect(again.data.refresh_token).toBe(rotated.data.refresh_token);
  });

  it('grace window: the superseded token still refreshes and returns the new token', async () => {
    await h.control('POST', '/config', { refreshGraceSeconds: 60 });
    const c = await h.mint();
    await h.advance(DAY + 1);
    const rotated = await h.refresh(c.refresh_token);
    await h.advance(30);
    const withinGrace = await h.refresh(c.refresh_token);
    expect(withinGrace.status).toBe(200);
    expect(withinGrace.data.refresh_token).toBe(rotated.data.refresh_token);
    await h.advance(31);
    const afterGrace = await h.refresh(c.refresh_token);
    expect(afterGrace.status).toBe(400);
    expect((await h.control('GET', '/stats')).data.supersededRefreshTokenUses).toBe(2);
  });

  it('reuse detection: a superseded token revokes the whole family', async () => {
    await h.control('POST', '/config', { reuseDetection: true });
    const c = await h.mint();
    await h.advance(DAY + 1);
    const rotated = await h.refresh(c.refresh_token);
    expect((await h.refresh(c.refresh_token)).status).toBe(400);
    const current = await h.refresh(rotated.data.refresh_token);
    expect(current.status).toBe(400);
    expect(current.data.error).toBe('invalid_grant');
    expect((await h.control('GET', `/realms/${c.realmId}`)).data.status).toBe('revoked');
  });

  it('hard expiry header on request, counting down from grant creation', async () => {
    const c = await h.mint();
    await h.advance(DAY + 10);
    const res = await h.refresh(c.refresh_token, { 'x-include-refresh-token-hard-expires-in': 'true' });
    expect(res.data.x_refresh_token_hard_expires_in).toBeLessThanOrEqual(157_680_000 - DAY - 10);
    expect(res.data.x_refresh_token_hard_expires_in).toBeGreaterThan(157_680_000 - DAY - 20);
  });

  it('past the hard expiry: invalid_grant', async () => {
    await h.control('POST', '/config', { hardExpirySeconds: 2 * DAY });
    const c = await h.mint();
    await h.advance(DAY + 1);
    const mid = await h.refresh(c.refresh_token);
    expect(mid.status).toBe(200);
    await h.advance(DAY);
    expect((await h.refresh(mid.data.refresh_token)).data).toEqual({ error: 'invalid_grant' });
  });

  it('idle past the rolling expiry: invalid_grant', async () => {
    const c = await h.mint();
    await h.advance(8_726_400 + 1);
    const res = await h.refresh(c.refresh_token);
    expect(res.status).toBe(400);
    expect(res.data.error).toBe('invalid_grant');
    expect((await h.control('GET', '/stats')).data.tokenFates.expired).toBe(1);
  });

  it('unknown refresh token and another client’s token: invalid_grant', async () => {
    expect((await h.refresh('RT1-1-H0-1700000000unknown')).data).toEqual({ error: 'invalid_grant' });
    h.emu.state.registerClient({ clientId: 'other', clientSecret: 'other-secret', redirectUris: [] });
    const foreign = h.emu.state.mint({ clientId: 'other' })[0];
    expect((await h.refresh(foreign.refresh_token)).status).toBe(400);
  });

  it('configurable invalid_grant description', async () => {
    await h.control('POST', '/config', { invalidGrantDescription: 'Incorrect or invalid refresh token' });
    expect((await h.refresh('nope')).data).toEqual({ error: 'invalid_grant', error_description: 'Incorrect or invalid refresh token' });
  });

  it('configurable lifetimes', async () => {
    await h.control('POST', '/config', { accessTokenTtlSeconds: 60, refreshRotationSeconds: 10, refreshTokenTtlSeconds: 1000 });
    const c = await h.mint();
    expect(c.x_refresh_token_expires_in).toBe(1000);
    await h.advance(11);
    const res = await h.refresh(c.refresh_token);
    expect(res.data.expires_in).toBe(60);
    expect(res.data.refresh_token).not.toBe(c.refresh_token);
  });

  it('clock control API: get, advance, set', async () => {
    const before = (await h.control('GET', '/clock')).data;
    expect(before.offsetMs).toBe(0);
    const advanced = (await h.advance(90)).data;
    expect(advanced.offsetMs).toBe(90_000);
    expect(Date.parse(advanced.now)).toBeGreaterThanOrEqual(before.nowMs + 90_000);
    expect((await h.control('POST', '/clock/set', { offsetMs: 5 })).data.offsetMs).toBe(5);
    expect((await h.control('POST', '/clock/advance', { seconds: 'x' })).status).toBe(400);
  });
});
