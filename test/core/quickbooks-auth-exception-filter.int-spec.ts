/**
 * QuickBooksAuthExceptionFilter over real HTTP (Express): each typed library error becomes the
 * documented status (docs/http-errors.md) with a JSON body that names no secret; other errors are
 * left to Nest. Registered both ways a host can: APP_FILTER, and useGlobalFilters without DI.
 */
import { Controller, Get, Param, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import {
  ConfigurationError,
  ConnectionNotFoundError,
  ConnectionUndecryptableError,
  IntuitResponseError,
  InvalidCallbackError,
  InvalidStateError,
  QuickBooksApiBusyError,
  QuickBooksApiError,
  QuickBooksAuthExceptionFilter,
  QuickBooksUnavailableError,
  InvalidArgumentError,
  ReauthorizationRequiredError,
  ReconnectRealmMismatchError,
  StorageError,
} from '@quickbooks-auth/nestjs';

const CANARY = `canary-secret-${Math.random().toString(36).slice(2)}`;

const ERRORS: Record<string, () => Error> = {
  notFound: () => new ConnectionNotFoundError('tenant-a', '9130000000001'),
  invalidState: () => new InvalidStateError('replayed'),
  invalidCallback: () => new InvalidCallbackError('realmId is missing'),
  reauth: () =>
    new ReauthorizationRequiredError('tenant-a', '9130000000001', 'https://app.example.com/quickbooks/connect?realm=9130000000001'),
  intuit: () => new IntuitResponseError('token endpoint refused', 'invalid_client', 401, 'tid-1'),
  unavailable: () => new QuickBooksUnavailableError('breaker open', 12_500, 'tid-2'),
  undecryptable: () => new ConnectionUndecryptableError('tenant-a', '9130000000001', 'unknown key id k0'),
  apiThrottled: () =>
    new QuickBooksApiError({ operation: 'GET companyinfo', status: 429, failure: 'fault', retryAfterMs: 60_000, intuitTid: 'tid-3' }),
  apiRefused: () =>
    new QuickBooksApiError({
      operation: 'POST invoice',
      status: 400,
      failure: 'fault',
      faults: [{ code: '6000', message: 'validation', detail: null, element: null }],
    }),
  apiBusy: () => new QuickBooksApiBusyError('queue_timeout', 4200),
  config: () => new ConfigurationError([`clientSecret ${CANARY}`]),
  storage: () => new StorageError(`connect ECONNREFUSED mysql://root:${CANARY}@db:3306/x`),
  plain: () => new Error(`not ours ${CANARY}`),
  invalidArgument: () => new InvalidArgumentError('limit must be an integer between 1 and 1000'),
  realmMismatch: () => new ReconnectRealmMismatchError('tenant-a', '9130000000001', '9130000000002'),
};

@Controller()
class ThrowingController {
  @Get('throw/:name')
  throwIt(@Param('name') name: string): never {
    throw ERRORS[name]();
  }
}

async function startApp(register: 'APP_FILTER' | 'useGlobalFilters'): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    controllers: [ThrowingController],
    providers: register === 'APP_FILTER' ? [{ provide: APP_FILTER, useClass: QuickBooksAuthExceptionFilter }] : [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  if (register === 'useGlobalFilters') app.useGlobalFilters(new QuickBooksAuthExceptionFilter());
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

describe.each(['APP_FILTER', 'useGlobalFilters'] as const)('QuickBooksAuthExceptionFilter registered with %s', (register) => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => ({ app, url } = await startApp(register)));
  afterAll(() => app.close());

  const call = async (name: string) => {
    const res = await fetch(`${url}/throw/${name}`, { headers: { accept: 'application/json' } });
    const text = await res.text();
    expect(text).not.toContain(CANARY);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, headers: res.headers };
  };

  it.each([
    ['notFound', 404, 'connection_not_found'],
    ['invalidState', 400, 'invalid_state'],
    ['invalidCallback', 400, 'invalid_callback'],
    ['intuit', 502, 'intuit_error'],
    ['undecryptable', 409, 'connection_undecryptable'],
    ['apiRefused', 502, 'quickbooks_api_error'],
    ['config', 500, 'internal_error'],
    ['storage', 500, 'internal_error'],
    ['invalidArgument', 400, 'invalid_argument'],
  ])('%s → %i %s, not cached', async (name, status, error) => {
    const r = await call(name);
    expect(r.status).toBe(status);
    expect(r.body.error).toBe(error);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('reauthorization required → 409 with the reconnect URL', async () => {
    const r = await call('reauth');
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      error: 'reauthorization_required',
      realmId: '9130000000001',
      reconnectUrl: 'https://app.example.com/quickbooks/connect?realm=9130000000001',
    });
  });

  it('a reconnect that came back with another company → 409, naming the company to pick', async () => {
    const r = await call('realmMismatch');
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: 'reconnect_realm_mismatch', realmId: '9130000000001' });
  });

  it('unavailable → 503 with Retry-After in whole seconds and the intuit_tid', async () => {
    const r = await call('unavailable');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('13');
    expect(r.body).toMatchObject({ error: 'quickbooks_unavailable', intuitTid: 'tid-2' });
  });

  it('QBO throttling → 429 with the upstream Retry-After', async () => {
    const r = await call('apiThrottled');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('60');
  });

  it('API governor busy (nothing sent) → 429 quickbooks_api_busy with its Retry-After', async () => {
    const r = await call('apiBusy');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.body).toMatchObject({ error: 'quickbooks_api_busy', reason: 'queue_timeout' });
  });

  it('leaves errors that are not the library’s to Nest (a plain 500)', async () => {
    const r = await call('plain');
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ statusCode: 500, message: 'Internal server error' });
  });
});
