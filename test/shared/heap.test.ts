import { describe, expect, it } from "vitest"
import { makeHeapGuard } from "../../src/shared/heap.ts"

describe("heap guard", () => {
  it("collects when the used heap passes its bar, then raises the bar above what survived", () => {
    const low = makeHeapGuard(2 * 1024 * 1024) // a test process holds more than 2 MiB live
    low.check()
    expect(low.collections()).toBe(1)
    low.check() // still above 2 MiB, but below the raised bar: no collection on every check
    expect(low.collections()).toBe(1)
    const high = makeHeapGuard(Number.MAX_SAFE_INTEGER)
    high.check()
    expect(high.collections()).toBe(0)
  })
})
