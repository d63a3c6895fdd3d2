import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One line of the results table: a measured figure, its same-run baseline and the target. */
export interface Figure {
  section: string;
  metric: string;
  value: number;
  unit: string;
  baseline?: number;
  baselineLabel?: string;
  /** value / baseline, or the figure itself when it is already a ratio or a count. */
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

const fmt = (n: number | undefined, unit = ''): string => {
  if (n === undefined || Number.isNaN(n)) return '';
  const abs = Math.abs(n);
  const s = abs >= 1000 ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : abs >= 0.01 || abs === 0 ? n.toFixed(2) : n.toExponential(1);
  return unit ? `${s} ${unit}` : s;
};

/** Plain-text table for the terminal (and pasted into docs/benchmarks.md). */
export function renderTable(figures: Figure[]): string {
  const header = ['section', 'metric', 'value', 'baseline', 'ratio', 'target', 'met'];
  const rows = figures.map((f) => [
    f.section,
    f.metric,
    fmt(f.value, f.unit),
    f.baseline === undefined ? '' : `${fmt(f.baseline, f.unit)}${f.baselineLabel ? ` (${f.baselineLabel})` : ''}`,
    f.ratio === undefined ? '' : `${fmt(f.ratio)}x`,
    f.target ?? '',
    f.met === undefined ? '' : f.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Writes `bench/results/<name>-<timestamp>.json` (and `<name>-latest.json`); returns the path. */
export function writeResults(name: string, payload: unknown): string {
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `${name}-${stamp}.json`);
  const body = JSON.stringify(payload, null, 2);
  writeFileSync(file, body);
  writeFileSync(join(dir, `${name}-latest.json`), body);
  return file;
}
