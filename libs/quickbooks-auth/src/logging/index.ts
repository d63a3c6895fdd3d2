export { QUICKBOOKS_PINO_REDACT_PATHS, QUICKBOOKS_REDACTED, quickBooksPinoHttpOptions, redactUrlQuery } from './pino-redaction';
