// Deep copies of an allocator's whole state, for the bounded model checker: exploring a state's
// successors from a copy is far cheaper than replaying its path from the start.

/**
 * A deep copy of `value` that keeps aliasing (an object reached twice is copied once: heap.mem and
 * os.mem stay one array), copies typed arrays and arrays, rebuilds class instances on their
 * prototype without running constructors, and shares frozen objects (the config) and functions.
 * Keys in `skip` are left out (the caller rebuilds them, e.g. a view that closes over its owner).
 */
export function deepCopy<T>(value: T, skip: ReadonlySet<string> = new Set(), seen: Map<object, unknown> = new Map()): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  const known = seen.get(value);
  if (known !== undefined) return known as T;
  if (ArrayBuffer.isView(value)) {
    const copy = (value as unknown as Uint8Array).slice();
    seen.set(value, copy);
    return copy as unknown as T;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(deepCopy(item, skip, seen));
    return copy as T;
  }
  const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
  seen.set(value, copy);
  for (const key of Object.keys(value)) {
    if (skip.has(key)) continue;
    copy[key] = deepCopy((value as Record<string, unknown>)[key], skip, seen);
  }
  return copy as T;
}
