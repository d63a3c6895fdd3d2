import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/**
 * The library is a package of its own: compiled with its own tsconfig (declarations, no path
 * aliases left), loadable from plain Node with only its dependencies, with a manifest that
 * declares Nest as a peer.
 */
describe('@quickbooks-auth/nestjs as a publishable package', () => {
  let out: string;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'qb-lib-'));
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'libs/quickbooks-auth/tsconfig.lib.json', '--outDir', out], { cwd: ROOT, stdio: 'pipe' });
    // Resolve its imports from the repo's node_modules, as an installed package would from the host's.
    symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  }, 120_000);

  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('ships declarations and no in-repo path aliases or specs', () => {
    const files = filesUnder(out).filter((f) => !f.includes('node_modules'));
    expect(existsSync(join(out, 'index.d.ts'))).toBe(true);
    expect(files.filter((f) => f.endsWith('.spec.js'))).toEqual([]);
    const aliased = files.filter((f) => f.endsWith('.js') && /require\("@quickbooks-auth\//.test(readFileSync(f, 'utf8')));
    expect(aliased).toEqual([]);
  });

  it('loads in plain Node and exposes the public API', () => {
    const script = `const lib = require(${JSON.stringify(out)}); console.log(JSON.stringify(['QuickBooksAuthModule','TokenService','ConnectService','quickBooksConfig','QuickBooksHealthIndicator','QUICKBOOKS_AUTH_MYSQL_MIGRATIONS'].map((k) => typeof lib[k])));`;
    const printed = execFileSync(process.execPath, ['-e', script], { cwd: tmpdir(), encoding: 'utf8' });
    expect(JSON.parse(printed)).toEqual(['function', 'function', 'function', 'function', 'function', 'object']);
  });

  it('declares Nest as a peer and its own runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'libs/quickbooks-auth/package.json'), 'utf8'));
    expect(manifest.name).toBe('@quickbooks-auth/nestjs');
    expect(manifest.types).toBe('index.d.ts');
    expect(manifest.peerDependencies['@nestjs/common']).toMatch(/\^11/);
    expect(manifest.peerDependencies['@nestjs/core']).toMatch(/\^11/);
    expect(Object.keys(manifest.dependencies)).toEqual(expect.arrayContaining(['cockatiel']));
  });
});
