/**
 * Keeps a long job's memory flat. V8 grows its heap lazily: in a backup that streams, the live
 * set stays small, but the garbage left behind by each page grows the heap (and the RSS) with
 * the length of the run. A full collection when the used heap passes a ceiling brings it back;
 * it costs a few milliseconds, since what is alive is small, and it never fails a job the way a
 * hard `--max-old-space-size` cap would for one very large space.
 */
import { setFlagsFromString, getHeapStatistics } from "node:v8"
import { runInNewContext } from "node:vm"

type Collect = () => void

const collector = (): Collect | undefined => {
  const existing = (globalThis as { gc?: Collect }).gc
  if (typeof existing === "function") return existing
  try {
    // --expose-gc may be set after start; the function then lives in any new context.
    setFlagsFromString("--expose-gc")
    const gc = runInNewContext("gc") as unknown
    return typeof gc === "function" ? (gc as Collect) : undefined
  } catch {
    return undefined
  }
}

export interface HeapGuard {
  /** Collects when the used heap is above the ceiling; cheap to call often. */
  readonly check: () => void
  /** How many collections it forced. */
  readonly collections: () => number
}

export const makeHeapGuard = (ceilingBytes = 96 * 1024 * 1024): HeapGuard => {
  const gc = collector()
  let forced = 0
  // A live set larger than the ceiling (one huge space) raises the bar above what survived, so
  // it does not trigger a collection on every check.
  let bar = ceilingBytes
  const used = () => {
    // Buffers read from files count too: they live outside the JS heap but hold memory all the same.
    const stats = getHeapStatistics()
    return stats.used_heap_size + stats.external_memory
  }
  return {
    check: () => {
      if (gc === undefined || used() < bar) return
      gc()
      forced++
      // Only a live set above the ceiling moves the bar (half a ceiling over what survived).
      const survived = used()
      bar = survived < ceilingBytes ? ceilingBytes : survived + ceilingBytes / 2
    },
    collections: () => forced
  }
}

/** The process's guard: one heap, one ceiling. */
export const heapGuard: HeapGuard = makeHeapGuard()
