#!/usr/bin/env node
/**
 * Builds and packs both packages with one command (`npm run pack`):
 *
 *   @quickbooks-auth/intuit-emulator  (libs/intuit-emulator)
 *   @quickbooks-auth/nestjs           (libs/quickbooks-auth; its ./testing entry types against the emulator)
 *
 * Each is compiled with its own tsconfig.lib.json into <stage>/<package> (default dist/libs/),
 * given its manifest with the version of the root package.json (one version for both), README,
 * LICENSE and CHANGELOG (the library also ships docs/*.md and the deploy/ alert rules and
 * dashboard its README links to), then `npm pack`ed into <out> (default dist/packages/).
 *
 *   node scripts/pack-packages.js [--out DIR] [--stage DIR] [--quiet]
 *
 * Prints the tarball paths, one per line, last. Exit code 1 when a build or pack fails.
 */
const { execFileSync } = require('node:child_process');
const { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = resolve(__dirname, '..');

const PACKAGES = [
  { dir: 'intuit-emulator', source: 'libs/intuit-emulator', extras: [] },
  {
    dir: 'quickbooks-auth',
    source: 'libs/quickbooks-auth',
    // What the package README links to, shipped so the links work once installed.
    extras: [
      ...readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => [`docs/${f}`, `docs/${f}`]),
      ['deploy/prometheus/quickbooks-auth.rules.yml', 'deploy/prometheus/quickbooks-auth.rules.yml'],
      ['deploy/grafana/quickbooks-auth.dashboard.json', 'deploy/grafana/quickbooks-auth.dashboard.json'],
    ],
  },
];

function main() {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, stage: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: node scripts/pack-packages.js [--out DIR (default dist/packages)] [--stage DIR (default dist/libs)] [--quiet]\n',
    );
    return;
  }
  const out = resolve(values.out ?? join(ROOT, 'dist', 'packages'));
  const stage = resolve(values.stage ?? join(ROOT, 'dist', 'libs'));
  const log = (line) => values.quiet || process.stderr.write(`${line}\n`);
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  mkdirSync(out, { recursive: true });

  const emulatorOut = join(stage, 'intuit-emulator');
  const libraryOut = join(stage, 'quickbooks-auth');
  for (const dir of [emulatorOut, libraryOut]) rmSync(dir, { recursive: true, force: true });

  log(`building @quickbooks-auth/intuit-emulator ${version}`);
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'libs/intuit-emulator/tsconfig.lib.json'), '--outDir', emulatorOut], {
    cwd: ROOT,
    stdio: 'inherit',
  });

  log(`building @quickbooks-auth/nestjs ${version}`);
  // The library's ./testing types come from the emulator just built (its declarations, not its sources).
  const libraryConfig = join(stage, 'tsconfig.quickbooks-auth.json');
  writeFileSync(
    libraryConfig,
    JSON.stringify({
      extends: join(ROOT, 'libs/quickbooks-auth/tsconfig.lib.json'),
      compilerOptions: {
        outDir: libraryOut,
        paths: { '@quickbooks-auth/intuit-emulator': [join(emulatorOut, 'index.d.ts')] },
        // The repository's @types (jest's globals for the conformance suite), wherever the stage is.
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
    }),
  );
  try {
    execFileSync(process.execPath, [tsc, '-p', libraryConfig], { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmSync(libraryConfig, { force: true });
  }

  const tarballs = [];
  for (const pkg of PACKAGES) {
    const target = join(stage, pkg.dir);
    const manifest = JSON.parse(readFileSync(join(ROOT, pkg.source, 'package.json'), 'utf8'));
    delete manifest['//version'];
    const ordered = { name: manifest.name, version, ...manifest };
    if (ordered.peerDependencies?.['@quickbooks-auth/intuit-emulator'])
      ordered.peerDependencies['@quickbooks-auth/intuit-emulator'] = `^${version}`;
    writeFileSync(join(target, 'package.json'), `${JSON.stringify(ordered, null, 2)}\n`);
    for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) copyFileSync(join(ROOT, pkg.source, file), join(target, file));
    for (const [from, to] of pkg.extras) {
      mkdirSync(join(target, to, '..'), { recursive: true });
      cpSync(join(ROOT, from), join(target, to));
    }
    const tarball = join(out, `${ordered.name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
    rmSync(tarball, { force: true });
    execFileSync(npmCommand(), [...npmArgs(), 'pack', '--silent', '--pack-destination', out], {
      cwd: target,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (!existsSync(tarball)) throw new Error(`npm pack did not write ${tarball}`);
    tarballs.push(tarball);
    log(`packed ${tarball}`);
  }
  process.stdout.write(`${tarballs.join('\n')}\n`);
}

// Inside `npm run`, the npm that runs us; otherwise the one on PATH.
function npmCommand() {
  return process.env.npm_execpath ? process.execPath : 'npm';
}
function npmArgs() {
  return process.env.npm_execpath ? [process.env.npm_execpath] : [];
}

try {
  main();
} catch (err) {
  process.stderr.write(`packing failed: ${err.message}\n`);
  process.exit(1);
}
