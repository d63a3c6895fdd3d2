import { jsonNestingExceeds, MAX_JSON_DEPTH } from './json-depth';

describe('jsonNestingExceeds', () => {
  const nested = (n: number) => Buffer.from(`${'['.repeat(n)}${']'.repeat(n)}`);

  it('allows up to the limit and refuses one level more', () => {
    expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonNestingExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonNestingExceeds(Buffer.from(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`))).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingExceeds(Buffer.from(JSON.stringify({ apiKey: '['.repeat(500), q: '\\"[[[[' })))).toBe(false);
  });
});
