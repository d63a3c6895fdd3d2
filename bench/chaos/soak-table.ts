import type { ChaosReport } from './chaos-report';

/** One short run of a soak, as the table shows it. */
export interface SoakRow {
  run: number;
  lossesExplained: number;
  lossesUnexplained: number;
  supersededExplained: number;
  supersededUnexplained: number;
  /** Explained losses by cause, e.g. "drop 2, killed_in_flight 1". */
  causes: string;
  kills: number;
  naiveCaught: boolean;
  durationS: number;
  passed: boolean;
}

export function soakRow(run: number, report: ChaosReport): SoakRow {
  const lost = report.module.checks.find((c) => c.name === 'connections lost');
  const sup = report.module.checks.find((c) => c.name === 'superseded refresh-token uses');
  const causes = Object.entries(report.module.attribution?.lossCauses ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return {
    run,
    lossesExplained: lost?.explained ?? 0,
    lossesUnexplained: report.module.attribution?.unexplainedLosses.length ?? lost?.violations ?? 0,
    supersededExplained: sup?.explained ?? 0,
    supersededUnexplained: report.module.attribution?.unexplainedSuperseded.length ?? sup?.violations ?? 0,
    causes: causes || '-',
    kills: report.module.counters.kills ?? 0,
    naiveCaught: (report.naive?.violations ?? 0) > 0,
    durationS: report.durationS,
    passed: report.passed,
  };
}

/** The soak table (markdown, pasted into docs/benchmarks.md) and its summary line. */
export function renderSoakTable(rows: SoakRow[]): string {
  const header = [
    'run',
    'losses explained',
    'losses unexplained',
    'superseded explained',
    'superseded unexplained',
    'explained losses by cause',
    'kills',
    'naive caught',
    'duration',
    'verdict',
  ];
  const cells = rows.map((r) => [
    String(r.run),
    String(r.lossesExplained),
    String(r.lossesUnexplained),
    String(r.supersededExplained),
    String(r.supersededUnexplained),
    r.causes,
    String(r.kills),
    r.naiveCaught ? 'yes' : 'NO',
    `${r.durationS} s`,
    r.passed ? 'PASS' : 'FAIL',
  ]);
  const w = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(w[i])).join(' | ')} |`;
  const sum = (f: (r: SoakRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  const passed = rows.filter((r) => r.passed).length;
  const summary =
    `soak: ${passed}/${rows.length} runs passed; losses ${sum((r) => r.lossesExplained)} explained, ${sum((r) => r.lossesUnexplained)} unexplained; ` +
    `superseded uses ${sum((r) => r.supersededExplained)} explained, ${sum((r) => r.supersededUnexplained)} unexplained; ` +
    `naive caught ${rows.filter((r) => r.naiveCaught).length}/${rows.length}; ${sum((r) => r.kills)} kills; ${sum((r) => r.durationS)} s in all`;
  return [line(header), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...cells.map(line), '', summary].join('\n');
}
