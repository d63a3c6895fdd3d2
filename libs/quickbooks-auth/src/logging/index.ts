export {
  QUICKBOOKS_PINO_REDACT_PATHS,
  QUICKBOOKS_REDACTED,
  quickBooksPinoHttpOptions,
  redactUrlQuery,
  type PinoCensor,
  type QuickBooksPinoHttpOverrides,
  type QuickBooksPinoHttpOptions,
} from './pino-redaction';
