import type { QboFault } from './qbo-response';

/**
 * The QBO faults the emulator answers with, as Intuit's servers send them (sources in the README,
 * "Fidelity v2"). Kept together so each shape is stated once.
 */
export type TokenRejection = 'missing' | 'unknown' | 'expired' | 'revoked';

/** Shorter or longer than any access token Intuit issues: what Intuit calls malformed. */
const PLAUSIBLE_TOKEN_LENGTH = { min: 100, max: 4096 };

/**
 * A bearer token the API does not accept: 401, lower-case `fault` object, code 3200, type
 * AUTHENTICATION. Intuit's detail names an expired token ("Token expired: <first 10>") and a
 * malformed one ("Malformed bearer token: too short or too long"); any other refusal is "Token invalid".
 */
export function tokenRejectedFault(reason: TokenRejection, presented: string): QboFault {
  const malformed = presented.length < PLAUSIBLE_TOKEN_LENGTH.min || presented.length > PLAUSIBLE_TOKEN_LENGTH.max;
  const detail =
    reason === 'expired'
      ? `Token expired: ${presented.slice(0, 10)}`
      : reason === 'missing' || malformed
        ? 'Malformed bearer token: too short or too long'
        : 'Token invalid';
  return {
    spelling: 'fault',
    type: 'AUTHENTICATION',
    errors: [{ Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', Detail: detail, code: '3200' }],
  };
}

/**
 * A valid token of another company: 401 AuthenticationFault, code 100 (what Intuit staff
 * reproduced for a token used with the wrong realm, intuit/oauth-jsclient#91).
 */
export function wrongRealmFault(): QboFault {
  return {
    spelling: 'Fault',
    type: 'AuthenticationFault',
    errors: [
      {
        Message: 'General Authentication Error',
        Detail: 'AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401',
        code: '100',
      },
    ],
  };
}

/** 429 ThrottleExceeded, code 003001: per-minute or concurrent-request limit of the app and realm. */
export function throttledFault(detail: string): QboFault {
  return {
    spelling: 'Fault',
    type: 'SERVICE',
    errors: [{ Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429', Detail: detail, code: '003001' }],
  };
}

/** An injected 5xx with a QBO body (not the edge's HTML page). */
export function serviceUnavailableFault(status: number): QboFault {
  return {
    spelling: 'Fault',
    type: 'SystemFault',
    errors: [
      {
        Message: `message=ServiceUnavailable; errorCode=003002; statusCode=${status}`,
        Detail: 'Service temporarily unavailable',
        code: '003002',
      },
    ],
  };
}

/** A statement QBO's query parser refuses: 400 ValidationFault, code 4000. */
export function queryParserFault(): QboFault {
  return {
    spelling: 'Fault',
    type: 'ValidationFault',
    errors: [{ Message: 'Error parsing query', Detail: 'QueryParserError: Encountered an unexpected token', code: '4000' }],
  };
}
