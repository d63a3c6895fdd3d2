import { apiCallCategory } from './api-call-category';

describe('apiCallCategory', () => {
  it('counts reads, queries, reports and CDC as CorePlus and writes as Core', () => {
    expect(apiCallCategory('POST', 'query')).toBe('coreplus');
    expect(apiCallCategory('GET', 'invoice/42')).toBe('coreplus');
    expect(apiCallCategory('GET', 'reports/ProfitAndLoss')).toBe('coreplus');
    expect(apiCallCategory('GET', 'cdc')).toBe('coreplus');
    expect(apiCallCategory('GET', 'companyinfo/123')).toBe('coreplus');
    expect(apiCallCategory('POST', 'invoice')).toBe('core');
    expect(apiCallCategory('POST', 'invoice/42/send')).toBe('core');
    expect(apiCallCategory('POST', 'batch')).toBe('core');
  });
});
