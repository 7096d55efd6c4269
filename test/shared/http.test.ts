import { HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, Redacted, Stream, TestClock } from "effect"
import { BodyInterrupted, makeApiClient } from "../../src/shared/http.ts"
import { makeRateBudget } from "../../src/shared/rate-budget.ts"
import { scripted } from "../support/scripted-http.ts"

const client = (transport: ReturnType<typeof scripted>) =>
  Effect.gen(function*() {
    const budget = yield* makeRateBudget({ perSecond: 5, fraction: 0.9 })
    const api = yield* makeApiClient({
      service: "kinopio",
      baseUrl: "http://sandbox.test",
      credential: Redacted.make("secret-key-123"),
      authorize: (r, key) => HttpClientRequest.setHeader(r, "Authorization", key),
      budget,
      pauseAfter429: (retryAfter) => Option.match(retryAfter, { onNone: () => Duration.seconds(30), onSome: (d) => Duration.max(d, Duration.seconds(30)) })
    }).pipe(Effect.provide(transport.layer))
    return { api, budget }
  })

const get = { method: "GET", route: "GET /user", path: "/user" } as const

describe("ApiClient", () => {
  it.effect("sends the raw key as the whole Authorization header", () =>
    Effect.gen(function*() {
      const t = scripted([{ status: 200, body: "{\"id\":\"u1\"}" }])
      const { api } = yield* client(t)
      expect(yield* api.request(get)).toEqual({ id: "u1" })
      expect(t.seen[0]?.auth).toBe("secret-key-123")
      expect(t.seen[0]?.url).toBe("http://sandbox.test/user")
    }))

  it.effect("a 429 pauses for the 30 s cooldown, then the request completes with nothing lost", () =>
    Effect.gen(function*() {
      const t = scripted([{ status: 429 }, { status: 200, body: "[1,2,3]" }])
      const { api, budget } = yield* client(t)
      const fiber = yield* Effect.fork(api.request(get))
      yield* TestClock.adjust("29 seconds")
      expect(t.seen).toHaveLength(1)
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(fiber)).toEqual([1, 2, 3])
      expect(t.seen.map((s) => s.at)).toEqual([0, 30_000])
      expect(yield* budget.stats).toEqual({ requests: 2, rateLimited: 1, retries: 1 })
    }))

  it.effect("Retry-After wins when it is longer than the cooldown", () =>
    Effect.gen(function*() {
      const t = scripted([{ status: 429, headers: { "retry-after": "45" } }, { status: 200, body: "{}" }])
      const { api } = yield* client(t)
      const fiber = yield* Effect.fork(api.request(get))
      yield* TestClock.adjust("60 seconds")
      yield* Fiber.join(fiber)
      expect(t.seen.map((s) => s.at)).toEqual([0, 45_000])
    }))

  it.effect("retries 5xx and a body cut off mid-way with growing backoff, each attempt under the budget", () =>
    Effect.gen(function*() {
      const t = scripted([{ status: 503 }, { status: 500 }, { status: 200, cut: true }, { status: 200, body: "[\"ok\"]" }])
      const { api, budget } = yield* client(t)
      const fiber = yield* Effect.fork(api.request(get))
      yield* TestClock.adjust("2 minutes")
      expect(yield* Fiber.join(fiber)).toEqual(["ok"])
      const gaps = t.seen.slice(1).map((s, i) => s.at - t.seen[i]!.at)
      expect(gaps).toHaveLength(3)
      // base 1 s doubling, equal jitter: [0.5, 1], [1, 2], [2, 4] seconds
      expect(gaps[0]).toBeGreaterThanOrEqual(500)
      expect(gaps[0]).toBeLessThanOrEqual(1000)
      expect(gaps[1]).toBeGreaterThanOrEqual(1000)
      expect(gaps[2]).toBeGreaterThanOrEqual(2000)
      expect((yield* budget.stats).requests).toBe(4)
    }))

  it.effect("gives up after the bounded retries with a message that names the route, never the key", () =>
    Effect.gen(function*() {
      const t = scripted(Array.from({ length: 10 }, () => ({ status: 502 })))
      const { api } = yield* client(t)
      const fiber = yield* Effect.fork(Effect.flip(api.request(get)))
      yield* TestClock.adjust("10 minutes")
      const error = yield* Fiber.join(fiber)
      expect(t.seen).toHaveLength(6)
      expect(error._tag).toBe("ServiceError")
      expect(error.message).toContain("GET /user")
      expect(error.message).not.toContain("secret-key-123")
    }))

  it.effect("does not retry a 4xx, and scrubs the key from the service's error text", () =>
    Effect.gen(function*() {
      const t = scripted([{ status: 401, body: "{\"message\":\"bad key secret-key-123\"}" }])
      const { api } = yield* client(t)
      const error = yield* Effect.flip(api.request(get))
      expect(t.seen).toHaveLength(1)
      expect(error._tag === "ServiceError" && error.reason).toBe("Unauthorized")
      expect(error.message).toContain("[redacted]")
      expect(error.message).not.toContain("secret-key-123")
    }))

  it.effect("does not repeat a write after an unclear failure unless it is idempotent", () =>
    Effect.gen(function*() {
      const t = scripted([{ status: 503 }, { status: 503 }, { status: 201, body: "{}" }])
      const { api } = yield* client(t)
      const post = { method: "POST", route: "POST /card", path: "/card", body: { name: "x" } } as const
      yield* Effect.flip(api.request(post))
      expect(t.seen).toHaveLength(1)
      const fiber = yield* Effect.fork(api.request({ ...post, idempotent: true }))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      expect(t.seen).toHaveLength(3)
    }))

  it.effect("downloads a file link under the budget, starting again after a cut, with the key only for the service's own origin", () =>
    Effect.gen(function*() {
      const t = scripted([{ status: 200, cut: true }, { status: 200, body: "whole file" }, { status: 200, body: "elsewhere" }])
      const { api, budget } = yield* client(t)
      const attempts: Array<string> = []
      const consume = (bytes: Stream.Stream<Uint8Array, BodyInterrupted>) =>
        Stream.runFold(bytes, "", (text, chunk) => text + new TextDecoder().decode(chunk)).pipe(
          Effect.tap((text) => Effect.sync(() => attempts.push(text))),
          Effect.tapError(() => Effect.sync(() => attempts.push("failed")))
        )
      const fiber = yield* Effect.fork(api.download({ route: "GET attachment", url: "http://sandbox.test/storage/a.txt?sig=1" }, consume))
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toBe("whole file")
      expect(attempts).toEqual(["failed", "whole file"])
      expect(t.seen.map((s) => s.auth)).toEqual(["secret-key-123", "secret-key-123"])
      const other = yield* Effect.fork(api.download({ route: "GET attachment", url: "https://files.example.com/a.txt" }, consume))
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(other)).toBe("elsewhere")
      expect(t.seen[2]?.auth).toBeUndefined()
      expect((yield* budget.stats).requests).toBe(3)
    }))

  it.effect("a pause longer than the request timeout is waited out, not counted as a timeout", () =>
    Effect.gen(function*() {
      const t = scripted([{ status: 429, headers: { "retry-after": "120" } }, { status: 200, body: "{\"ok\":1}" }])
      const { api, budget } = yield* client(t)
      // Ten requests queue behind the 429's pause of 120 s, twice the 60 s request timeout.
      const fiber = yield* Effect.fork(Effect.all(Array.from({ length: 10 }, () => api.request(get)), { concurrency: 10 }))
      yield* TestClock.adjust("5 minutes")
      const results = yield* Fiber.join(fiber)
      expect(results).toHaveLength(10)
      expect(t.seen[1]!.at).toBeGreaterThanOrEqual(120_000)
      expect(yield* budget.stats).toEqual({ requests: 11, rateLimited: 1, retries: 1 })
    }))
})
