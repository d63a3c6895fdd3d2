import { z } from 'zod';
import { FAULT_ENDPOINTS, FAULT_TYPES, ID_TOKEN_TAMPERS } from '../faults';
import { isValidRealmId } from '../ids';

/**
 * The control API's request bodies, checked at the HTTP boundary so a bad field answers 400 naming
 * it instead of being cast. Unknown fields are dropped, as before. The state operations keep their
 * own checks (the in-process handle has no schema in front of it), e.g. that a client is registered.
 * Messages name their field first (the body reader prefixes the path otherwise).
 */

const realmId = (field: string): z.ZodString =>
  z.string({ error: `${field} must be 10-19 digits` }).refine(isValidRealmId, { error: `${field} must be 10-19 digits` });

const finiteNumber = (field: string, min?: number): z.ZodNumber => {
  const n = z.number({ error: `${field} must be a finite number` });
  return min === undefined ? n : n.min(min, { error: `${field} must be >= ${min}` });
};

/** POST /reset, /stats/reset, /keys/rotate, DELETE /faults…: any JSON object, nothing read from it. */
export const emptyBody = z.object({});

export const registerClientBody = z.object({
  clientId: z.string({ error: 'clientId is required' }).min(1, { error: 'clientId is required' }),
  clientSecret: z.string({ error: 'clientSecret is required' }).min(1, { error: 'clientSecret is required' }),
  redirectUris: z.array(z.string(), { error: 'redirectUris must be an array of strings' }),
  environment: z.enum(['sandbox', 'production'], { error: 'environment must be "sandbox" or "production"' }).optional(),
});

export const autoApproveBody = z.object({
  enabled: z.boolean({ error: 'enabled must be a boolean' }),
  realmId: realmId('realmId').optional(),
});

export const mintBody = z.object({
  clientId: z.string({ error: 'clientId must name a registered client' }).optional(),
  realmId: realmId('realmId').optional(),
  scope: z.union([z.string(), z.array(z.string())], { error: 'scope must be a string or an array of strings' }).optional(),
  count: z
    .number({ error: 'count must be an integer 1..100000' })
    .int({ error: 'count must be an integer 1..100000' })
    .min(1, { error: 'count must be an integer 1..100000' })
    .max(100_000, { error: 'count must be an integer 1..100000' })
    .optional(),
});

export const revokeRealmBody = z.object({
  realmId: z.string({ error: 'realmId is required' }),
  disconnectUrl: z
    .string({ error: 'disconnectUrl must be an absolute http(s) URL' })
    .refine(isHttpUrl, { error: 'disconnectUrl must be an absolute http(s) URL' })
    .transform((value) => new URL(value))
    .optional(),
});

export const clockAdvanceBody = z.object({ seconds: z.number({ error: 'seconds must be a number' }) });

export const clockSetBody = z.object({ offsetMs: z.number({ error: 'offsetMs must be a number' }) });

export const configBody = z.object({
  accessTokenTtlSeconds: finiteNumber('accessTokenTtlSeconds', 0).optional(),
  refreshRotationSeconds: finiteNumber('refreshRotationSeconds', 0).optional(),
  refreshGraceSeconds: finiteNumber('refreshGraceSeconds', 0).optional(),
  refreshTokenTtlSeconds: finiteNumber('refreshTokenTtlSeconds', 0).optional(),
  hardExpirySeconds: finiteNumber('hardExpirySeconds', 0).optional(),
  rateLimitPerMinute: finiteNumber('rateLimitPerMinute', 0).optional(),
  concurrentRequestsPerRealm: finiteNumber('concurrentRequestsPerRealm', 0).optional(),
  clockSkewSeconds: finiteNumber('clockSkewSeconds').optional(),
  authCodeTtlSeconds: finiteNumber('authCodeTtlSeconds', 0).optional(),
  reuseDetection: z.boolean({ error: 'reuseDetection must be a boolean' }).optional(),
  invalidGrantDescription: z.string({ error: 'invalidGrantDescription must be a string or null' }).nullable().optional(),
});

const between = (field: string, min: number, max = Infinity): z.ZodNumber =>
  z
    .number({ error: `${field} must be a number between ${min} and ${max}` })
    .min(min, { error: `${field} must be a number between ${min} and ${max}` })
    .max(max, { error: `${field} must be a number between ${min} and ${max}` });

export const faultRuleBody = z
  .object({
    endpoint: z.enum(FAULT_ENDPOINTS, { error: `endpoint must be one of ${FAULT_ENDPOINTS.join(', ')}` }),
    type: z.enum(FAULT_TYPES, { error: `type must be one of ${FAULT_TYPES.join(', ')}` }),
    latencyMs: between('latencyMs', 0, 600_000).optional(),
    status: between('status', 100, 599).optional(),
    body: z.enum(['json', 'html'], { error: 'body must be json or html' }).optional(),
    retryAfter: z.union([z.number(), z.string()], { error: 'retryAfter must be seconds or an HTTP date string' }).optional(),
    probability: between('probability', 0, 1).optional(),
    count: between('count', 1).optional(),
    grantType: z
      .enum(['refresh_token', 'authorization_code'], { error: 'grantType must be refresh_token or authorization_code' })
      .optional(),
    idToken: z.enum(ID_TOKEN_TAMPERS, { error: `idToken must be one of ${ID_TOKEN_TAMPERS.join(', ')}` }).optional(),
  })
  .refine((rule) => rule.type !== 'bad_id_token' || rule.endpoint === 'token', {
    error: 'bad_id_token applies to the token endpoint only',
    path: ['endpoint'],
  });

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
