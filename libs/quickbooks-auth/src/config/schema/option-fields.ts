import { z } from 'zod';

/**
 * Building blocks of the options schema. Messages are written without their subject: the
 * problem list prefixes the option path (`refreshLeadSeconds must be ...`) or, for options read
 * from the environment, the variable (`QB_REFRESH_LEAD_SECONDS must be ...`). No message ever
 * contains the value (it may be a secret).
 */

/** A finite number >= min (zod refuses NaN and Infinity), defaulting to `fallback` when unset. */
export function atLeast(min: number, fallback: number) {
  const message = `must be a number >= ${min}`;
  return z.number({ error: message }).min(min, { error: message }).default(fallback);
}

/** The same without a default (derived later, or "unset" has its own meaning). */
export function optionalAtLeast(min: number) {
  const message = `must be a number >= ${min}`;
  return z.number({ error: message }).min(min, { error: message }).optional();
}

/** A whole number >= min, defaulting to `fallback`. */
export function wholeAtLeast(min: number, fallback: number) {
  const message = `must be a whole number >= ${min}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).default(fallback);
}

export function flag(fallback: boolean) {
  return z.boolean({ error: 'must be a boolean' }).default(fallback);
}

/** A non-blank string (kept as given, not trimmed). */
export function requiredString() {
  return z.string({ error: 'is required' }).refine((v) => v.trim() !== '', { error: 'is required' });
}

export function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function httpUrl() {
  return z.string({ error: 'must be an absolute http(s) URL' }).refine(isHttpUrl, { error: 'must be an absolute http(s) URL' });
}

/**
 * A value the schema only checks the kind of (functions, host objects), typed by the public
 * interface. A refinement, not z.custom's own check: that one aborts, and the checks across
 * options would then not run, so fewer problems would be listed at once.
 */
export function hostValue<T>(isValid: (v: unknown) => boolean, message: string) {
  return z.custom<T>().refine(isValid, { error: message });
}

/**
 * A problem that is a whole sentence naming other options: `{path}` placeholders are replaced by
 * the option path or its variable. `fromEnv` words it for options read from the environment,
 * where some alternatives (a DataSource, a client) cannot be given.
 */
export interface SentenceParams {
  sentence: string;
  fromEnv?: string;
}

export function addSentence(ctx: z.RefinementCtx, path: PropertyKey[], sentence: string, fromEnv?: string): void {
  const params: SentenceParams = { sentence, fromEnv };
  ctx.addIssue({ code: 'custom', path, message: sentence, params });
}
