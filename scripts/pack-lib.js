#!/usr/bin/env node
// After `nest build quickbooks-auth`: copy the package manifest and README next to the compiled
// output so `npm publish dist/libs/quickbooks-auth` publishes a self-contained package.
const { copyFileSync, existsSync, readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const src = join(__dirname, '..', 'libs', 'quickbooks-auth');
const out = join(__dirname, '..', 'dist', 'libs', 'quickbooks-auth');
if (!existsSync(join(out, 'index.js'))) {
  console.error(`no build at ${out}: run "nest build quickbooks-auth" first`);
  process.exit(1);
}
copyFileSync(join(src, 'package.json'), join(out, 'package.json'));
copyFileSync(existsSync(join(src, 'README.md')) ? join(src, 'README.md') : join(__dirname, '..', 'README.md'), join(out, 'README.md'));
for (const f of readdirSync(out)) if (f.endsWith('.tsbuildinfo')) rmSync(join(out, f));
console.log(`package ready in ${out} (npm publish ${out})`);
