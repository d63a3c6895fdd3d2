import { safeReturnTo, withQueryParam } from './return-to';

describe('safeReturnTo: no open redirect (issue 14, finding 1)', () => {
  // Each of these, read as a URL by a browser (or by the URL parser after "normalising"), leaves the origin.
  const hostile = [
    '/.//evil.example/x',
    '/..//evil.example',
    '/%2e//evil.example',
    '/%2E%2E//evil.example',
    '/a/../..//evil.example',
    '/./.././/evil.example',
    '//evil.example',
    '///evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    '/%5cevil.example',
    '/%2f/evil.example',
    '/%2F%2Fevil.example',
    '/.%2f/evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\nSet-Cookie:x=1',
    '/\u0000/evil.example',
    'https://evil.example/',
    'http:/evil.example',
    'javascript:alert(1)',
    'evil.example',
    '',
    `/${'a'.repeat(600)}`,
  ];

  it.each(hostile)('refuses %j', (value) => {
    const result = safeReturnTo(value);
    expect(result).toBe('/');
    // Whatever it answers stays on our origin once a browser resolves it.
    expect(new URL(withQueryParam(result, 'connected', '1'), 'https://app.example').origin).toBe('https://app.example');
  });

  it('refuses what is not a string', () => {
    for (const v of [undefined, null, 42, ['/x'], { a: 1 }]) expect(safeReturnTo(v)).toBe('/');
  });

  it('keeps same-origin paths and their query, re-serialised from the parsed URL', () => {
    expect(safeReturnTo('/settings/quickbooks')).toBe('/settings/quickbooks');
    expect(safeReturnTo('/settings?tab=qb&x=%20y')).toBe('/settings?tab=qb&x=%20y');
    expect(safeReturnTo('/a/./b/../c')).toBe('/a/c');
    expect(safeReturnTo('/x#fragment')).toBe('/x');
    expect(safeReturnTo('/caf\u00e9')).toBe('/caf%C3%A9');
  });

  it('adds a query parameter without leaving the path', () => {
    expect(withQueryParam('/settings?tab=qb', 'connected', '123')).toBe('/settings?tab=qb&connected=123');
  });
});
