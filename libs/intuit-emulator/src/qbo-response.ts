import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-utils';

export const XML_CONTENT_TYPE = 'application/xml;charset=UTF-8';

/** One entry of a QBO fault. */
export interface QboError {
  Message: string;
  Detail: string;
  code: string;
  element?: string;
}

/**
 * A QBO fault and how Intuit spells it in JSON: `Fault` is the documented envelope
 * (`{"Fault":{"Error":[{"Message","Detail","code"}],"type"},"time":"<ISO>"}`); `fault` is the
 * lower-case response object its token checks answer with (`{"warnings":null,…,"fault":{"error":
 * [{"message","detail","code","element"}],"type"},…,"time":<epoch ms>}`). In XML both are
 * `<IntuitResponse><Fault type><Error code><Message/><Detail/></Error></Fault></IntuitResponse>`.
 */
export interface QboFault {
  type: string;
  errors: QboError[];
  spelling: 'Fault' | 'fault';
}

/** The JSON body of a fault, in its spelling, stamped with the server clock. */
export function qboFaultJson(fault: QboFault, nowMs: number): Record<string, unknown> {
  if (fault.spelling === 'Fault') {
    return {
      Fault: {
        Error: fault.errors.map((e) => ({
          Message: e.Message,
          Detail: e.Detail,
          code: e.code,
          ...(e.element ? { element: e.element } : {}),
        })),
        type: fault.type,
      },
      time: new Date(nowMs).toISOString(),
    };
  }
  return {
    warnings: null,
    intuitObject: null,
    fault: {
      error: fault.errors.map((e) => ({ message: e.Message, detail: e.Detail, code: e.code, element: e.element ?? null })),
      type: fault.type,
    },
    report: null,
    queryResponse: null,
    batchItemResponse: [],
    attachableResponse: [],
    syncErrorResponse: null,
    requestId: null,
    time: nowMs,
    status: null,
    cdcresponse: [],
  };
}

/** True when the caller asked for JSON; QBO answers XML otherwise. */
export function wantsJson(req: IncomingMessage): boolean {
  return /application\/json/i.test(String(req.headers.accept ?? ''));
}

/** A QBO fault answer: JSON in the fault's spelling when `Accept: application/json`, else XML. */
export function sendQboFault(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  fault: QboFault,
  nowMs: number,
  headers: Record<string, string> = {},
): void {
  if (wantsJson(req)) return sendJson(res, status, qboFaultJson(fault, nowMs), headers);
  const errors = fault.errors
    .map(
      (e) =>
        `<Error code="${escapeXml(e.code)}"${e.element ? ` element="${escapeXml(e.element)}"` : ''}><Message>${escapeXml(e.Message)}</Message><Detail>${escapeXml(e.Detail)}</Detail></Error>`,
    )
    .join('');
  sendXml(res, status, `<Fault type="${escapeXml(fault.type)}">${errors}</Fault>`, new Date(nowMs).toISOString(), headers);
}

/** A QBO API answer: JSON when `Accept: application/json`, otherwise XML (IntuitResponse), as QBO does. */
export function sendQbo(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  if (wantsJson(req)) return sendJson(res, status, body, headers);
  const { time, ...rest } = body;
  sendXml(res, status, toXml(rest), time === undefined ? undefined : String(time), headers);
}

function sendXml(res: ServerResponse, status: number, inner: string, time: string | undefined, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"${time !== undefined ? ` time="${escapeXml(time)}"` : ''}>${inner}</IntuitResponse>`;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-type', XML_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(xml));
  res.statusCode = status;
  res.end(xml);
}

/** Elements from an object; arrays repeat their element. */
function toXml(value: Record<string, unknown>): string {
  let out = '';
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      out +=
        item !== null && typeof item === 'object'
          ? `<${key}>${toXml(item as Record<string, unknown>)}</${key}>`
          : `<${key}>${escapeXml(String(item))}</${key}>`;
    }
  }
  return out;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}
