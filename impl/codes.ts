// Internal result codes of free validation (numbers on the hot path; the public API maps them to
// FreeResult singletons).

export const FREE_OK = 0;
export const ERR_INVALID_POINTER = 1;
export const ERR_INTERIOR_POINTER = 2;
export const ERR_HEADER_MISMATCH = 3;
export const ERR_DOUBLE_FREE = 4;
export type FreeCode = 0 | 1 | 2 | 3 | 4;
