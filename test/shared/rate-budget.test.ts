import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, TestClock } from "effect"
import { makeRateBudget, RateBudgets } from "../../src/shared/rate-budget.ts"

const maxInAnyWindow = (starts: ReadonlyArray<number>, windowMs: number) => {
  const sorted = [...starts].sort((a, b) => a - b)
  let best = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++
    best = Math.max(best, i - j + 1)
  }
  return best
}

describe("RateBudget", () => {
  it.effect("paces 8 concurrent fibers to budget × limit: never more than 5 in any second", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ perSecond: 5, fraction: 0.9 })
      const starts: Array<number> = []
      const request = budget.take.pipe(Effect.zipRight(Clock.currentTimeMillis), Effect.map((t) => starts.push(t)))
      const fibers = yield* Effect.fork(Effect.all(Array.from({ length: 8 }, () => Effect.repeatN(request, 9)), { concurrency: 8 }))
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(fibers)
      expect(starts).toHaveLength(80)
      // 0.9 × 5/s = one start every 222 ms: 80 starts span 79 gaps.
      expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(79 * 222)
      expect(maxInAnyWindow(starts, 1000)).toBeLessThanOrEqual(5)
      expect((yield* budget.stats).requests).toBe(80)
    }))

  it.effect("after a 429 nobody starts before the pause ends, not even fibers holding earlier slots", () =>
    Effect.gen(function*() {
      const budget = yield* makeRateBudget({ perSecond: 5, fraction: 1 })
      const starts: Array<number> = []
      const request = budget.take.pipe(Effect.zipRight(Clock.currentTimeMillis), Effect.map((t) => starts.push(t)))
      const four = yield* Effect.fork(Effect.all([request, request, request, request], { concurrency: 4 }))
      yield* TestClock.adjust("300 millis")
      yield* budget.pauseFor("30 seconds")
      yield* TestClock.adjust("29 seconds")
      expect(starts).toEqual([0, 200])
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(four)
      expect(starts).toEqual([0, 200, 30_300, 30_500])
    }))

  it.effect("one budget per service and credential, shared by every job in the process", () =>
    Effect.gen(function*() {
      const budgets = yield* RateBudgets
      const limit = { perSecond: 5, fraction: 0.9 }
      const a = yield* budgets.forCredential("kinopio", "key-1", limit)
      const b = yield* budgets.forCredential("kinopio", "key-1", limit)
      const c = yield* budgets.forCredential("kinopio", "key-2", limit)
      const d = yield* budgets.forCredential("infinity", "key-1", limit)
      expect(a).toBe(b)
      expect(a).not.toBe(c)
      expect(a).not.toBe(d)
      expect(yield* budgets.all).toHaveLength(3)
    }).pipe(Effect.provide(RateBudgets.layer)))
})
