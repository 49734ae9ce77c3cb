#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (npm install builds it into dist/).
import '../dist/bin/cli.js'
