// What the checker and kill-matrix sections of the bench load, bundled by esbuild into one module
// together with impl/ (see bundle.ts): the property suite, the kill matrix and the allocator, so that
// the checked run and the implementation-alone replay call the very same allocator code and neither
// pays the tsx loader's per-import getters. fast-check and ts-pattern stay external packages, so
// `fc` here is the same instance as the bench's own `import fc from 'fast-check'`.

export { Session, commandFromData, makeProgramArbitrary, checkProfile, runSuite, runCommands } from '../properties/runner.ts';
export { measureWarmPool } from '../properties/warmPool.ts';
export { DEFAULT_WHOLE_EVERY } from '../properties/session.ts';
export { runKillMatrix, DEFAULT_SEED as MATRIX_DEFAULT_SEED, AIM_MS } from '../cli/mutants.ts';
export { MINIMIZE_TIME_MS } from '../cli/run.ts';
export { createAllocator, testHooks, profileConfig, FAULT_NAMES } from '../impl/index.ts';
export { formatError } from '../cli/errors.ts';
