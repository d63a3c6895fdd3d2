import { StorageError } from '../../errors/storage.error';
import { assertValidHorizonDays, compareReconnectOrder, decodeReconnectCursor, encodeReconnectCursor } from './reconnect-cursor';

describe('reconnect campaign cursor', () => {
  it('round-trips any ids, unicode and separators included', () => {
    const c = { hardExpiresAt: 1_893_456_000_123, tenantId: 'acme:eu/1 ü', realmId: '4620816365000000001' };
    const encoded = encodeReconnectCursor(c);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeReconnectCursor(encoded)).toEqual(c);
    expect(decodeReconnectCursor(null)).toBeNull();
  });

  it.each([
    ['not base64url', 'a b'],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['wrong arity', Buffer.from('[1,"t"]').toString('base64url')],
    ['wrong types', Buffer.from('["1","t","r"]').toString('base64url')],
    ['unsafe number', Buffer.from('[1e30,"t","r"]').toString('base64url')],
    ['too long', 'A'.repeat(2000)],
  ])('refuses a cursor it did not make (%s) with StorageError invalid_cursor', (_why, cursor) => {
    expect(() => decodeReconnectCursor(cursor)).toThrow(StorageError);
    expect(() => decodeReconnectCursor(cursor)).toThrow(expect.objectContaining({ code: 'invalid_cursor' }));
  });

  it('orders by hard expiry, then tenant, then realm', () => {
    const rows = [
      { hardExpiresAt: 2, tenantId: 'a', realmId: '1' },
      { hardExpiresAt: 1, tenantId: 'b', realmId: '2' },
      { hardExpiresAt: 1, tenantId: 'b', realmId: '1' },
      { hardExpiresAt: 1, tenantId: 'a', realmId: '9' },
    ];
    expect([...rows].sort(compareReconnectOrder).map((r) => `${r.hardExpiresAt}/${r.tenantId}/${r.realmId}`)).toEqual([
      '1/a/9',
      '1/b/1',
      '1/b/2',
      '2/a/1',
    ]);
  });

  it('horizons are whole days from 1 to 3650', () => {
    expect(assertValidHorizonDays(7)).toBe(7);
    for (const bad of [0, -7, 2.5, 3651, Number.NaN])
      expect(() => assertValidHorizonDays(bad)).toThrow(expect.objectContaining({ code: 'invalid_horizon' }));
  });
});
