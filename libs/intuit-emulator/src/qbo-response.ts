import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-utils';

export const XML_CONTENT_TYPE = 'application/xml;charset=UTF-8';

/** One entry of Intuit's QBO `Fault.Error[]`. */
export interface QboError {
  Message: string;
  Detail: string;
  code: string;
  element?: string;
}

/**
 * Intuit's documented QBO error envelope: `{"Fault":{"Error":[…],"type":…},"time":…}`, `time` an
 * ISO timestamp of the server clock. (Intuit also answers some auth failures in a lower-case
 * `fault.error[]` variant; clients must read both, ours does.)
 */
export function qboFault(errors: QboError[], type: string, nowMs: number): Record<string, unknown> {
  return { Fault: { Error: errors.map((e) => ({ Message: e.Message, Detail: e.Detail, code: e.code, ...(e.element ? { element: e.element } : {}) })), type }, time: new Date(nowMs).toISOString() };
}

/** True when the caller asked for JSON; QBO answers XML otherwise. */
export function wantsJson(req: IncomingMessage): boolean {
  return /application\/json/i.test(String(req.headers.accept ?? ''));
}

/** A QBO API answer: JSON when `Accept: application/json`, otherwise XML (IntuitResponse), as QBO does. */
export function sendQbo(req: IncomingMessage, res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  if (wantsJson(req)) return sendJson(res, status, body, headers);
  if (res.headersSent || res.destroyed) return;
  const { time, ...rest } = body;
  const xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"${time !== undefined ? ` time="${escapeXml(String(time))}"` : ''}>${toXml(rest)}</IntuitResponse>`;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-type', XML_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(xml));
  res.statusCode = status;
  res.end(xml);
}

/** Elements from an object; arrays repeat their element, `type` on Fault becomes an attribute. */
function toXml(value: Record<string, unknown>): string {
  let out = '';
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== null && typeof item === 'object') {
        const obj = item as Record<string, unknown>;
        // Fault's type and an error's code are XML attributes in QBO's schema.
        const attrs = (['type', 'code', 'element'] as const).filter((a) => typeof obj[a] === 'string' && (key === 'Fault' || key === 'Error'));
        const inner = Object.fromEntries(Object.entries(obj).filter(([k]) => !attrs.includes(k as never)));
        out += `<${key}${attrs.map((a) => ` ${a}="${escapeXml(String(obj[a]))}"`).join('')}>${toXml(inner)}</${key}>`;
      } else {
        out += `<${key}>${escapeXml(String(item))}</${key}>`;
      }
    }
  }
  return out;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
