import { requestBodyError } from './request-body-error';

describe('requestBodyError: body-parser failures are the caller’s, never a 500 (issue 14, finding 5)', () => {
  it('maps body-parser error types to 413, 415 and 400', () => {
    expect(requestBodyError({ status: 413, type: 'entity.too.large', expose: true })?.status).toBe(413);
    expect(requestBodyError({ status: 415, type: 'charset.unsupported', expose: true })?.status).toBe(415);
    expect(requestBodyError({ status: 415, type: 'encoding.unsupported', expose: true })?.status).toBe(415);
    expect(requestBodyError({ status: 400, type: 'entity.parse.failed', expose: true })?.status).toBe(400);
    expect(requestBodyError({ status: 400, type: 'entity.too.deep', expose: true })?.error).toBe('malformed_body');
  });

  it('keeps the 4xx of an untyped body-parser error (a corrupt gzip stream) with a message of its own', () => {
    expect(requestBodyError({ status: 400, expose: true, message: 'incorrect header check' })).toEqual({
      status: 400,
      error: 'malformed_body',
      message: 'The request body could not be read',
    });
  });

  it('leaves every other error alone', () => {
    expect(requestBodyError(new Error('boom'))).toBeNull();
    expect(requestBodyError({ status: 500, type: 'stream.encoding.set' })).toBeNull();
    expect(requestBodyError(null)).toBeNull();
  });
});
