import { randomBytes } from 'node:crypto';
import { resolveOptions } from '../config/resolved-options';
import type { QuickBooksAuthModuleOptions } from '../interfaces/quickbooks-auth-options.interface';
import { INTUIT_API_BASE_URLS } from '../quickbooks-auth.constants';
import { IntuitDiscoveryService } from '../intuit/intuit-discovery.service';
import { QuickBooksApiClient } from './quickbooks-api.client';

const options = (extra: Partial<QuickBooksAuthModuleOptions>): QuickBooksAuthModuleOptions => ({
  clientId: 'id',
  clientSecret: 'secret',
  redirectUri: 'https://app.example.com/quickbooks/callback',
  stateSecret: randomBytes(32).toString('base64'),
  encryptionKeys: `k1:${randomBytes(32).toString('base64')}`,
  storage: { type: 'memory' },
  ...extra,
});

/** Only the base URL is under test: no HTTP, no tokens. */
const baseUrlFor = (extra: Partial<QuickBooksAuthModuleOptions>): string => {
  const resolved = resolveOptions(options(extra));
  return new QuickBooksApiClient(null as never, new IntuitDiscoveryService(null as never, resolved), null as never, resolved).baseUrl;
};

describe('QuickBooksApiClient.baseUrl', () => {
  it('is Intuit sandbox API host by default and the production host in production', () => {
    expect(baseUrlFor({})).toBe(INTUIT_API_BASE_URLS.sandbox);
    expect(baseUrlFor({ environment: 'production' })).toBe(INTUIT_API_BASE_URLS.production);
  });

  it('follows intuitBaseUrl (the emulator serves the API at its base), trailing slash dropped', () => {
    expect(baseUrlFor({ intuitBaseUrl: 'http://127.0.0.1:4100/' })).toBe('http://127.0.0.1:4100');
  });

  it('apiBaseUrl wins over intuitBaseUrl', () => {
    expect(baseUrlFor({ intuitBaseUrl: 'http://127.0.0.1:4100', apiBaseUrl: 'http://127.0.0.1:4200' })).toBe('http://127.0.0.1:4200');
  });
});
