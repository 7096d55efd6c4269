import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { makeProgress } from "../../pipelines/progress.ts"

describe("progress", () => {
  it.effect("plain lines: done/total, requests and ETA; a rate only once it means something, then the true one", () =>
    Effect.gen(function*() {
      const written: Array<string> = []
      const progress = yield* makeProgress({ mode: "plain", label: "backup kinopio", write: (t) => void written.push(t) })
      // Three evenly paced requests in under half a second would read as 6+ req/s against a 5 req/s limit.
      yield* TestClock.adjust("450 millis")
      yield* progress.update("spaces", 1, 10, 3)
      yield* TestClock.adjust("9550 millis")
      yield* progress.update("spaces", 5, 10, 45)
      yield* progress.warn("space s1: kept as its summary")
      expect(written).toEqual([
        "backup kinopio: 1/10 spaces · 3 requests · ETA 4s\n",
        "backup kinopio: 5/10 spaces · 45 requests · 4.5 req/s · ETA 10s\n",
        "warning: space s1: kept as its summary\n"
      ])
    }))

  it.effect("silent writes nothing", () =>
    Effect.gen(function*() {
      const written: Array<string> = []
      const progress = yield* makeProgress({ mode: "silent", label: "x", write: (t) => void written.push(t) })
      yield* progress.update("spaces", 1, 1, 1)
      yield* progress.warn("w")
      expect(written).toEqual([])
    }))
})
