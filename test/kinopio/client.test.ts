import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { makeKinopioClient } from "../../src/kinopio/client.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { type Reply, scripted } from "../support/scripted-http.ts"
import { advancing } from "../support/time.ts"

const clientWith = (replies: Array<Reply>) => {
  const t = scripted(replies)
  const client = makeKinopioClient({ baseUrl: "http://kinopio.test", apiKey: Redacted.make("k-1"), budget: 0.9 }).pipe(
    Effect.provide(Layer.merge(t.layer, RateBudgets.layer))
  )
  return { t, client }
}

describe("Kinopio client", () => {
  it.effect("keeps unknown fields and key order exactly as received", () =>
    Effect.gen(function*() {
      const card = {
        zeta: 1,
        id: "c1",
        name: "[x] done **bold**",
        x: 120.5,
        tilt: -2.5,
        atUserMentions: [{ id: "m1", userId: "u2", stringMatch: "@ada" }],
        listPositionIndex: "a3",
        backgroundColor: null,
        nested: { deep: { deeper: [1, { k: "v" }] } }
      }
      const { client, t } = clientWith([{ status: 200, body: JSON.stringify([card]) }])
      const kinopio = yield* client
      const removed = yield* kinopio.removedCards("s1")
      expect(JSON.stringify(removed.value[0])).toBe(JSON.stringify(card))
      expect(removed.warnings).toEqual([])
      expect(t.seen[0]?.url).toBe("http://kinopio.test/space/s1/removedCards")
    }))

  it.effect("a field of an unexpected type is kept verbatim and reported, never fatal", () =>
    Effect.gen(function*() {
      const { client } = clientWith([{ status: 200, body: JSON.stringify([{ id: "c1", x: "12", name: ["odd"] }]) }])
      const removed = yield* (yield* client).removedCards("s1")
      expect(removed.value[0]).toEqual({ id: "c1", x: "12", name: ["odd"] })
      expect(removed.warnings.join("\n")).toContain("GET /space/:spaceId/removedCards body[0].x")
      expect(removed.warnings.join("\n")).toContain("body[0].name")
    }))

  it.effect("an unusable response fails naming the route and the offending field", () =>
    Effect.gen(function*() {
      const { client } = clientWith([
        { status: 200, body: JSON.stringify({ spaces: [] }) },
        { status: 200, body: JSON.stringify([{ id: "s1" }, { name: "no id" }]) }
      ])
      const kinopio = yield* client
      const notAList = yield* Effect.flip(kinopio.userSpaces)
      expect(notAList.message).toBe(
        "kinopio GET /user/spaces answered with an unusable response: body is an object, expected an array"
      )
      const noId = yield* advancing(Effect.flip(kinopio.spaces(["s1", "s2"])))
      expect(noId.message).toContain("GET /space/multiple")
      expect(noId.message).toContain("body[1].id is missing")
    }))

  it.effect("asks for up to 60 spaces in one request", () =>
    Effect.gen(function*() {
      const ids = Array.from({ length: 60 }, (_, i) => `s${i}`)
      const { client, t } = clientWith([{ status: 200, body: JSON.stringify(ids.map((id) => ({ id }))) }])
      const spaces = yield* (yield* client).spaces(ids)
      expect(spaces.value).toHaveLength(60)
      expect(t.seen).toHaveLength(1)
      expect(new URL(t.seen[0]!.url).searchParams.get("spaceIds")).toBe(ids.join(","))
    }))
})
