/** Imported canvases created by the real Kinopio restore target, in the in-process sandbox (no network). */
import { readFileSync } from "node:fs"
import { FetchHttpClient } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Redacted, Stream } from "effect"
import { progressLayer } from "../../pipelines/progress.ts"
import { runRestore } from "../../pipelines/restore.ts"
import { canvasCollections } from "../../src/canvas/archive.ts"
import { spaceToCanvas } from "../../src/canvas/export.ts"
import { canvasToSpace } from "../../src/canvas/import.ts"
import { Kinopio } from "../../src/kinopio/client.ts"
import { KinopioTargetLive, targetId } from "../../src/kinopio/restore.ts"
import { type KinopioSandbox, SANDBOX_BASE_URL, sandboxFetchLayer } from "../../src/kinopio/sandbox.ts"
import { demoIds } from "../../src/kinopio/sandbox-seed.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { direct, sandboxOnTestClock } from "../support/kinopio-backup.ts"
import { advancing } from "../support/time.ts"
import { seedSpaceInputs } from "./seed-spaces.ts"

type Entity = Record<string, unknown>

const foreign = Either.getOrThrow(canvasToSpace(readFileSync(new URL("./fixtures/foreign.canvas", import.meta.url), "utf8"), "foreign.canvas"))
const garden = seedSpaceInputs().find((i) => i.space["id"] === demoIds.spaces.open)!
const ferried = Either.getOrThrow(canvasToSpace(JSON.stringify(spaceToCanvas(garden).canvas), "garden.canvas"))

const restore = (sandbox: KinopioSandbox) =>
  runRestore("imported canvases", canvasCollections([foreign, ferried])).pipe(
    Effect.provide(Layer.merge(
      KinopioTargetLive.pipe(
        Layer.provide(Kinopio.layer({ baseUrl: SANDBOX_BASE_URL, apiKey: Redacted.make(sandbox.accounts.target.apiKey), budget: 0.9 })),
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(sandboxFetchLayer(sandbox))
      ),
      progressLayer({ mode: "silent", label: "test" })
    )),
    Effect.provide(RateBudgets.layer),
    Effect.provide(NodeContext.layer)
  )

describe("canvasCollections", () => {
  it.effect("streams each collection a Kinopio restore reads; those a canvas cannot fill are empty", () =>
    Effect.gen(function*() {
      const archive = canvasCollections([foreign, ferried])
      const read = (c: string) => Effect.map(Stream.runCollect(archive.read(c)), Chunk.toReadonlyArray)
      expect(archive.service).toBe("kinopio")
      expect(yield* read("spaces")).toEqual([foreign.space, ferried.space])
      expect((yield* read("cards")).length).toBe(foreign.cards.length + garden.cards.length)
      expect(yield* read("removedCards")).toEqual(garden.removedCards)
      for (const c of ["user", "removedSpaces", "favorites", "notifications"]) expect(yield* read(c)).toEqual([])
      expect((yield* Effect.either(read("attachments")))._tag).toBe("Left")
    }))

  it.scoped("the Kinopio restore target creates what canvases hold, and a second run creates nothing", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
      const summary = yield* advancing(restore(sandbox))
      expect(summary.differences).toEqual([])
      expect(summary.collections["cards"]).toEqual({ created: foreign.cards.length + garden.cards.length + garden.removedCards!.length, existing: 0 })
      expect(summary.collections["connections"]).toEqual({ created: foreign.connections.length + garden.connections.length, existing: 0 })

      const account = sandbox.accounts.target.userId
      const key = sandbox.accounts.target.apiKey
      const space = (yield* direct(sandbox, `/space/${targetId(account, "space", String(foreign.space["id"]))}`, key)).body as Entity
      expect(space["name"]).toBe("foreign")
      expect((space["boxes"] as Array<Entity>).map((b) => b["name"])).toEqual(["Outer group", "Inner ✨", ""])
      expect((space["cards"] as Array<Entity>).map((c) => c["name"]).sort()).toEqual(foreign.cards.map((c) => c["name"]).sort())
      expect((space["connections"] as Array<Entity>)).toHaveLength(foreign.connections.length)

      const again = yield* advancing(restore(sandbox))
      expect(again.differences).toEqual([])
      for (const [collection, counts] of Object.entries(again.collections)) expect(counts.created, collection).toBe(0)
    }))
})
