// Deep copies of an allocator's whole state, for the bounded model checker: exploring a state's
// successors from a copy is far cheaper than replaying its path from the start.

/**
 * A deep copy of `value` that keeps aliasing (an object reached twice is copied once: heap.mem and
 * os.mem stay one array), copies typed arrays and arrays, rebuilds class instances on their
 * prototype without running constructors, and shares frozen objects (the config) and functions.
 * Keys in `skip` are left out (the caller rebuilds them, e.g. a view that closes over its owner).
 */
export function deepCopy<T>(value: T, skip: ReadonlySet<string> = NO_KEYS, seen: Map<object, unknown> = new Map()): T {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known as T;
  if (ArrayBuffer.isView(value)) {
    const copy = (value as unknown as Uint8Array).slice();
    seen.set(value, copy);
    return copy as unknown as T;
  }
  if (Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    const length = value.length;
    const copy: unknown[] = new Array<unknown>(length);
    seen.set(value, copy);
    for (let i = 0; i < length; i++) {
      const item: unknown = value[i];
      // Primitives are copied inline: this loop runs for every array of the state on every copy.
      copy[i] = typeof item === 'object' && item !== null ? deepCopy(item, skip, seen) : item;
    }
    return copy as T;
  }
  const source = value as Record<string, unknown>;
  const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
  seen.set(value, copy);
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (skip.has(key)) continue;
    const item = source[key];
    copy[key] = typeof item === 'object' && item !== null ? deepCopy(item, skip, seen) : item;
  }
  return copy as T;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * Makes `target` an independent copy of `source` in place, reusing `target`'s own buffers, arrays
 * and objects where their shape allows (a typed array of the same type and length is overwritten
 * with `set`; an array is resized and its items restored; an object of the same prototype has its
 * keys restored): the explorer's per-transition copy, without allocating what it can overwrite.
 * Returns what the target's slot must hold: `target` itself, or a fresh deep copy of `source` where
 * the shapes differ (`copies` keeps those fresh copies aliased as in `source`).
 *
 * Precondition: `target` is aliased as `source` is (an object reached twice in `source` is one
 * object reached the same two ways in `target`) and shares no mutable object with it — as two
 * deep copies of states of one allocator are (deepCopy keeps aliasing, and the aliasing of an
 * allocator's state is structural: heap.mem is os.mem, heap.regionKind is os.kind, pool.os is
 * heap.os). An aliased part is then restored once per path to it, with the same result.
 */
export function restoreInto<T>(target: T, source: T, copies: Map<object, unknown> = new Map()): T {
  if (typeof source !== 'object' || source === null || Object.isFrozen(source)) return source;
  if (typeof target !== 'object' || target === null || (target as unknown) === source) return freshCopy(source, copies);
  if (ArrayBuffer.isView(source)) {
    const from = source as unknown as Uint8Array;
    const into = target as unknown as Uint8Array;
    if (!ArrayBuffer.isView(into) || into.constructor !== from.constructor || into.length !== from.length) return freshCopy(source, copies);
    into.set(from);
    return target;
  }
  if (Array.isArray(source)) {
    if (!Array.isArray(target)) return freshCopy(source, copies);
    const into = target as unknown[];
    const length = source.length;
    into.length = length;
    for (let i = 0; i < length; i++) {
      const item: unknown = source[i];
      into[i] = typeof item === 'object' && item !== null ? restoreInto(into[i], item, copies) : item;
    }
    return target;
  }
  if (Object.getPrototypeOf(target) !== Object.getPrototypeOf(source)) return freshCopy(source, copies);
  const from = source as Record<string, unknown>;
  const into = target as Record<string, unknown>;
  const keys = Object.keys(from);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = from[key];
    into[key] = typeof item === 'object' && item !== null ? restoreInto(into[key], item, copies) : item;
  }
  return target;
}

function freshCopy<T>(source: T, copies: Map<object, unknown>): T {
  return deepCopy(source, NO_KEYS, copies);
}
