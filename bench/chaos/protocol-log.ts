import type { ProtocolEvent } from '../lib/replica-protocol';

export interface SentCall {
  replica: string;
  call: number;
  sentFp: string;
  at: number;
  answer: { at: number; newFp: string | null; error: string | null } | null;
}

export type KillCause = 'random' | 'receipt' | 'stop_timeout';

/**
 * What the chaos parent heard and did, on one wall clock: the replicas' token calls and received
 * rotations (reported over IPC as they happened), and every SIGKILL and SIGSTOP it sent.
 */
export class ProtocolLog {
  readonly calls: SentCall[] = [];
  /** newFp → who reported receiving it, and when. */
  readonly receipts = new Map<string, Array<{ replica: string; at: number }>>();
  readonly kills: Array<{ replica: string; at: number; cause: KillCause }> = [];
  readonly pauses: Array<{ replica: string; from: number; to: number }> = [];
  /** RefreshSignal kinds (with reasons) seen across replicas. */
  readonly signals: Record<string, number> = {};
  private readonly open = new Map<string, SentCall>();

  record(replica: string, e: ProtocolEvent): void {
    switch (e.kind) {
      case 'sent': {
        const c: SentCall = { replica, call: e.call, sentFp: e.sentFp, at: e.at, answer: null };
        this.calls.push(c);
        this.open.set(`${replica}#${e.call}`, c);
        return;
      }
      case 'answered': {
        const c = this.open.get(`${replica}#${e.call}`);
        this.open.delete(`${replica}#${e.call}`);
        if (c) c.answer = { at: e.at, newFp: e.newFp, error: e.error };
        if (e.newFp) this.receive(replica, e.newFp, e.at);
        return;
      }
      case 'rotation_received':
        this.receive(replica, e.newFp, e.at);
        this.signals.rotation_received = (this.signals.rotation_received ?? 0) + 1;
        return;
      case 'signal':
        this.signals[e.name] = (this.signals[e.name] ?? 0) + 1;
        if (e.count !== undefined) this.signals[`${e.name}_refreshes`] = (this.signals[`${e.name}_refreshes`] ?? 0) + e.count;
    }
  }

  kill(replica: string, cause: KillCause): void {
    this.kills.push({ replica, at: Date.now(), cause });
  }

  /** The first SIGKILL of `replica` at or after `at`, if any. */
  killedAfter(replica: string, at: number): { at: number; cause: KillCause } | null {
    return this.kills.find((k) => k.replica === replica && k.at >= at) ?? null;
  }

  private receive(replica: string, newFp: string, at: number): void {
    const list = this.receipts.get(newFp) ?? [];
    if (!list.some((r) => r.replica === replica)) list.push({ replica, at });
    this.receipts.set(newFp, list);
  }
}
