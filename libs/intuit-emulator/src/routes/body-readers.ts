import type { z } from 'zod';
import { HttpError, parseJsonObject, parseParams, readBody } from '../http-utils';
import type { RouteContext } from './route-context';

/** Reads and parses a request body for a route (the `body` step of the pipeline). */
export type BodyReader<Body> = (ctx: RouteContext) => Promise<Body>;

const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;
const JSON_BODY_METHODS = new Set(['POST', 'PUT', 'DELETE']);

/**
 * A form body and nothing else (Intuit's token endpoint, RFC 6749 §4.1.3): any other content type
 * answers 400 invalid_request once the body is read.
 */
export const formOnlyBody: BodyReader<Record<string, string>> = async ({ req }) => {
  const raw = await readBody(req);
  if (!FORM_TYPE.test(String(req.headers['content-type'] ?? '').trim())) {
    throw new HttpError(400, { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' });
  }
  return parseParams(req, raw);
};

/** A form or JSON object body as a flat string map (the revoke endpoint, the consent form). */
export const formOrJsonBody: BodyReader<Record<string, string>> = async ({ req }) => parseParams(req, await readBody(req));

/** A POST's raw text (a QBO query statement); undefined for other methods, whose body is not read. */
export const postTextBody: BodyReader<string | undefined> = async ({ req }) => (req.method === 'POST' ? readBody(req) : undefined);

/** Read to the end and ignored (a retired endpoint answers the same whatever it is sent). */
export const ignoredBody: BodyReader<undefined> = async ({ req }) => {
  await readBody(req);
  return undefined;
};

/**
 * A control API JSON object (POST, PUT and DELETE; other methods get `{}`), validated by `schema`:
 * a body that does not fit answers 400 invalid_request naming the field, never reaches the handler.
 */
export function jsonBody<Schema extends z.ZodType>(schema: Schema): BodyReader<z.output<Schema>> {
  return async ({ req }) => {
    const raw = JSON_BODY_METHODS.has(req.method ?? '') ? parseJsonObject(await readBody(req)) : {};
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    throw new HttpError(400, { error: 'invalid_request', error_description: describeIssue(parsed.error.issues[0]) });
  };
}

/** The first problem, as `field: message` (or the schema's own message when it names the field). */
function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'Invalid body';
  const field = issue.path.map(String).join('.');
  if (!field || issue.message.startsWith(field)) return issue.message;
  return `${field}: ${issue.message}`;
}
