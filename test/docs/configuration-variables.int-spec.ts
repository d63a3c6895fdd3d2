/**
 * docs/configuration.md's table of environment variables is the options schema's, written out:
 * the same variables, each on the option it sets, with the schema's default where it has one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { moduleOptionsSchema } from '../../libs/quickbooks-auth/src/config/schema/module-options.schema';
import { listEnvVariables } from '../../libs/quickbooks-auth/src/config/schema/read-env';

const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
const section = doc.slice(doc.indexOf('## Environment variables'), doc.indexOf('\n## ', doc.indexOf('## Environment variables') + 3));
const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| `([\w.]+)`[^|]*\| ([^|]+) \|/gm)].map(([, env, path, fallback]) => ({ env, path, fallback: fallback.trim() }));

describe('docs/configuration.md environment variables', () => {
  const variables = listEnvVariables(moduleOptionsSchema);

  it('lists exactly the schema\'s variables, each on its option', () => {
    expect(rows.length).toBeGreaterThan(20);
    const key = (v: { env: string; path: string }) => `${v.env} → ${v.path}`;
    expect(rows.map(key).sort()).toEqual(variables.map(key).sort());
  });

  it("states the schema's defaults", () => {
    const parsed = moduleOptionsSchema.parse({
      clientId: 'id',
      clientSecret: 'secret',
      redirectUri: 'https://app.example.com/cb',
      encryptionKeys: `k1:${randomBytes(32).toString('base64')}`,
      stateSecret: randomBytes(32).toString('base64url'),
      storage: { type: 'memory' },
    }) as unknown as Record<string, unknown>;
    const at = (path: string) => path.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], parsed);
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
