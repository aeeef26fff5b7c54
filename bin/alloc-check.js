#!/usr/bin/env node
// alloc-check: registers tsx so that Node runs the TypeScript sources directly, then hands over to
// cli/main.ts. The exit code is set, not forced, so that piped output is flushed first.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
