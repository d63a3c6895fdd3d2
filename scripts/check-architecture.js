#!/usr/bin/env node
/**
 * The import graph of libs/quickbooks-auth/src, checked with madge (issue 19):
 * - no import circle between files;
 * - domain/ imports nothing else of ours (it is the ground floor);
 * - no two folders import each other, except the ties in ALLOWED_TIES, each with its reason.
 * A "folder" is a top-level folder of src/, except that auth/storage and auth/state count on their own
 * (the rest of auth/ is one services layer); quickbooks-auth.constants.ts (the injection tokens) is
 * "(constants)"; the other files at src/ root (module, providers, barrel) are "(root)", the composition root.
 * Specs (*.spec.ts) are left out: a spec may reach anywhere to test its file.
 * Run: npm run lint:architecture
 */
const path = require('node:path');
const madge = require('madge');

const SRC = path.resolve(__dirname, '../libs/quickbooks-auth/src');

/** Two-way folder ties that are meant, one line of reason each. Key: the two folders, sorted, joined by " <-> ". */
const ALLOWED_TIES = {
  // Each folder owns its own options (schema, resolver), and config composes them: the tie is the composition.
  'config <-> governor':
    "config resolves the governor's options with the governor's own resolver, and the governor reads the resolved options",
  'config <-> metrics':
    'config validates metricsTenantLabel with the metrics tenant labeler, and the metrics service reads the resolved options',
};

/** auth/'s subfolders that are layers of their own; the rest of auth/ (connect, import, refresh, ...) is the services layer. */
const AUTH_LAYERS = new Set(['storage', 'state']);

function unitOf(file) {
  // The injection tokens import nothing and every folder reads them: a leaf of its own, not the composition root.
  if (file === 'quickbooks-auth.constants.ts') return '(constants)';
  const parts = path.posix.dirname(file).split('/');
  if (parts[0] === '.') return '(root)';
  if (parts[0] === 'auth' && AUTH_LAYERS.has(parts[1])) return `auth/${parts[1]}`;
  return parts[0];
}

async function main() {
  const result = await madge(SRC, {
    fileExtensions: ['ts'],
    tsConfig: path.resolve(__dirname, '../tsconfig.json'),
    excludeRegExp: [/\.spec\.ts$/],
  });
  const graph = result.obj();
  const problems = [];

  for (const circle of result.circular()) problems.push(`import circle: ${circle.join(' -> ')}`);

  const edges = new Map(); // "a -> b" => example "file => dep"
  for (const [file, deps] of Object.entries(graph)) {
    for (const dep of deps) {
      if (dep.startsWith('..')) continue; // another package of the monorepo (the emulator), not this graph
      const from = unitOf(file);
      const to = unitOf(dep);
      if (from === 'domain' && to !== 'domain') problems.push(`domain/ must import nothing of ours: ${file} imports ${dep}`);
      if (from !== to && !edges.has(`${from} -> ${to}`)) edges.set(`${from} -> ${to}`, `${file} => ${dep}`);
    }
  }

  const ties = [];
  for (const [edge, example] of edges) {
    const [a, b] = edge.split(' -> ');
    if (a < b && edges.has(`${b} -> ${a}`)) ties.push({ key: `${a} <-> ${b}`, example: `${example}  and  ${edges.get(`${b} -> ${a}`)}` });
  }
  const allowedSeen = new Set();
  for (const tie of ties) {
    if (ALLOWED_TIES[tie.key]) allowedSeen.add(tie.key);
    else problems.push(`two-way folder tie ${tie.key} (${tie.example})`);
  }
  for (const key of Object.keys(ALLOWED_TIES))
    if (!allowedSeen.has(key)) problems.push(`allowlisted tie ${key} no longer exists: remove it from ALLOWED_TIES`);

  console.log(
    `${Object.keys(graph).length} files, ${edges.size} folder-to-folder edges, ${ties.length} two-way ties (${allowedSeen.size} allowlisted)`,
  );
  if (problems.length > 0) {
    for (const p of problems) console.error(`  ✗ ${p}`);
    process.exitCode = 1;
  } else console.log('  ✓ no circle; domain/ imports nothing of ours; every two-way tie has a written reason');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
