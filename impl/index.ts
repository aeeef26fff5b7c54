// Public entry of the allocator under test. Nothing outside impl/ imports past this file.

export * from './config.ts';
export type * from './view.ts';
export { ACQUIRE_STAGES } from './view.ts';
export type { Allocator, FreeResult, TestHooks, SlabField } from './api.ts';
export { cloneAllocator, createAllocator, restoreAllocator, testHooks } from './allocator.ts';
