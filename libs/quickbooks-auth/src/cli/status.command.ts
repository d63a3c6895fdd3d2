import { CONNECTION_STATUSES } from '../domain/connection.interface';
import type { StorageStats, TokenStorage } from '../auth/storage/token-storage.interface';
import type { ResolvedQuickBooksAuthOptions } from '../config/resolved-options';
import { QUICKBOOKS_AUTH_RESOLVED_OPTIONS, QUICKBOOKS_TOKEN_STORAGE } from '../quickbooks-auth.constants';
import type { CliCommand } from './cli-command';
import { openConfiguredModule } from './configured-module';
import { describeError } from './database-target';
import { ExitCode } from './exit-codes';
import { parseCommandLine, positiveInteger } from './parse-command-line';
import { describeStore } from './store-description';

const USAGE = `usage: quickbooks-auth status [--json] [--within-seconds N]

What the configured store holds: connections by state, the soonest access-token and refresh-token
expiries, access tokens expiring soon, and stale leases (held past their expiry by a process that
died). Reads the same variables as the app (QB_STORAGE, DATABASE_URL, REDIS_URL, ...); changes nothing.

  --json              one JSON object on stdout (dates as ISO 8601, null when there is none)
  --within-seconds N  window for "expiring soon" (default QB_REFRESH_LEAD_SECONDS, else 1800)
  -h, --help          this text

Exit codes: 0 read, 1 the store could not be read, 2 bad option or variable.`;

/** What `status --json` prints. */
export interface StatusReport {
  store: string;
  at: string;
  total: number;
  byStatus: StorageStats['byStatus'];
  soonestAccessExpiry: string | null;
  soonestRefreshExpiry: string | null;
  withinSeconds: number;
  accessExpiringSoon: number;
  accessExpired: number;
  staleLeases: number;
}

function inWords(at: string | null, now: number): string {
  if (!at) return 'none';
  const ms = Date.parse(at) - now;
  const abs = Math.abs(ms);
  const span =
    abs >= 86_400_000
      ? `${Math.round(abs / 86_400_000)} d`
      : abs >= 3_600_000
        ? `${Math.round(abs / 3_600_000)} h`
        : `${Math.round(abs / 60_000)} min`;
  return `${at} (${ms >= 0 ? `in ${span}` : `${span} ago`})`;
}

function asText(r: StatusReport, now: number): string {
  const width = Math.max(...CONNECTION_STATUSES.map((s) => s.length));
  return [
    `QuickBooks connections on ${r.store}: ${r.total}`,
    ...CONNECTION_STATUSES.map((s) => `  ${s.padEnd(width)}  ${r.byStatus[s] ?? 0}`),
    `Soonest access-token expiry:  ${inWords(r.soonestAccessExpiry, now)}`,
    `Soonest refresh-token expiry: ${inWords(r.soonestRefreshExpiry, now)}`,
    `Access tokens expiring within ${r.withinSeconds} s: ${r.accessExpiringSoon} (already expired: ${r.accessExpired})`,
    `Stale leases: ${r.staleLeases}`,
    '',
  ].join('\n');
}

/** `quickbooks-auth status`: the store at a glance, for operators and scripts. */
export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'connections by state, soonest expiries and stale leases (--json)',
  usage: USAGE,
  async run(argv, io) {
    const flags = parseCommandLine(argv, {
      json: { type: 'boolean' },
      'within-seconds': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (flags.help) {
      io.out(`${USAGE}\n`);
      return ExitCode.ok;
    }
    const within = flags['within-seconds'] as string | undefined;
    if (within !== undefined) positiveInteger('--within-seconds', within, 0);
    const { app, options } = await openConfiguredModule(io.env);
    const store = describeStore(options.storage);
    try {
      // Default: the refresh lead time as the module resolved it (the schema's default when unset).
      const { refreshLeadSeconds } = app.get<ResolvedQuickBooksAuthOptions>(QUICKBOOKS_AUTH_RESOLVED_OPTIONS);
      const withinSeconds = positiveInteger('--within-seconds', within, refreshLeadSeconds);
      const now = Date.now();
      const stats = await app.get<TokenStorage>(QUICKBOOKS_TOKEN_STORAGE).stats(new Date(now), withinSeconds * 1000);
      const report: StatusReport = {
        store,
        at: new Date(now).toISOString(),
        total: Object.values(stats.byStatus).reduce((a, b) => a + b, 0),
        byStatus: stats.byStatus,
        soonestAccessExpiry: stats.soonestAccessExpiry?.toISOString() ?? null,
        soonestRefreshExpiry: stats.soonestRefreshExpiry?.toISOString() ?? null,
        withinSeconds,
        accessExpiringSoon: stats.accessExpiringSoon,
        accessExpired: stats.accessExpired,
        staleLeases: stats.staleLeases,
      };
      io.out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : asText(report, now));
      return ExitCode.ok;
    } catch (err) {
      io.err(`Could not read ${store}: ${describeError(err)}\n`);
      return ExitCode.failed;
    } finally {
      await app.close();
    }
  },
};
