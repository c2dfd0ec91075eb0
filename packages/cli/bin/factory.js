#!/usr/bin/env node
// Published entry point: runs the built CLI. In the workspace, `pnpm factory` runs the sources through tsx.
import("../dist/bin.js");
