#!/usr/bin/env node
// The `metarl` command. It runs the TypeScript sources through tsx's loader, so the CLI,
// the trainer and the web host share one code base with no separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
