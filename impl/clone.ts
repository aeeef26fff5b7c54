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
