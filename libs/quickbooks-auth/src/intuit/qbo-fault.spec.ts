import { parseQboFault, scrubTokenEcho } from './qbo-fault';

const TOKEN = 'eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.canary-access-token';

describe('parseQboFault', () => {
  it('reads Fault.Error[] (Message/Detail) as Intuit sends validation faults', () => {
    const body = {
      Fault: {
        Error: [
          { Message: 'A business validation error has occurred', Detail: 'Invalid Reference Id', code: '6000', element: 'CustomerRef' },
        ],
        type: 'ValidationFault',
      },
      time: 'x',
    };
    expect(parseQboFault(body, TOKEN)).toEqual({
      type: 'ValidationFault',
      errors: [
        { code: '6000', message: 'A business validation error has occurred', detail: 'Invalid Reference Id', element: 'CustomerRef' },
      ],
    });
  });

  it('reads fault.error[] (lower case) as Intuit sends authentication faults, echoed token prefix removed', () => {
    const body = {
      fault: {
        error: [
          {
            message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
            detail: `Token expired: ${TOKEN.slice(0, 10)}`,
            code: '3200',
          },
        ],
        type: 'AUTHENTICATION',
      },
    };
    const parsed = parseQboFault(body, TOKEN)!;
    expect(parsed.errors[0]).toMatchObject({ code: '3200', detail: 'Token expired: [Redacted]', element: null });
    expect(JSON.stringify(parsed)).not.toContain(TOKEN.slice(0, 6));
  });

  it('is null for a body without a fault, and tolerates a fault without entries', () => {
    expect(parseQboFault({ CompanyInfo: {} }, TOKEN)).toBeNull();
    expect(parseQboFault('<html>', TOKEN)).toBeNull();
    expect(parseQboFault({ Fault: { type: 'SYSTEM' } }, TOKEN)).toEqual({ type: 'SYSTEM', errors: [] });
  });
});

describe('scrubTokenEcho', () => {
  it('removes every run of the token leading characters, whole token included, and keeps the rest', () => {
    expect(scrubTokenEcho(`a ${TOKEN} b ${TOKEN.slice(0, 5)}! c`, TOKEN)).toBe('a [Redacted] b [Redacted]! c');
    expect(scrubTokenEcho('nothing to see', TOKEN)).toBe('nothing to see');
  });
});
