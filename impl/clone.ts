// Deep copies of an allocator's whole state, for the bounded model checker: exploring a state's
// successors from a copy is far cheaper than replaying its path from the start.

type Bag = Record<string, unknown>;

function copyArray(dst: unknown[], src: readonly unknown[]): void {
  dst.length = 0;
  for (const v of src) dst.push(ArrayBuffer.isView(v) ? (v as Uint8Array).slice() : Array.isArray(v) ? v.slice() : v);
}

/**
 * Copies every typed array, array and primitive field of `src` into the same field of `dst`, in
 * place (so that aliases inside `dst`, like heap.mem === os.mem, stay aliases). Objects named in
 * `nested` are copied recursively; any other object field (config, fault flags) is shared, being
 * immutable.
 */
export function copyState(dst: object, src: object, nested: readonly string[] = []): void {
  const d = dst as Bag;
  const s = src as Bag;
  for (const key of Object.keys(s)) {
    const v = s[key];
    const target = d[key];
    if (ArrayBuffer.isView(v)) (target as Uint8Array).set(v as Uint8Array);
    else if (Array.isArray(v)) copyArray(target as unknown[], v);
    else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') d[key] = v;
    else if (nested.includes(key) && typeof v === 'object' && v !== null) copyState(target as object, v, nested);
  }
}
