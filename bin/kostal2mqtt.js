#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import("../dist/modules/kostal2mqtt/src/main.js").catch((error) => {
  process.stderr.write(
    `kostal2mqtt: cannot start (${error instanceof Error ? error.message : String(error)}); run 'npm run build' first\n`,
  );
  process.exitCode = 1;
});
