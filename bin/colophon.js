#!/usr/bin/env node
'use strict';
// The CLI runs the compiled JavaScript (npm ci builds it through the "prepare" script).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'core', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('colophon: not built yet; run `npm run build` (npm ci does it for you)\n');
  process.exit(1);
}
require('source-map-support/register');
require(entry).main().catch((err) => {
  process.stderr.write(`colophon: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
