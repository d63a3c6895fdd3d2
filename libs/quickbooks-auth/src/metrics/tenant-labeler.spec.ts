import { createTenantLabeler, OTHER_TENANT_LABEL } from './tenant-labeler';

describe('createTenantLabeler', () => {
  it('labels listed tenants by id and everyone else "other"', () => {
    const label = createTenantLabeler(['acme', 'globex'], 50);
    expect(label('acme')).toBe('acme');
    expect(label('globex')).toBe('globex');
    expect(label('initech')).toBe(OTHER_TENANT_LABEL);
  });

  it('maps tenants to groups through a function; null, empty or throwing means "other"', () => {
    const label = createTenantLabeler((id) => {
      if (id === 'boom') throw new Error('lookup failed');
      if (id.startsWith('ent-')) return 'enterprise';
      return id === 'nobody' ? '' : null;
    }, 50);
    expect(label('ent-1')).toBe('enterprise');
    expect(label('ent-2')).toBe('enterprise');
    expect(label('free-1')).toBe(OTHER_TENANT_LABEL);
    expect(label('nobody')).toBe(OTHER_TENANT_LABEL);
    expect(label('boom')).toBe(OTHER_TENANT_LABEL);
  });

  it('never hands out more than maxValues distinct values, even from a careless function', () => {
    const label = createTenantLabeler((id) => id, 3);
    const values = new Set(Array.from({ length: 1000 }, (_, i) => label(`tenant-${i}`)));
    expect(values).toEqual(new Set(['tenant-0', 'tenant-1', 'tenant-2', OTHER_TENANT_LABEL]));
    expect(label('tenant-1')).toBe('tenant-1'); // values already given keep their series
  });

  it('keeps label values short', () => {
    const label = createTenantLabeler(() => 'x'.repeat(500), 5);
    expect(label('a')).toHaveLength(64);
  });
});
