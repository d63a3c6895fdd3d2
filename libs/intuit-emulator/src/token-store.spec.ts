import { PRUNE_EVERY_ISSUES, TokenStore, type AuthCodeRecord, type Grant } from './token-store';

const HOUR = 3_600_000;

function grantIn(store: TokenStore, now: number): Grant {
  return store.createGrant({
    clientId: 'client',
    environment: 'sandbox',
    realmId: '1234',
    scopes: ['com.intuit.quickbooks.accounting'],
    sub: 'sub',
    now,
    hardExpirySeconds: 5 * 365 * 86_400,
    refreshToken: { value: 'RT1-first', issuedAt: now, expiresAt: now + 100 * 86_400_000 },
  });
}

/** Issues access tokens until the next one issued is the one that triggers a sweep. */
function fillToSweep(store: TokenStore, grant: Grant, now: number, issuedBefore: number): void {
  for (let i = issuedBefore; i < PRUNE_EVERY_ISSUES - 1; i++) store.addAccessToken(grant, `filler-${i}`, now, now + HOUR);
}

function code(value: string, expiresAt: number, usedAt: number | null): AuthCodeRecord {
  return {
    code: value,
    clientId: 'client',
    redirectUri: 'http://x/cb',
    realmId: '1234',
    scopes: [],
    createdAt: expiresAt - 600_000,
    expiresAt,
    usedAt,
    nonce: null,
    grant: null,
  };
}

describe('TokenStore pruning', () => {
  it('forgets access tokens an hour past expiry, oldest first, and keeps every one still answerable', () => {
    const now = 10 * 24 * HOUR;
    const store = new TokenStore();
    const grant = grantIn(store, now);
    store.addAccessToken(grant, 'long-gone', now - 3 * HOUR, now - 2 * HOUR);
    store.addAccessToken(grant, 'just-expired', now - 2 * HOUR, now - HOUR / 2);
    store.addAccessToken(grant, 'live', now, now + HOUR);
    fillToSweep(store, grant, now, 3);
    expect(store.accessTokens.size).toBe(PRUNE_EVERY_ISSUES - 1);

    store.addAccessToken(grant, 'the-50000th', now, now + HOUR);

    expect(store.accessTokens.has('long-gone')).toBe(false);
    expect(store.accessTokens.has('just-expired')).toBe(true);
    expect(store.accessTokens.has('live')).toBe(true);
    expect(store.accessTokens.has('the-50000th')).toBe(true);
    expect(store.accessTokens.size).toBe(PRUNE_EVERY_ISSUES - 1);
  });

  it('stops at the first token it must keep: one issued later but expired already waits for the next sweep', () => {
    const now = 10 * 24 * HOUR;
    const store = new TokenStore();
    const grant = grantIn(store, now);
    store.addAccessToken(grant, 'live-first', now, now + HOUR);
    store.addAccessToken(grant, 'gone-behind-it', now - 3 * HOUR, now - 2 * HOUR);
    fillToSweep(store, grant, now, 2);
    store.addAccessToken(grant, 'trigger', now, now + HOUR);
    expect(store.accessTokens.has('gone-behind-it')).toBe(true);

    // Two hours later the first one is an hour past expiry too: the next sweep takes both.
    const later = now + 2 * HOUR + 1;
    for (let i = 0; i < PRUNE_EVERY_ISSUES; i++) store.addAccessToken(grant, `later-${i}`, later, later + HOUR);
    expect(store.accessTokens.has('live-first')).toBe(false);
    expect(store.accessTokens.has('gone-behind-it')).toBe(false);
  });

  it('drops unused expired codes and keeps used ones (a replay must still revoke the grant)', () => {
    const now = 10 * 24 * HOUR;
    const store = new TokenStore();
    const grant = grantIn(store, now);
    store.saveCode(code('unused-old', now - 2 * HOUR, null));
    store.saveCode(code('used-old', now - 2 * HOUR, now - 3 * HOUR));
    store.saveCode(code('fresh', now + 600_000, null));
    fillToSweep(store, grant, now, 0);
    store.addAccessToken(grant, 'trigger', now, now + HOUR);

    expect([...store.codes.keys()]).toEqual(['used-old', 'fresh']);
  });
});
