import { connectionRefProblem, isQuickBooksRealmId, storedConnectionRefProblem } from './connection-ref';

describe('connection ref rules', () => {
  it('a realm entering the library is a QuickBooks company id: 1 to 32 digits', () => {
    expect(isQuickBooksRealmId('9130347596712345')).toBe(true);
    expect(isQuickBooksRealmId('1'.repeat(32))).toBe(true);
    for (const bad of ['', 'abc', '../1', '1'.repeat(33), ' 1', 7, undefined]) expect(isQuickBooksRealmId(bad)).toBe(false);
    expect(connectionRefProblem({ tenantId: 't', realmId: 'r1' })).toBe('realmId must be a QuickBooks company id (1 to 32 digits)');
  });

  it('a stored row stays addressable under the wider storage rule (≤ 64 safe characters)', () => {
    expect(storedConnectionRefProblem({ tenantId: 't', realmId: 'r1' })).toBeUndefined();
    expect(storedConnectionRefProblem({ tenantId: 't', realmId: 'x'.repeat(64) })).toBeUndefined();
    expect(storedConnectionRefProblem({ tenantId: 't', realmId: 'x'.repeat(65) })).toBe('realmId must be at most 64 characters');
    expect(storedConnectionRefProblem({ tenantId: 'acme ', realmId: '1' })).toMatch(/^tenantId must not contain control characters/);
  });

  it('tenant ids are 1 to 128 safe characters everywhere', () => {
    expect(connectionRefProblem({ tenantId: '', realmId: '1' })).toBe('tenantId must be a non-empty string');
    expect(connectionRefProblem({ tenantId: 't'.repeat(129), realmId: '1' })).toBe('tenantId must be at most 128 characters');
    expect(connectionRefProblem({ tenantId: 't\u0000', realmId: '1' })).toMatch(/control characters/);
    expect(connectionRefProblem({ tenantId: 't'.repeat(128), realmId: '1' })).toBeUndefined();
  });
});
