import { crossSiteReason } from './cross-site-request';

const APP = 'https://app.example';

describe('crossSiteReason (issue 14, findings 2 and 12)', () => {
  it('refuses state-changing requests from another site or a sibling subdomain', () => {
    expect(crossSiteReason('POST', { origin: 'https://evil.example' }, APP)).not.toBeNull();
    expect(crossSiteReason('POST', { origin: 'null' }, APP)).not.toBeNull();
    expect(crossSiteReason('DELETE', { 'sec-fetch-site': 'cross-site' }, APP)).not.toBeNull();
    expect(crossSiteReason('POST', { 'sec-fetch-site': 'same-site' }, APP)).not.toBeNull();
    expect(crossSiteReason('POST', { origin: 'http://app.example' }, APP)).not.toBeNull();
  });

  it('lets same-origin, non-browser and API-key requests through, and never looks at GET', () => {
    expect(crossSiteReason('POST', { origin: APP, 'sec-fetch-site': 'same-origin' }, APP)).toBeNull();
    expect(crossSiteReason('POST', {}, APP)).toBeNull();
    expect(crossSiteReason('DELETE', { origin: 'https://evil.example', 'x-api-key': 'k' }, APP)).toBeNull();
    expect(crossSiteReason('DELETE', { origin: 'https://evil.example', authorization: 'Bearer k' }, APP)).toBeNull();
    expect(crossSiteReason('GET', { 'sec-fetch-site': 'cross-site' }, APP)).toBeNull();
  });
});
