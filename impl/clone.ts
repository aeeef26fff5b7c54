// Copies of an allocator's whole state, for the bounded model checker: exploring a state's
// successors from a copy is far cheaper than replaying its path from the start. deepCopy builds a
// copy object by object; restoreInto overwrites an existing copy in place (the explorer's
// per-transition copy), and is how TinyAllocator.clone fills a copy built by the constructors.

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
 * allocators are, each built by the constructors (and then restored, or run): the aliasing of an
 * allocator's state is structural (heap.mem is os.mem, heap.regionKind is os.kind, pool.os is
 * heap.os). An aliased part is then restored once per path to it, with the same result; a part
 * copied fresh (a region buffer the target lacked) goes through `copies`, so it stays one object.
 */
export function restoreInto<T>(target: T, source: T, copies: Map<object, unknown> = new Map()): T {
  if (typeof source !== 'object' || source === null) return source;
  if (typeof target !== 'object' || target === null || (target as unknown) === source) return freshCopy(source, copies);
  if (ArrayBuffer.isView(source)) return restoreTyped(target, source, copies);
  if (Array.isArray(source)) return Array.isArray(target) && !Object.isFrozen(source) ? (restoreArray(target as unknown[], source as unknown[], copies) as T) : freshCopy(source, copies);
  if (Object.isFrozen(source)) return source;
  return restoreObject(target, source, copies);
}

function restoreTyped<T>(target: T, source: T, copies: Map<object, unknown>): T {
  const from = source as unknown as Uint8Array;
  const into = target as unknown as Uint8Array;
  if (!ArrayBuffer.isView(into) || into.constructor !== from.constructor || into.length !== from.length) return freshCopy(source, copies);
  into.set(from);
  return target;
}

function restoreArray(into: unknown[], from: readonly unknown[], copies: Map<object, unknown>): unknown[] {
  const length = from.length;
  if (into.length !== length) into.length = length;
  for (let i = 0; i < length; i++) {
    const item: unknown = from[i];
    if (typeof item === 'object' && item !== null) into[i] = restoreInto(into[i], item, copies);
    else into[i] = item;
  }
  return into;
}

function restoreObject<T>(target: T, source: T, copies: Map<object, unknown>): T {
  const proto = Object.getPrototypeOf(source) as object | null;
  if (Object.getPrototypeOf(target) !== proto) return freshCopy(source, copies);
  const from = source as Record<string, unknown>;
  const into = target as Record<string, unknown>;
  const keys = Object.keys(from);
  const plan = proto === null || proto === Object.prototype ? undefined : planOf(proto, from, keys);
  if (plan !== undefined && plan.keys === keys.length) {
    plan.run(into, from, copies, restoreInto);
    return target;
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = from[key];
    into[key] = typeof item === 'object' && item !== null ? restoreInto(into[key], item, copies) : item;
  }
  return target;
}

type Restore = <T>(target: T, source: T, copies: Map<object, unknown>) => T;

/** A class instance's restore, compiled once per class: every key by name (monomorphic reads). */
interface Plan {
  /** Own keys of the instance the plan was made from: an instance with another count is walked generically. */
  readonly keys: number;
  readonly run: (into: Record<string, unknown>, from: Record<string, unknown>, copies: Map<object, unknown>, restore: Restore) => void;
}

const plans = new WeakMap<object, Plan | null>();
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const TYPED_ARRAYS = new Set(['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array']);

/**
 * The compiled restore of the instances of `proto` with these own keys (made from `sample`), or
 * undefined where a key is not a plain identifier. A key that held a typed array in `sample` is
 * overwritten in place when source and target hold typed arrays of that type and one length; every
 * other case goes through `restore` (objects) or is assigned (primitives). The checks are inline
 * (`instanceof`, not the ArrayBuffer.isView call) so the compiled function stays cheap.
 */
function planOf(proto: object, sample: Record<string, unknown>, keys: readonly string[]): Plan | undefined {
  const known = plans.get(proto);
  if (known !== undefined) return known ?? undefined;
  if (!keys.every((k) => IDENTIFIER.test(k))) {
    plans.set(proto, null);
    return undefined;
  }
  const lines = keys.map((k) => {
    const v = sample[k];
    const typed = ArrayBuffer.isView(v) ? v.constructor.name : '';
    const other = ` t.${k} = typeof x === 'object' && x !== null ? r(t.${k}, x, c) : x;`;
    if (!TYPED_ARRAYS.has(typed)) return `x = f.${k};${other}`;
    return `x = f.${k}; y = t.${k}; if (x instanceof ${typed} && y instanceof ${typed} && x !== y && x.length === y.length) y.set(x); else${other}`;
  });
  // Generated from the class's own property names (checked identifiers) and typed-array class names.
  const run = new Function('t', 'f', 'c', 'r', `let x, y;\n${lines.join('\n')}`) as Plan['run'];
  const plan: Plan = { keys: keys.length, run };
  plans.set(proto, plan);
  return plan;
}

function freshCopy<T>(source: T, copies: Map<object, unknown>): T {
  return deepCopy(source, NO_KEYS, copies);
}
