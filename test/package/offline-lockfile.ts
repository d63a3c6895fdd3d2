import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

const REGISTRY = 'https://registry.npmjs.org';

/** Where Node would find `name` from the package installed at `from` (`node_modules/a/node_modules/b`). */
function resolveLocation(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

function packageName(location: string): string {
  return location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/**
 * A lockfile for a throwaway app whose registry dependencies are a subset of this repository's:
 * the closure of `direct` in the repository's package-lock.json, at the same paths and versions,
 * each with its registry URL and integrity, so `npm ci --offline` installs it from the npm cache
 * that the repository's own `npm ci` filled, without asking the registry for anything.
 */
export function offlineLockfile(root: string, app: { name: string; dependencies: Record<string, string> }, direct: string[]): Lockfile {
  const repo = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lockfile;
  const picked = new Map<string, LockEntry>();
  const queue = direct.map((name) => {
    const location = resolveLocation(repo.packages, '', name);
    if (!location) throw new Error(`${name} is not in the repository's package-lock.json`);
    return location;
  });
  while (queue.length) {
    const location = queue.pop() as string;
    if (picked.has(location)) continue;
    const entry = repo.packages[location];
    if (entry.link) throw new Error(`${location} is a workspace link, not a registry package`);
    picked.set(location, entry);
    const needed = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const [peer, range] of Object.entries(entry.peerDependencies ?? {})) {
      if (!entry.peerDependenciesMeta?.[peer]?.optional) needed[peer] = range;
    }
    for (const dep of Object.keys(needed)) {
      const found = resolveLocation(repo.packages, location, dep);
      // An optional dependency for another platform is absent from the lockfile: npm skips it too.
      if (found) queue.push(found);
      else if (!entry.optionalDependencies?.[dep]) throw new Error(`${location} needs ${dep}, absent from package-lock.json`);
    }
  }
  const packages: Record<string, LockEntry> = { '': { name: app.name, dependencies: app.dependencies } };
  for (const location of [...picked.keys()].sort()) {
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = picked.get(location) as LockEntry;
    const name = packageName(location);
    const file = name.split('/').pop();
    packages[location] = { ...entry, resolved: entry.resolved ?? `${REGISTRY}/${name}/-/${file}-${entry.version}.tgz` };
  }
  return { lockfileVersion: 3, packages };
}
