import type { EmulatorLedger, LedgerRotation, LedgerSupersededUse } from './emulator-ledger';
import type { ProtocolLog, SentCall } from './protocol-log';

/**
 * How a rotation provably died (no process holds its token and the row never will):
 * - drop: the emulator rotated, then destroyed the response (drop_after_rotate);
 * - killed_after_receipt: every replica that reported receiving it was SIGKILLed afterwards;
 * - killed_in_flight: nobody reported receiving it, and the replica that sent the request was
 *   SIGKILLed after sending, with no answer reported.
 * paused_past_lease is not a death: a superseded use made while the rotation's holder (or the
 * sender itself) sat under a SIGSTOP long enough to outlast the lease margin (U4 in
 * docs/reliability.md); impossible when pauses stay shorter than that.
 */
export type DeathCause = 'drop' | 'killed_after_receipt' | 'killed_in_flight';
export type Explanation = DeathCause | 'paused_past_lease';

export type Verdict = { explained: true; cause: Explanation; at: number } | { explained: false; why: string };

/** Exact attribution of losses and superseded-token uses, from the emulator's ledger and what replicas reported. */
export class Attribution {
  private readonly deaths = new Map<LedgerRotation, Verdict>();

  constructor(
    private readonly ledger: EmulatorLedger,
    private readonly log: ProtocolLog,
    /** A SIGSTOP at least this long can outlast the lease margin (lease TTL − token-call budget). */
    private readonly longPauseMs: number,
    private readonly leaseTtlMs: number,
  ) {}

  /** A row holding `rowFp` while the emulator moved on: did the rotation that superseded it die? */
  loss(rowFp: string): Verdict {
    const r = this.ledger.rotationFrom.get(rowFp);
    if (!r) return { explained: false, why: 'the stored token was never rotated by the emulator' };
    return this.death(r);
  }

  /** A superseded token was presented: explained only if its successor was already dead (or by a long pause). */
  superseded(u: LedgerSupersededUse): Verdict {
    const r = this.ledger.rotationFrom.get(u.presentedFp);
    if (!r) return { explained: false, why: 'no rotation superseded the presented token' };
    // Judged as of the use: inside a grace window the use itself hands the new token back, and
    // that later receipt must not decide whether the token was already dead.
    const d = this.judge(r, u.at);
    if (d.explained) return d;
    const holders = new Set(this.receiptsBefore(r, u.at).map((x) => x.replica));
    const requester = this.requester(r.presentedFp, r.at);
    if (requester) holders.add(requester.replica);
    const sender = this.requester(u.presentedFp, u.at);
    const long = (replica: string, from: number, to: number) =>
      this.log.pauses.some((p) => p.replica === replica && p.to - p.from >= this.longPauseMs && p.from <= to && p.to >= from);
    if ([...holders].some((h) => long(h, u.at, u.at))) return { explained: true, cause: 'paused_past_lease', at: u.at };
    if (sender && long(sender.replica, sender.at - this.leaseTtlMs, u.at)) return { explained: true, cause: 'paused_past_lease', at: u.at };
    return d;
  }

  /** How rotation `r` died by the end of the run, if it provably did. */
  death(r: LedgerRotation): Verdict {
    let v = this.deaths.get(r);
    if (!v) {
      v = this.judge(r, Infinity);
      this.deaths.set(r, v);
    }
    return v;
  }

  /** Was rotation `r` provably dead at time `t` (every receipt and kill up to `t`)? */
  private judge(r: LedgerRotation, t: number): Verdict {
    const receipts = this.receiptsBefore(r, t);
    if (receipts.length > 0) {
      let at = 0;
      for (const x of receipts) {
        const k = this.log.killedAfter(x.replica, x.at);
        if (!k || k.at > t)
          return {
            explained: false,
            why: `received by ${x.replica}, which was not killed${t === Infinity ? ', and never stored' : ' before the use'}`,
          };
        at = Math.max(at, k.at);
      }
      return { explained: true, cause: 'killed_after_receipt', at };
    }
    if (r.dropped) return { explained: true, cause: 'drop', at: r.at };
    const q = this.requester(r.presentedFp, r.at);
    if (!q) return { explained: false, why: 'rotated, but no replica reported sending the token' };
    if (q.answer && q.answer.at <= t)
      return { explained: false, why: `rotated, but ${q.replica} got ${q.answer.error ?? 'an unrotated answer'} without a drop` };
    const k = this.log.killedAfter(q.replica, q.at);
    if (!k || k.at > t)
      return {
        explained: false,
        why: `rotated while in flight at ${q.replica}, which was not killed${t === Infinity ? ' and never answered' : ' before the use'}`,
      };
    return { explained: true, cause: 'killed_in_flight', at: k.at };
  }

  private receiptsBefore(r: LedgerRotation, t: number): Array<{ replica: string; at: number }> {
    return (this.log.receipts.get(r.toFp) ?? []).filter((x) => x.at <= t);
  }

  /**
   * For a report: every call that presented `fp` (who, when, what came back) and the rotation of
   * it, relative to the rotation's commit. Fingerprint prefixes only, never a token.
   */
  trace(fp: string): string {
    const r = this.ledger.rotationFrom.get(fp);
    const t0 = r?.at ?? 0;
    const calls = this.log.calls
      .filter((c) => c.sentFp === fp)
      .map(
        (c) =>
          `${c.replica} sent ${c.at - t0} ms → ${c.answer ? (c.answer.error ?? (c.answer.newFp ? 'rotated' : 'same')) + ` at ${c.answer.at - t0}` : 'no answer'}`,
      );
    const kills = this.log.kills
      .filter((k) => calls.some((c) => c.startsWith(`${k.replica} `)))
      .map((k) => `${k.replica} killed (${k.cause}) ${k.at - t0} ms`);
    return `rotation ${r ? `${r.dropped ? 'dropped' : 'delivered'} at 0` : 'none'}; ${[...calls, ...kills].join('; ')}`;
  }

  /** The call presenting `fp` that was out at `at` (latest sent before it, not answered before it). */
  private requester(fp: string, at: number): SentCall | null {
    let best: SentCall | null = null;
    for (const c of this.log.calls) {
      if (c.sentFp !== fp || c.at > at || (c.answer && c.answer.at < at)) continue;
      if (!best || c.at > best.at) best = c;
    }
    return best;
  }
}
