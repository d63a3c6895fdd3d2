import { Args } from './args';

describe('bench/chaos flags', () => {
  it('reads --name value, --name=value and bare flags; a flag followed by another flag has no value', () => {
    const a = new Args(['--quick', '--repeats', '3', '--only=hot,cold', '--store', 'postgres', '--soak', '--deploys']);
    expect(a.flag('quick')).toBe(true);
    expect(a.number('repeats', 5)).toBe(3);
    expect(a.list('only')).toEqual(['hot', 'cold']);
    expect(a.string('store', 'mariadb')).toBe('postgres');
    expect(a.number('soak', 0)).toBe(0);
    expect(a.flag('deploys')).toBe(true);
    expect(a.flag('full')).toBe(false);
    expect(a.list('stores')).toBeNull();
  });

  it('ignores words and single-dash arguments that belong to no --flag, and refuses a non-number by name', () => {
    const a = new Args(['stray', '-x', 'word', '--scale', 'lots', '--grace=']);
    expect(a.flag('x')).toBe(false);
    expect(() => a.number('scale', 1)).toThrow('--scale must be a number, got lots');
    expect(a.string('grace', 'unset')).toBe('');
  });
});
