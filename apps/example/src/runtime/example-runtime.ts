import type { QuickBooksAuthModuleOptions } from '@quickbooks-auth/nestjs';
import type { RunningEmulator } from '@quickbooks-auth/intuit-emulator';
import type { ApiKeyRegistry } from '../auth/api-key.registry';

/** Injection token of the ExampleRuntime. */
export const EXAMPLE_RUNTIME = Symbol('EXAMPLE_RUNTIME');

/** Demo-only facts the banner and the grant restorer need. */
export interface DemoDetails {
  apiKey: string;
  tenantId: string;
  dataDir: string;
  secretsPath: string;
  /** Null when the demo was pointed at another store (QB_STORAGE). */
  sqlitePath: string | null;
  emulator: RunningEmulator;
}

/**
 * Everything decided before Nest boots: which mode, where Intuit is, who may call.
 * Built once by resolveRuntime() so the module graph itself has no mode branches beyond this.
 */
export interface ExampleRuntime {
  mode: 'demo' | 'live';
  port: number;
  /** Interface to listen on: loopback in demo mode, every interface (undefined) in live mode, unless HOST says otherwise. */
  host: string | undefined;
  /** Express `trust proxy` (EXAMPLE_TRUST_PROXY): which hops' X-Forwarded-* to believe for the client IP and https. */
  trustProxy: boolean | number | string;
  /** Where browsers reach this app; the redirect URI and reconnect links derive from it. */
  publicUrl: string;
  /** Explicit module options (demo, tests), or null to read QB_* env through quickBooksConfig. */
  quickBooksOptions: QuickBooksAuthModuleOptions | null;
  apiKeys: ApiKeyRegistry;
  cookieSecret: string;
  /** Secure cookies always (public URL is https); otherwise only on requests that arrived over https. */
  secureCookies: boolean;
  logLevel: string;
  /** Where request and app logs go (default stdout); tests capture them to scan for secrets. */
  logDestination?: { write(line: string): unknown };
  demo: DemoDetails | null;
}
