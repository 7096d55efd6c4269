import { describe, expect, it } from "vitest"
import { makeHeapGuard } from "../../src/shared/heap.ts"

describe("heap guard", () => {
  it("collects only when the used heap is above its ceiling", () => {
    const low = makeHeapGuard(1)
    low.check()
    low.check()
    expect(low.collections()).toBe(2)
    const high = makeHeapGuard(Number.MAX_SAFE_INTEGER)
    high.check()
    expect(high.collections()).toBe(0)
  })
})
