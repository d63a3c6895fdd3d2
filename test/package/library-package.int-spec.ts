/**
 * What `npm run pack` puts in the two tarballs (`npm pack` output, unpacked): compiled code with
 * declarations, README/LICENSE/CHANGELOG, manifests with one version, an exports map and bin
 * entries that exist, every import declared as a dependency or peer; and nothing else: no tests,
 * no TypeScript sources, no source maps pointing outside the package, no secrets.
 */
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { packedTarballs, ROOT } from './packed-tarballs';

interface Manifest {
  name: string;
  version: string;
  main: string;
  types: string;
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function unpack(tarball: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'qb-unpacked-'));
  execFileSync('tar', ['xzf', tarball, '-C', dir]);
  return join(dir, 'package');
}

/** Bare module names a compiled file requires (`require("x")`, `require("@scope/x/sub")` -> `@scope/x`). */
function requiredPackages(js: string): string[] {
  return [...js.matchAll(/require\("([^".][^"]*)"\)/g)]
    .map((m) => m[1])
    .filter((name) => !name.startsWith('node:') && !builtinModules.includes(name))
    .map((name) => (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]));
}

/** Documentation placeholders (`mysql://user:pass@`, `QB_ENCRYPTION_KEYS=k2:<base64…>`, `"$(openssl rand …)"`), not secrets. */
const PLACEHOLDER = /^(\*+|pass|password|secret)$|[<>…]|\.\.\.|\$\{?\w|\$\(/;

const SECRET_PATTERNS: Array<[string, RegExp, number?]> = [
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/g],
  ['key ring entry with a 32-byte key', /\bk\d+:[A-Za-z0-9+/]{43}=/g],
  ['test canary', /canary-(client|state)-secret-[0-9a-f]{8}/g],
  // The last capture group is the value: a placeholder there is documentation.
  ['env assignment of a secret', /\b(QB_CLIENT_SECRET|QB_STATE_SECRET|QB_ENCRYPTION_KEYS|EMULATOR_CONTROL_TOKEN)=(\S{8,})/g, 2],
  ['URL with a password', /\b(mysql|mariadb|redis|rediss|postgres):\/\/[^:/\s"'`]+:([^@\s"'`]+)@/g, 2],
  ['AWS access key', /\bAKIA[0-9A-Z]{16}\b/g],
];

function secretsIn(text: string): string[] {
  const found: string[] = [];
  for (const [label, pattern, valueGroup] of SECRET_PATTERNS) {
    for (const m of text.matchAll(pattern)) if (valueGroup === undefined || !PLACEHOLDER.test(m[valueGroup])) found.push(label);
  }
  return found;
}

describe.each([
  ['@quickbooks-auth/nestjs', 'library'],
  ['@quickbooks-auth/intuit-emulator', 'emulator'],
] as const)('%s tarball', (name, which) => {
  let root: string;
  let files: string[];
  let manifest: Manifest;
  let version: string;

  beforeAll(() => {
    const packed = packedTarballs();
    version = packed.version;
    root = unpack(packed[which]);
    files = filesUnder(root).map((f) => relative(root, f));
    manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
  }, 180_000);

  afterAll(() => rmSync(dirname(root), { recursive: true, force: true }));

  it('has README, LICENSE and a CHANGELOG entry for its version, taken from the root package.json', () => {
    expect(manifest.name).toBe(name);
    expect(manifest.version).toBe(version);
    for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md']) expect(files).toContain(f);
    expect(readFileSync(join(root, 'CHANGELOG.md'), 'utf8')).toContain(`## ${version}`);
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain('MIT License');
  });

  it('holds compiled code with declarations and nothing from the test or source trees', () => {
    const code = files.filter((f) => f.endsWith('.js'));
    expect(code.length).toBeGreaterThan(10);
    for (const js of code) expect(files).toContain(js.replace(/\.js$/, '.d.ts'));
    const unexpected = files.filter(
      (f) =>
        /(^|\/)(test|tests|__tests__|__mocks__|fixtures)\//.test(f) ||
        /\.(spec|int-spec|e2e-spec|test)\.[jt]s$/.test(f) ||
        (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
        /\.(map|tsbuildinfo|log|tgz)$/.test(f) ||
        /(^|\/)\.env/.test(f) ||
        /\.(sqlite|db)$/.test(f),
    );
    expect(unexpected).toEqual([]);
    // Every file is one the manifest names: code, declarations, the three documents, shipped docs.
    expect(
      files.filter(
        (f) =>
          !/\.(js|d\.ts)$/.test(f) &&
          !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f) &&
          !/^(docs\/[^/]+\.md|deploy\/.+\.(yml|json))$/.test(f),
      ),
    ).toEqual([]);
  });

  it('has no source map pointing outside the package', () => {
    for (const f of files.filter((x) => /\.(js|d\.ts)$/.test(x))) {
      for (const [, target] of readFileSync(join(root, f), 'utf8').matchAll(/[#@] sourceMappingURL=(\S+)/g)) {
        const resolved = resolve(root, dirname(f), target);
        expect({ file: f, inside: !relative(root, resolved).startsWith('..') && existsSync(resolved) }).toEqual({ file: f, inside: true });
      }
    }
  });

  it('carries no secret', () => {
    const found: string[] = [];
    for (const f of files) {
      for (const label of secretsIn(readFileSync(join(root, f), 'utf8'))) found.push(`${f}: ${label}`);
    }
    expect(found).toEqual([]);
  });

  it('links only to files it ships or to absolute URLs in its markdown', () => {
    const broken: string[] = [];
    for (const md of files.filter((f) => f.endsWith('.md'))) {
      for (const [, target] of readFileSync(join(root, md), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const file = resolve(root, dirname(md), target.split('#')[0]);
        if (relative(root, file).startsWith('..') || !existsSync(file)) broken.push(`${md}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('points its exports map, types and bin at files it contains; bins start with a node shebang', () => {
    expect(files).toContain(manifest.main);
    expect(files).toContain(manifest.types);
    for (const [entry, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') expect(files).toContain(target.replace(/^\.\//, ''));
      else {
        expect({ entry, types: files.includes(target.types.replace(/^\.\//, '')) }).toEqual({ entry, types: true });
        expect({ entry, code: files.includes(target.default.replace(/^\.\//, '')) }).toEqual({ entry, code: true });
      }
    }
    expect(Object.keys(manifest.bin).length).toBeGreaterThan(0);
    for (const bin of Object.values(manifest.bin))
      expect(readFileSync(join(root, bin), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('declares every package its code requires, and no in-repo path alias is left', () => {
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const undeclared = new Set<string>();
    for (const f of files.filter((x) => x.endsWith('.js'))) {
      const js = readFileSync(join(root, f), 'utf8');
      for (const pkg of requiredPackages(js)) {
        if (pkg === name) throw new Error(`${f} requires its own package name (a path alias left in)`);
        if (!declared.has(pkg)) undeclared.add(`${pkg} (${f})`);
      }
    }
    expect([...undeclared]).toEqual([]);
  });
});

describe('@quickbooks-auth/nestjs manifest', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'libs/quickbooks-auth/package.json'), 'utf8')) as Manifest;

  it('takes Nest 11 as a peer and marks the backend drivers, events and the testing kit optional', () => {
    expect(manifest.peerDependencies!['@nestjs/common']).toMatch(/\^11/);
    expect(manifest.peerDependencies!['@nestjs/core']).toMatch(/\^11/);
    expect(Object.keys(manifest.dependencies!)).toEqual(expect.arrayContaining(['cockatiel', 'jose', 'zod']));
    const optional = Object.entries(manifest.peerDependenciesMeta!)
      .filter(([, m]) => m.optional)
      .map(([k]) => k)
      .sort();
    expect(optional).toEqual([
      '@nestjs/event-emitter',
      '@nestjs/testing',
      '@quickbooks-auth/intuit-emulator',
      'better-sqlite3',
      'ioredis',
      'mysql2',
      'pg',
    ]);
    for (const name of optional) expect(manifest.peerDependencies![name]).toBeDefined();
  });

  it('pins its peer ranges to what the repository itself installs', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const installed = { ...root.dependencies, ...root.devDependencies };
    for (const [peer, range] of Object.entries(manifest.peerDependencies!)) {
      if (peer.startsWith('@quickbooks-auth/')) continue;
      const major = /^\^(\d+)\./.exec(range)?.[1];
      expect({ peer, major }).toEqual({ peer, major: installed[peer]?.split('.')[0] });
    }
  });
});

describe('the secret scan', () => {
  it('finds real secrets and lets documentation placeholders through', () => {
    expect(secretsIn('DATABASE_URL=mysql://app:s3cr3t-value@db:3306/app')).toEqual(['URL with a password']);
    expect(secretsIn(`QB_ENCRYPTION_KEYS=k1:${Buffer.alloc(32, 7).toString('base64')}`)).toEqual([
      'key ring entry with a 32-byte key',
      'env assignment of a secret',
    ]);
    expect(secretsIn('mysql://user:pass@host/db, mysql://app:***@h/db, QB_ENCRYPTION_KEYS=k2:<base64 32 bytes>')).toEqual([]);
  });
});
