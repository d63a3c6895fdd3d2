/** One check of a chaos run: the value seen, how much of it is allowed, and whether it passed. */
export interface ChaosCheck {
  name: string;
  value: number;
  /** Part of `value` explained by an injected unrecoverable fault (counted apart, allowed). */
  explained?: number;
  violations: number;
  detail?: string;
}

export interface ChaosSideReport {
  label: string;
  checks: ChaosCheck[];
  violations: number;
  counters: Record<string, number>;
  /** Module side only: why each loss and superseded-token use happened (see attribution.ts). */
  attribution?: {
    lossCauses: Record<string, number>;
    /** Lost rows by final state (status:lastErrorCode, or active:diverged). */
    lossRows: Record<string, number>;
    supersededCauses: Record<string, number>;
    unexplainedLosses: string[];
    unexplainedSuperseded: string[];
    reasonMismatches: string[];
    /** Modes that must lose nothing: what happened to each lost connection. */
    lossTraces?: string[];
  };
}

export interface ChaosReport {
  options: unknown;
  module: ChaosSideReport;
  naive: ChaosSideReport | null;
  /** True when the module had 0 violations and the naive control had at least one. */
  passed: boolean;
  durationS: number;
}

export function renderChaosTable(report: ChaosReport): string {
  const names = report.module.checks.map((c) => c.name);
  const naive = new Map((report.naive?.checks ?? []).map((c) => [c.name, c]));
  const cell = (c: ChaosCheck | undefined) =>
    c ? `${c.value}${c.explained ? ` (${c.explained} explained)` : ''}${c.violations ? ` ✗${c.violations}` : ' ✓'}` : 'n/a';
  const rows = names.map((n) => [n, cell(report.module.checks.find((c) => c.name === n)), cell(naive.get(n))]);
  const header = ['check', 'module', 'naive control'];
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  const counters = (s: ChaosSideReport) =>
    Object.entries(s.counters)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  return [
    line(header),
    `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`,
    ...rows.map(line),
    '',
    `module: ${report.module.violations} violations; ${counters(report.module)}`,
    report.naive ? `naive:  ${report.naive.violations} violations; ${counters(report.naive)}` : 'naive:  skipped',
    `verdict: ${report.passed ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}
