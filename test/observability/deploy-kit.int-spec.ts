import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuickBooksMetric } from '@quickbooks-auth/nestjs';
import { promtool } from './promtool';

const ROOT = join(__dirname, '..', '..');
const RULES = join(ROOT, 'deploy/prometheus/quickbooks-auth.rules.yml');
const RULE_TESTS = join(ROOT, 'deploy/prometheus/quickbooks-auth.rules.test.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/quickbooks-auth.dashboard.json');
const DOCS = join(ROOT, 'docs/monitoring.md');

/** Series names the module can expose: every metric, plus a histogram's _bucket/_sum/_count. */
const KNOWN_SERIES = new Set(
  Object.values(QuickBooksMetric).flatMap((name) =>
    name.endsWith('_seconds') && name.includes('duration') ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
  ),
);
const referenced = (text: string) => [...new Set(text.match(/\bquickbooks_[a-z0-9_]+/g) ?? [])];

interface Panel {
  type: string;
  id: number;
  title: string;
  targets?: Array<{ expr: string; refId: string }>;
}

describe('deploy kit (Prometheus rules, Grafana dashboard, docs)', () => {
  const rules = readFileSync(RULES, 'utf8');
  const alerts = [...rules.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]);

  it('rules pass promtool check rules and their unit tests', () => {
    const check = promtool(['check', 'rules', RULES]);
    expect(check.output).toContain('SUCCESS');
    expect(check.status).toBe(0);
    const unit = promtool(['test', 'rules', RULE_TESTS]);
    expect(unit.output).toContain('SUCCESS');
    expect(unit.status).toBe(0);
  });

  it('rules reference only metrics the module exports, and cover the required alerts', () => {
    expect(referenced(rules).filter((n) => !KNOWN_SERIES.has(n))).toEqual([]);
    expect(alerts).toEqual(
      expect.arrayContaining([
        'QuickBooksRefreshFailuresRising',
        'QuickBooksCircuitBreakerOpen',
        'QuickBooksAccessTokensNearExpiryUnrefreshed',
        'QuickBooksRefreshTokenNearRollingExpiry',
        'QuickBooksRefreshTokensNearingExpiry',
        'QuickBooksSchedulerStalled',
        'QuickBooksConnectionsNeedingReauthRising',
      ]),
    );
    for (const alert of alerts) expect(rules).toContain(`runbook: docs/monitoring.md#${alert.toLowerCase()}`);
  });

  it('dashboard is valid JSON whose panels query only existing metrics, and shows every metric', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[] };
    expect(dashboard.uid).toBe('quickbooks-auth');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const queries = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queries.length).toBeGreaterThan(10);
    const exprs: string[] = [];
    for (const panel of queries) {
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const t of panel.targets!) {
        expect(t.refId).toMatch(/^[A-Z]$/);
        exprs.push(t.expr);
      }
    }
    const used = referenced(exprs.join('\n'));
    expect(used.filter((n) => !KNOWN_SERIES.has(n))).toEqual([]);
    expect(Object.values(QuickBooksMetric).filter((name) => !exprs.some((e) => e.includes(name)))).toEqual([]);
  });

  it('docs/monitoring.md documents every metric and has a runbook section for every alert', () => {
    const docs = readFileSync(DOCS, 'utf8');
    expect(Object.values(QuickBooksMetric).filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
    const headings = new Set([...docs.matchAll(/^#{2,4} (\w+)\s*$/gm)].map((m) => m[1]));
    expect(alerts.filter((a) => !headings.has(a))).toEqual([]);
  });
});
