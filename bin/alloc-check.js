#!/usr/bin/env node
// alloc-check: registers tsx so that Node runs the TypeScript sources directly, then hands over to
// cli/main.ts. The exit code is set, not forced, so that piped output is flushed first; a reader
// that closes the pipe early ends the tool quietly (cli/io.ts).
import { register } from 'tsx/esm/api';

register();
const { stopQuietlyOnClosedPipe } = await import('../cli/io.ts');
stopQuietlyOnClosedPipe([process.stdout, process.stderr]);
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
