import type { ConnectionSummary } from '../domain/connection.interface';

/** What `TokenService.listConnections` takes for a reconnect campaign (all tenants: an operator's query). */
export interface ReconnectCampaignQuery {
  /** Connections whose hard expiry (the 5-year cap) falls within this many days from now (0 to 3650; fractions allowed). */
  needsReconnectWithinDays: number;
  /** `nextCursor` of the previous page; omit for the first. */
  cursor?: string | null;
  /** Page size, 1 to 1000 (default 100). */
  limit?: number;
}

/** One connection a reconnect campaign should reach: its summary, deadline and reconnect link. */
export interface ReconnectCandidate extends ConnectionSummary {
  /** The hard expiry: after it Intuit refuses the refresh token whatever happens. */
  reconnectBy: Date;
  /** Where the customer reconnects (the `reconnectUrl` option), or null when it is not set. */
  reconnectUrl: string | null;
  /** The nearest warning horizon (days) already sent for this grant, or null. */
  warnedDays: number | null;
}

/** A page of the campaign, soonest deadline first. */
export interface ReconnectCampaignPage {
  connections: ReconnectCandidate[];
  /** Pass as `cursor` for the next page; null after the last one. */
  nextCursor: string | null;
}
