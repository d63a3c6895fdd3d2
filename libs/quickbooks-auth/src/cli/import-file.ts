import type { ImportedConnection } from '../auth/import/imported-connection';

/** One data line of an import file: its 1-based line number and its fields, or why it cannot be read. */
export type ImportLine = { line: number; row: ImportedConnection } | { line: number; problem: string };

/** snake_case names (as intuit-oauth and most tables have them) for the ImportedConnection fields. */
const ALIASES: Record<string, keyof ImportedConnection> = {
  tenant_id: 'tenantId',
  realm_id: 'realmId',
  realmid: 'realmId',
  refresh_token: 'refreshToken',
  access_token: 'accessToken',
  access_token_expires_at: 'accessTokenExpiresAt',
  refresh_token_expires_at: 'refreshTokenExpiresAt',
  refresh_token_hard_expires_at: 'refreshTokenHardExpiresAt',
};
const FIELDS = new Set<string>([
  'tenantId',
  'realmId',
  'environment',
  'refreshToken',
  'accessToken',
  'accessTokenExpiresAt',
  'refreshTokenExpiresAt',
  'refreshTokenHardExpiresAt',
  'scopes',
]);

function fieldName(name: string): string | null {
  const n = name.trim();
  if (FIELDS.has(n)) return n;
  return ALIASES[n.toLowerCase()] ?? null;
}

/** JSON lines: one object per line; blank lines are skipped. Problems name the line, never its content. */
export function parseJsonLines(text: string): ImportLine[] {
  const out: ImportLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      out.push({ line, problem: 'not valid JSON' });
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      out.push({ line, problem: 'not a JSON object' });
      return;
    }
    const row: Record<string, unknown> = {};
    const unknown: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const f = fieldName(k);
      if (f) row[f] = v;
      else unknown.push(k);
    }
    if (unknown.length) out.push({ line, problem: `unknown field(s) ${unknown.map((u) => JSON.stringify(u.slice(0, 40))).join(', ')}` });
    else out.push({ line, row: row as unknown as ImportedConnection });
  });
  return out;
}

/**
 * CSV (RFC 4180 quoting, one record per line): a header naming the fields, then one connection per
 * line; blank lines are skipped. A header with an unknown column is refused as a whole.
 */
export function parseCsv(text: string): { lines: ImportLine[] } | { headerProblem: string } {
  const rows = text.split(/\r?\n/);
  const headerIndex = rows.findIndex((r) => r.trim() !== '');
  if (headerIndex < 0) return { lines: [] };
  const header = splitCsvLine(rows[headerIndex]);
  if (!header) return { headerProblem: `line ${headerIndex + 1}: the header has an unclosed quote` };
  const names = header.map(fieldName);
  const unknown = header.filter((_, i) => names[i] === null);
  if (unknown.length)
    return { headerProblem: `line ${headerIndex + 1}: unknown column(s) ${unknown.map((u) => JSON.stringify(u.slice(0, 40))).join(', ')}` };
  const lines: ImportLine[] = [];
  for (let i = headerIndex + 1; i < rows.length; i++) {
    const line = i + 1;
    if (!rows[i].trim()) continue;
    const cells = splitCsvLine(rows[i]);
    if (!cells) {
      lines.push({ line, problem: 'unclosed quote (a field may not span lines)' });
      continue;
    }
    if (cells.length !== names.length) {
      lines.push({ line, problem: `${cells.length} field(s), the header has ${names.length}` });
      continue;
    }
    const row: Record<string, unknown> = {};
    names.forEach((n, j) => {
      if (cells[j] !== '') row[n!] = cells[j];
    });
    lines.push({ line, row: row as unknown as ImportedConnection });
  }
  return { lines };
}

/** One CSV line's fields, or null when a quote is not closed. */
function splitCsvLine(line: string): string[] | null {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  if (quoted) return null;
  cells.push(cell.trim());
  return cells;
}
