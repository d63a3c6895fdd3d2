/**
 * docs/configuration.md states what the options schema holds: its table of environment variables
 * has the same variables, each on the option it sets, with the schema's default where it has one;
 * its "every option with its default" sample (docs/examples/all-options.ts) has the schema's defaults.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { moduleOptionsSchema } from '@quickbooks-auth/nestjs/config/schema/module-options.schema';
import { listEnvVariables } from '@quickbooks-auth/nestjs/config/schema/read-env';
import { DEFAULT_SCOPES } from '@quickbooks-auth/nestjs/quickbooks-auth.constants';
import { options as allOptions } from '../../docs/examples/all-options';

/** The schema's output for the required options alone: every default filled in. */
const defaults = moduleOptionsSchema.parse({
  clientId: 'id',
  clientSecret: 'secret',
  redirectUri: 'https://app.example.com/cb',
  encryptionKeys: `k1:${randomBytes(32).toString('base64')}`,
  stateSecret: randomBytes(32).toString('base64url'),
  storage: { type: 'memory' },
}) as unknown as Record<string, unknown>;
const at = (path: string) => path.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], defaults);

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
const section = doc.slice(doc.indexOf('## Environment variables'), doc.indexOf('\n## ', doc.indexOf('## Environment variables') + 3));
const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| `([\w.]+)`[^|]*\| ([^|]+) \|/gm)].map(([, env, path, fallback]) => ({
  env,
  path,
  fallback: fallback.trim(),
}));

describe('docs/configuration.md environment variables', () => {
  const variables = listEnvVariables(moduleOptionsSchema);

  it("lists exactly the schema's variables, each on its option", () => {
    expect(rows.length).toBeGreaterThan(20);
    const key = (v: { env: string; path: string }) => `${v.env} → ${v.path}`;
    expect(rows.map(key).sort()).toEqual(variables.map(key).sort());
  });

  it("states the schema's defaults", () => {
    const given = ['clientId', 'clientSecret', 'redirectUri', 'encryptionKeys', 'stateSecret'];
    let checked = 0;
    for (const row of rows.filter((r) => !given.includes(r.path))) {
      const variable = variables.find((v) => v.env === row.env)!;
      const value = variable.fallback ?? at(row.path);
      if (value === undefined || typeof value === 'object') continue;
      expect({ env: row.env, default: row.fallback }).toEqual({ env: row.env, default: `\`${String(value)}\`` });
      checked += 1;
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe('docs/examples/all-options.ts ("every option, with its default")', () => {
  /** Set to show a value rather than the default (the comment beside each says the default). */
  const examples = ['clientId', 'clientSecret', 'redirectUri', 'encryptionKeys', 'stateSecret', 'storage', 'environment', 'reconnectUrl'];
  /** Defaults derived from other options, not held by the schema (checked in quickbooks.config.spec.ts). */
  const derived: Record<string, unknown> = { scopes: DEFAULT_SCOPES, 'scheduler.tickBudgetSeconds': 60 };

  const leaves = (node: Record<string, unknown>, path: string[] = []): Array<[string, unknown]> =>
    Object.entries(node).flatMap(([key, value]) => {
      const at = [...path, key];
      return value && typeof value === 'object' && !Array.isArray(value)
        ? leaves(value as Record<string, unknown>, at)
        : [[at.join('.'), value] as [string, unknown]];
    });

  it("gives every option the schema's default", () => {
    const shown = leaves(allOptions as unknown as Record<string, unknown>).filter(([path]) => !examples.includes(path.split('.')[0]));
    expect(shown.length).toBeGreaterThan(35);
    for (const [path, value] of shown) expect({ path, value }).toEqual({ path, value: path in derived ? derived[path] : at(path) });
  });
});
