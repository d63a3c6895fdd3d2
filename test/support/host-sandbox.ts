/**
 * A host directory outside the repository whose node_modules holds only chosen packages, so a
 * test can prove what happens when a host did not install one (an optional peer, a driver's
 * types). Packages are symlinks into the repository's node_modules; Node and tsc follow them to
 * their real path, so each package still finds its own dependencies, but a bare import from the
 * host or from the built library only sees what was linked.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
const REPO_MODULES = join(REPO_ROOT, 'node_modules');

export interface HostSandbox {
  dir: string;
  nodeModules: string;
  remove(): void;
}

/** Every installed package name (`@scope/name` for scoped ones). */
export function installedPackages(): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(REPO_MODULES)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const sub of readdirSync(join(REPO_MODULES, entry))) names.push(`${entry}/${sub}`);
    else names.push(entry);
  }
  return names;
}

/** A fresh directory with node_modules linking exactly `packages`. */
export function createHostSandbox(packages: readonly string[]): HostSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'qb-host-'));
  const nodeModules = join(dir, 'node_modules');
  for (const name of packages) {
    const target = join(nodeModules, name);
    mkdirSync(join(target, '..'), { recursive: true });
    symlinkSync(join(REPO_MODULES, name), target, 'dir');
  }
  return { dir, nodeModules, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Compiles the library (JS and .d.ts, as `npm run build:lib` does) into the sandbox's
 * node_modules/@quickbooks-auth/nestjs, with a package.json of its own so `require` finds it.
 */
export function buildLibraryInto(sandbox: HostSandbox): string {
  const out = join(sandbox.nodeModules, '@quickbooks-auth', 'nestjs');
  try {
    execFileSync(
      process.execPath,
      [join(REPO_MODULES, 'typescript', 'bin', 'tsc'), '-p', join(REPO_ROOT, 'libs/quickbooks-auth/tsconfig.lib.json'), '--outDir', out],
      {
        cwd: REPO_ROOT,
        stdio: 'pipe',
      },
    );
  } catch (err) {
    throw new Error(`library build failed:\n${String((err as { stdout?: Buffer }).stdout ?? '')}`);
  }
  writeFileSync(join(out, 'package.json'), JSON.stringify({ name: '@quickbooks-auth/nestjs', main: 'index.js', types: 'index.d.ts' }));
  return out;
}
