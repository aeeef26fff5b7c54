// Invariants over the heap's structure: lists, the census of live blocks, slot recycling, warm
// pools, the registry, soft caps.

import type { Violation } from '../checkContext.ts';
import { defineInvariant } from '../checkContext.ts';
import { hex } from '../events.ts';
import { regionBaseOf, slabIdOfAddress, slabStartOf } from '../../model/index.ts';

const NO_PAGES: readonly number[] = Object.freeze([]);

export const listsWellformed = defineInvariant({
  name: 'lists-wellformed',
  state(ctx) {
    const walk = ctx.post.walk();
    if (walk.problems.length > 0) return walk.problems[0] as Violation;
    const view = ctx.view;
    const slabs = ctx.post.slabs();
    // Orphan lists: ACTIVE slabs of that class without an owner, each once; and every orphan listed
    // (an unlisted orphan could never be adopted nor released).
    const orphansListed = new Set<number>();
    for (let c = 0; c < view.classCount; c++) {
      const list = view.orphanList(c);
      if (list.length > slabs.size) return { message: `orphan list of class ${c} has ${list.length} entries, more than the ${slabs.size} slabs` };
      for (const id of list) {
        const s = slabs.get(id);
        if (s === undefined) return { message: `orphan list of class ${c} names slab ${id}, not in a mapped SuperSlab`, slabId: id };
        if (s.state !== 'ACTIVE' || s.cls !== c || s.owner !== -1) {
          return { message: `orphan list of class ${c} holds slab ${id} (${s.state}, class ${s.cls}, owner ${s.owner})`, slabId: id };
        }
        if (orphansListed.has(id)) return { message: `slab ${id} is on the orphan lists twice`, slabId: id };
        orphansListed.add(id);
      }
    }
    for (const s of slabs.values()) {
      if (s.state === 'ACTIVE' && s.owner === -1 && !orphansListed.has(s.slabId)) {
        return { message: `ACTIVE slab ${s.slabId} (class ${s.cls}) has no owner and is on no orphan list`, slabId: s.slabId };
      }
    }
    // TinyHeap page lists: ACTIVE pages of that class owned by the thread, each held once.
    const pageSeen = new Map<number, string>();
    for (const tv of ctx.post.threads()) {
      for (let c = 0; c < tv.classes.length; c++) {
        const cv = tv.classes[c];
        if (cv === undefined) continue;
        const pageCount = (cv.pages.current >= 0 ? 1 : 0) + cv.pages.partial.length + cv.pages.full.length;
        // Most threads hold no page of most classes: build the list only when there is one.
        const pages = pageCount === 0 ? NO_PAGES : [...(cv.pages.current >= 0 ? [cv.pages.current] : []), ...cv.pages.partial, ...cv.pages.full];
        const isHeapClass = (ctx.config.tinyHeapClasses & (1 << c)) !== 0;
        if (!isHeapClass && pages.length > 0) return { message: `t${tv.thread} holds TinyHeap pages for class ${c}, which TinyHeap does not serve` };
        // SPEC §1: tinyHeapMaxPages is what a thread holds per TinyHeap class (a full set evicts one to attach another).
        if (pages.length > ctx.config.tinyHeapMaxPages) return { message: `t${tv.thread} holds ${pages.length} TinyHeap pages of class ${c}, over tinyHeapMaxPages ${ctx.config.tinyHeapMaxPages}` };
        const cached = walk.tlsLength[tv.thread * view.classCount + c] ?? 0;
        if (isHeapClass && cached > 0) return { message: `t${tv.thread} caches ${cached} blocks of TinyHeap class ${c} (TinyHeap has no TLS cache)` };
        for (const id of pages) {
          const s = slabs.get(id);
          const where = `page list of t${tv.thread} c${c}`;
          if (s === undefined) return { message: `${where} names slab ${id}, not in a mapped SuperSlab`, slabId: id };
          if (s.state !== 'ACTIVE' || s.cls !== c || s.owner !== tv.thread) {
            return { message: `${where} holds slab ${id} (${s.state}, class ${s.cls}, owner ${s.owner})`, slabId: id };
          }
          const prior = pageSeen.get(id);
          if (prior !== undefined) return { message: `slab ${id} is on ${where} and on ${prior}`, slabId: id };
          pageSeen.set(id, where);
        }
      }
    }
    return null;
  },
});

export const census = defineInvariant({
  name: 'census',
  state(ctx) {
    const config = ctx.config;
    const walk = ctx.post.walk();
    // The model's tiny blocks, grouped by slab.
    // An incremental step (ctx.scope) compares block sets only in the slabs it could have changed;
    // the counts per SuperSlab are judged whole on every step.
    const scope = ctx.scope;
    const modelBySlab = new Map<number, Set<number>>();
    const modelBySs = new Map<number, number>();
    for (const b of ctx.model.live()) {
      if (b.front !== 'tiny') continue;
      const ssBase = regionBaseOf(config, b.ptr - 1);
      modelBySs.set(ssBase, (modelBySs.get(ssBase) ?? 0) + 1);
      const id = slabIdOfAddress(config, b.ptr - 1);
      if (scope !== null && !scope.slabs.has(id)) continue;
      let set = modelBySlab.get(id);
      if (set === undefined) modelBySlab.set(id, (set = new Set<number>()));
      set.add(b.ptr - 1);
    }
    for (const ss of ctx.post.superslabs()) {
      let activeDeltaSum = 0;
      for (const slab of ss.slabs) {
        activeDeltaSum += slab.activeDelta;
        if (scope !== null && !scope.slabs.has(slab.slabId)) continue;
        const modelSet = modelBySlab.get(slab.slabId);
        const trueUsed = slab.used + slab.usedDelta;
        if (slab.state !== 'ACTIVE') {
          if (modelSet !== undefined && modelSet.size > 0) {
            return { message: `slab ${slab.slabId} is ${slab.state} but the model holds ${modelSet.size} live blocks in it`, slabId: slab.slabId };
          }
          if (trueUsed !== 0) return { message: `${slab.state} slab ${slab.slabId} has used ${slab.used}${slab.usedDelta !== 0 ? ` + delta ${slab.usedDelta}` : ''}, expected 0`, slabId: slab.slabId };
          continue;
        }
        // Fast path: every model block of the slab is carved and on no free list, and the slab holds
        // exactly as many such blocks as the model: then the two sets are equal.
        const stride = config.strides[slab.cls] as number;
        const start = slabStartOf(config, ss.base, slab.slabIndex);
        const implCount = Math.max(0, slab.carved) - (walk.placedInSlab.get(slab.slabId) ?? 0);
        let modelOk = true;
        if (modelSet !== undefined) {
          for (const base of modelSet) {
            const off = base - start;
            if (off < 0 || off % stride !== 0 || off / stride >= slab.carved || walk.places.has(base)) modelOk = false;
          }
        }
        if (!modelOk || implCount !== (modelSet?.size ?? 0)) {
          const implLive = walk.implLive(slab.slabId);
          for (const base of implLive) {
            if (modelSet === undefined || !modelSet.has(base)) {
              return { message: `slab ${slab.slabId} block ${hex(base + 1)} is carved and on no free list, but not live in the model (lost block)`, slabId: slab.slabId };
            }
          }
          const implSet = new Set(implLive);
          for (const base of modelSet ?? []) {
            if (!implSet.has(base)) {
              const p = walk.places.get(base);
              const where = p === undefined ? 'not a carved block' : `on the ${p.list}${p.list === 'tls' ? ` of t${p.thread}` : ''}`;
              return { message: `live block ${hex(base + 1)} of the model is ${where} of slab ${slab.slabId}`, slabId: slab.slabId };
            }
          }
        }
        // used = live + cached + remote, each counted by the suite (the model, the cache walks, the queue walk).
        const cached = walk.cachedInSlab.get(slab.slabId) ?? 0;
        const remote = walk.remoteLength.get(slab.slabId) ?? 0;
        const expectUsed = (modelSet?.size ?? 0) + cached + remote;
        if (trueUsed !== expectUsed) {
          return {
            message: `slab ${slab.slabId} used ${slab.used}${slab.usedDelta !== 0 ? ` + delta ${slab.usedDelta}` : ''} = ${trueUsed}, census counts ${expectUsed} (${modelSet?.size ?? 0} live + ${cached} cached + ${remote} remote)`,
            slabId: slab.slabId,
          };
        }
      }
      const trueActive = ss.totalActive + activeDeltaSum;
      const expectActive = modelBySs.get(ss.base) ?? 0;
      if (trueActive !== expectActive) {
        return {
          message: `SuperSlab ${hex(ss.base)} totalActive ${ss.totalActive}${activeDeltaSum !== 0 ? ` + deltas ${activeDeltaSum}` : ''} = ${trueActive}, the census counts ${expectActive} live blocks`,
        };
      }
    }
    for (const [id, set] of modelBySlab) {
      if (!ctx.post.slabs().has(id)) return { message: `the model holds ${set.size} live blocks in slab ${id}, whose SuperSlab is not mapped`, slabId: id };
    }
    // The pool: allocated chunks (walked from the raw headers) are exactly the model's pool blocks.
    if (scope !== null && !scope.pool) return null;
    const modelPool = new Set(ctx.model.live().filter((b) => b.front === 'pool').map((b) => b.ptr));
    const implPool = ctx.post.poolWalk().allocatedByPtr;
    for (const p of implPool.keys()) if (!modelPool.has(p)) return { message: `pool chunk at ${hex(p)} is allocated but not live in the model (lost block)` };
    for (const p of modelPool) if (!implPool.has(p)) return { message: `pool block ${hex(p)} is live in the model but not allocated in the pool` };
    // Each chunk's header (walked) records the request the model made: chunkBytes − header − slack.
    for (const b of ctx.model.live()) {
      if (b.front !== 'pool') continue;
      const chunk = implPool.get(b.ptr);
      if (chunk !== undefined && chunk.requestedBytes !== b.sizeBytes) {
        return { message: `pool block ${hex(b.ptr)} of ${b.sizeBytes} B: its chunk header records a request of ${chunk.requestedBytes} B (chunk of ${chunk.chunkBytes} B)` };
      }
    }
    return null;
  },
});

export const emptyRecycled = defineInvariant({
  name: 'empty-recycled',
  step(ctx) {
    // The moment used reached 0 counts. A slab its owner did not hold, whose every outstanding
    // block waited on its remote queue, is emptied by the drain of that queue in one go: it must
    // be released then, not taken back into a warm pool while empty. (A thread-cache drain returns
    // blocks one by one, and may legally re-warm the slab before its last block comes back.)
    for (const ss of ctx.post.superslabs()) {
      const before = ctx.pre.superslabs.get(ss.base);
      if (before === undefined) continue;
      for (const slab of ss.slabs) {
        const at = slab.slabIndex;
        if (
          slab.state === 'ACTIVE' &&
          slab.used + slab.usedDelta === 0 &&
          (ctx.post.walk().remoteLength.get(slab.slabId) ?? 0) === 0 &&
          before.slabStates[at] === 'ACTIVE' &&
          before.slabClasses[at] === slab.cls &&
          // The same incarnation: a release in between (even an unmap and a remap of the whole
          // SuperSlab at the same address within one allocation) resets carved.
          slab.carved >= (before.slabCarved[at] as number) &&
          before.slabHeld[at] === false
        ) {
          if ((before.slabRemote[at] as number) > 0 && before.slabUsed[at] === before.slabRemote[at]) {
            return {
              message: `slab ${slab.slabId} (class ${slab.cls}, owner ${slab.owner}) was emptied by the drain of its remote queue while its owner did not hold it, but was not released`,
              slabId: slab.slabId,
            };
          }
          // One outstanding block: its return took used to 0 at once, with the slab unheld.
          if (before.slabUsed[at] === 1) {
            return {
              message: `a slab whose used reaches 0 while its owner does not hold it must be released: slab ${slab.slabId} (class ${slab.cls}, owner ${slab.owner}) got its last block back while unheld, but was not released`,
              slabId: slab.slabId,
            };
          }
        }
      }
    }
    return null;
  },
  state(ctx) {
    const view = ctx.view;
    const slabs = ctx.post.slabs();
    const counted = ctx.post.activeCounted();
    for (const ss of ctx.post.superslabs()) {
      for (const slab of ss.slabs) {
        const bit = (ss.emptyMask >>> slab.slabIndex) & 1;
        if ((slab.state === 'EMPTY') !== (bit === 1)) {
          return { message: `slab ${slab.slabId} is ${slab.state} but its SuperSlab's empty mask bit is ${bit}`, slabId: slab.slabId };
        }
        if (slab.state === 'ACTIVE' && slab.used + slab.usedDelta === 0 && !ctx.post.heldByOwner(slab)) {
          return {
            message: `ACTIVE slab ${slab.slabId} (class ${slab.cls}, owner ${slab.owner}) has used 0 and its owner does not hold it: it should have been released`,
            slabId: slab.slabId,
          };
        }
        if (slab.state === 'EMPTY' && slab.owner !== -1) return { message: `EMPTY slab ${slab.slabId} is owned by t${slab.owner}`, slabId: slab.slabId };
        if (slab.state === 'UNUSED' && slab.cls !== -1) return { message: `UNUSED slab ${slab.slabId} is bound to class ${slab.cls}`, slabId: slab.slabId };
      }
    }
    // Every EMPTY slot on exactly one EMPTY list (its class's), and nothing else on them.
    const onList = new Map<number, number>();
    for (let c = 0; c < view.classCount; c++) {
      const list = view.emptyList(c);
      if (list.length > slabs.size) return { message: `EMPTY list of class ${c} has ${list.length} entries, more than the ${slabs.size} slabs (cycle?)` };
      for (const id of list) {
        const s = slabs.get(id);
        if (s === undefined) return { message: `EMPTY list of class ${c} names slab ${id}, not in a mapped SuperSlab`, slabId: id };
        if (s.state !== 'EMPTY') return { message: `EMPTY list of class ${c} holds slab ${id}, which is ${s.state}`, slabId: id };
        if (s.cls !== c) return { message: `EMPTY list of class ${c} holds slab ${id} of class ${s.cls}`, slabId: id };
        const prior = onList.get(id);
        if (prior !== undefined) return { message: `EMPTY slab ${id} is on the EMPTY list of class ${prior} and of class ${c}`, slabId: id };
        onList.set(id, c);
      }
    }
    for (const s of slabs.values()) {
      if (s.state === 'EMPTY' && !onList.has(s.slabId)) return { message: `EMPTY slab ${s.slabId} (class ${s.cls}) is on no EMPTY list`, slabId: s.slabId };
    }
    for (let c = 0; c < view.classCount; c++) {
      if (view.activeSlots(c) !== counted[c]) {
        return { message: `activeSlots(${c}) = ${view.activeSlots(c)}, but ${counted[c]} slots of class ${c} are ACTIVE` };
      }
    }
    return null;
  },
});

export const warmPoolValid = defineInvariant({
  name: 'warm-pool-valid',
  state(ctx) {
    const slabs = ctx.post.slabs();
    const seen = new Map<number, string>();
    for (const tv of ctx.post.threads()) {
      for (let c = 0; c < tv.classes.length; c++) {
        const cv = tv.classes[c];
        if (cv === undefined) continue;
        if (cv.warm.length > ctx.config.warmPoolCap) return { message: `warm pool of t${tv.thread} c${c} holds ${cv.warm.length} slabs, over its cap ${ctx.config.warmPoolCap}` };
        const entries: [number, string][] = cv.warm.map((id) => [id, `warm pool of t${tv.thread} c${c}`]);
        if (cv.current >= 0) entries.push([cv.current, `current slab of t${tv.thread} c${c}`]);
        for (const [id, where] of entries) {
          const s = slabs.get(id);
          if (s === undefined) return { message: `${where} names slab ${id}, which is in no mapped SuperSlab`, slabId: id };
          if (s.state !== 'ACTIVE') return { message: `${where} holds slab ${id}, which is ${s.state}`, slabId: id };
          if (s.cls !== c) return { message: `${where} holds slab ${id} of class ${s.cls}`, slabId: id };
          if (s.owner !== tv.thread) return { message: `${where} holds slab ${id} owned by ${s.owner}`, slabId: id };
          if (where.startsWith('warm')) {
            const prior = seen.get(id);
            if (prior !== undefined) return { message: `slab ${id} is in ${where} and in ${prior}`, slabId: id };
            seen.set(id, where);
          }
        }
      }
    }
    return null;
  },
});

export const registry = defineInvariant({
  name: 'registry',
  state(ctx) {
    const config = ctx.config;
    const view = ctx.view;
    const reg = view.registry();
    const regSet = new Set(reg);
    if (regSet.size !== reg.length) return { message: `the registry lists a SuperSlab twice: [${reg.map(hex).join(', ')}]` };
    if (reg.length > config.registryCapacity) return { message: `the registry holds ${reg.length} SuperSlabs, over its capacity ${config.registryCapacity}` };
    // Ascending, as the view documents (insertion keeps the list sorted: Stage 2 scans it in this order).
    for (let i = 1; i < reg.length; i++) {
      if ((reg[i] as number) <= (reg[i - 1] as number)) return { message: `the registry is not in ascending order: [${reg.map(hex).join(', ')}]` };
    }
    const regions = ctx.post.regions();
    for (const [base, kind] of regions) {
      if (base <= 0 || base % config.superslabSize !== 0) return { message: `mapped region ${hex(base)} is not a positive multiple of the SuperSlab size` };
      if (kind === 'superslab' && !regSet.has(base)) return { message: `SuperSlab ${hex(base)} is mapped but not registered` };
    }
    for (const base of reg) {
      if (regions.get(base) !== 'superslab') return { message: `registry entry ${hex(base)} is not a mapped SuperSlab` };
    }
    const ssBases = ctx.post.superslabs().map((s) => s.base);
    if (ssBases.length !== reg.length || ssBases.some((b) => !regSet.has(b))) {
      return { message: `mapped SuperSlabs [${ssBases.map(hex).join(', ')}] and the registry [${reg.map(hex).join(', ')}] disagree` };
    }
    // By-class lists: registered, once each; every SuperSlab with an ACTIVE slab of c is on c's list.
    const reserve = new Set(view.reserve());
    for (let c = 0; c < view.classCount; c++) {
      const list = view.registryByClass(c);
      const set = new Set(list);
      if (set.size !== list.length) return { message: `registry list of class ${c} names a SuperSlab twice` };
      for (const base of list) {
        if (!regSet.has(base)) return { message: `registry list of class ${c} names ${hex(base)}, not registered` };
        if (reserve.has(base)) return { message: `registry list of class ${c} names ${hex(base)}, parked in the reserve` };
      }
      for (const ss of ctx.post.superslabs()) {
        const holder = ss.slabs.find((s) => s.state === 'ACTIVE' && s.cls === c);
        if (holder !== undefined && !set.has(ss.base)) {
          return { message: `SuperSlab ${hex(ss.base)} holds ACTIVE slab ${holder.slabId} of class ${c} but is not on the class's registry list`, slabId: holder.slabId };
        }
      }
      const hint = view.classHint(c);
      if (hint !== 0 && (!regSet.has(hint) || regions.get(hint) !== 'superslab')) {
        return { message: `Stage 2 hint of class ${c} points at ${hex(hint)}, which is not a mapped, registered SuperSlab` };
      }
    }
    for (const ss of ctx.post.superslabs()) {
      if (ss.inReserve !== reserve.has(ss.base)) return { message: `SuperSlab ${hex(ss.base)} inReserve=${ss.inReserve} disagrees with the reserve list` };
    }
    // Every live block is found through the registry (tiny) or the pool's regions (pool).
    const poolRegions = new Set(ctx.post.poolWalk().regions);
    for (const b of ctx.model.live()) {
      const base = regionBaseOf(config, b.ptr - 1);
      if (b.front === 'tiny' && !regSet.has(base)) return { message: `live block ${hex(b.ptr)} lies in ${hex(base)}, which the registry does not know` };
      if (b.front === 'pool' && (!poolRegions.has(base) || regions.get(base) !== 'pool')) return { message: `live pool block ${hex(b.ptr)} lies in ${hex(base)}, not a mapped pool region` };
    }
    const pool = ctx.post.pool();
    for (const r of pool.regions) {
      if (regions.get(r.base) !== 'pool') return { message: `pool region ${hex(r.base)} is not mapped as a pool region` };
    }
    const poolMapped = [...regions.values()].filter((k) => k === 'pool').length * config.superslabSize;
    if (pool.mappedBytes !== poolMapped) return { message: `pool reports ${pool.mappedBytes} mapped bytes, its regions total ${poolMapped}` };
    if (pool.mappedBytes > config.poolBytes) return { message: `pool maps ${pool.mappedBytes} bytes, over its budget ${config.poolBytes}` };
    return null;
  },
});

export const softCap = defineInvariant({
  name: 'soft-cap',
  step(ctx) {
    const counted = ctx.post.activeCounted();
    for (let c = 0; c < ctx.view.classCount; c++) {
      const cap = ctx.view.softCap(c);
      const before = ctx.pre.activeCounted[c] as number;
      const after = counted[c] as number;
      // Below the cap a class may grow up to it; at or above it (the cap was lowered) it may only shrink.
      if (after > Math.max(before, cap)) {
        return { message: `class ${c} went from ${before} to ${after} ACTIVE slots with soft cap ${cap}` };
      }
    }
    return null;
  },
  state(ctx) {
    for (let c = 0; c < ctx.view.classCount; c++) {
      if (ctx.view.softCap(c) !== ctx.model.softCap(c)) return { message: `softCap(${c}) is ${ctx.view.softCap(c)}, but it was last set to ${ctx.model.softCap(c)}` };
    }
    return null;
  },
});
