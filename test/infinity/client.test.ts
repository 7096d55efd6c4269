import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Stream } from "effect"
import { makeInfinityClient } from "../../src/infinity/client.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { type Reply, scripted } from "../support/scripted-http.ts"
import { advancing } from "../support/time.ts"

const page = (data: Array<unknown>, hasMore: unknown, after: string) =>
  ({ status: 200, body: JSON.stringify({ has_more: hasMore, before: "", after, data }) }) satisfies Reply

const clientWith = (replies: Array<Reply>) => {
  const t = scripted(replies)
  const client = makeInfinityClient({ baseUrl: "http://infinity.test", token: Redacted.make("tok-1"), budget: 0.9 }).pipe(
    Effect.provide(Layer.merge(t.layer, RateBudgets.layer))
  )
  return { t, client }
}

const all = <A, E>(pages: Stream.Stream<A, E>) => advancing(Stream.runCollect(pages)).pipe(Effect.map((c) => [...c]))

describe("Infinity client", () => {
  it.effect("follows cursors to the end with the Bearer token, asking no page twice", () =>
    Effect.gen(function*() {
      const { client, t } = clientWith([page([{ id: 1 }, { id: 2 }], true, "c1"), page([{ id: 3 }], false, "c2")])
      const pages = yield* all((yield* client).workspaces)
      expect(pages.flatMap((p) => p.value.map((e) => e["id"]))).toEqual([1, 2, 3])
      expect(t.seen.map((s) => new URL(s.url).searchParams.get("after"))).toEqual([null, "c1"])
      expect(t.seen.every((s) => s.auth === "Bearer tok-1")).toBe(true)
      expect(new URL(t.seen[0]!.url).pathname).toBe("/api/v2/workspaces")
    }))

  it.effect("a cursor handed back again is refused instead of looping forever", () =>
    Effect.gen(function*() {
      const { client } = clientWith([page([{ id: 1 }], true, "A"), page([{ id: 2 }], true, "B"), page([{ id: 3 }], true, "A")])
      const error = yield* Effect.flip(all((yield* client).workspaces))
      expect(error.message).toContain("after hands back a cursor already followed")
    }))

  it.effect("a has_more that is not a boolean is read tolerantly and reported; an entity without an id is kept", () =>
    Effect.gen(function*() {
      const { client } = clientWith([page([{ id: "u1" }, { name: "no id" }], "true", "c1"), page([{ id: "u2" }], 0, "")])
      const pages = yield* all((yield* client).users("669"))
      expect(pages.flatMap((p) => p.value)).toEqual([{ id: "u1" }, { name: "no id" }, { id: "u2" }])
      const warnings = pages.flatMap((p) => p.warnings).join("\n")
      expect(warnings).toContain("has_more is \"true\", not a boolean; read as true")
      expect(warnings).toContain("data[1] has no usable id; kept as received")
    }))

  it.effect("an item without an id fails naming the route and field: its comments could not be asked for", () =>
    Effect.gen(function*() {
      const { client } = clientWith([page([{ id: "i1" }, { folder_id: "f" }], false, "")])
      const error = yield* Effect.flip(all((yield* client).items("669", "b1")))
      expect(error.message).toContain("GET …/boards/{board}/items")
      expect(error.message).toContain("data[1].id is missing")
    }))
})
