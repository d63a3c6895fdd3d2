// docs/monitoring.md: pino redaction (the lines shown there follow the first import).
import { LoggerModule } from 'nestjs-pino';
import { quickBooksPinoHttpOptions, QUICKBOOKS_PINO_REDACT_PATHS } from '@quickbooks-auth/nestjs';

LoggerModule.forRoot({ pinoHttp: quickBooksPinoHttpOptions({ level: 'info' }) });
// extra paths are added to ours: quickBooksPinoHttpOptions({ redact: ['req.headers["x-tenant-token"]'] })

export const redactPaths = QUICKBOOKS_PINO_REDACT_PATHS;
