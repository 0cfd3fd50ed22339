#!/usr/bin/env node
// The command, as a file that exists before the package is built (pnpm links bins at install time).
import '../dist/cli.js'
