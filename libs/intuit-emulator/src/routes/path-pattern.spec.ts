import { compilePathPattern } from './path-pattern';

describe('compilePathPattern', () => {
  it('matches literal segments exactly', () => {
    const match = compilePathPattern('/oauth2/v1/tokens/bearer');
    expect(match('/oauth2/v1/tokens/bearer')).toEqual({});
    expect(match('/oauth2/v1/tokens')).toBeNull();
    expect(match('/oauth2/v1/tokens/bearer/x')).toBeNull();
  });

  it('captures :name segments raw and refuses empty ones', () => {
    const match = compilePathPattern('/v3/company/:realmId/companyinfo/:id');
    expect(match('/v3/company/123%20/companyinfo/1')).toEqual({ realmId: '123%20', id: '1' });
    expect(match('/v3/company//companyinfo/1')).toBeNull();
    expect(match('/v3/company/1/query')).toBeNull();
  });

  it('a final ** matches the prefix itself and anything under it, not a longer name', () => {
    const match = compilePathPattern('/_emulator/**');
    expect(match('/_emulator')).toEqual({});
    expect(match('/_emulator/faults/f1')).toEqual({});
    expect(match('/_emulatorx')).toBeNull();
    expect(match('/')).toBeNull();
  });
});
