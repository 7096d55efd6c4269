/**
 * Kinopio → Infinity → Kinopio over HTTP, through both real restore targets and both sandboxes:
 * the acceptance. A seeded Kinopio account is migrated into an empty Infinity workspace,
 * that workspace back into an empty Kinopio account, and the result equals the original modulo
 * ids and exactly the losses the two runs listed.
 */
import { FetchHttpClient } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Stream } from "effect"
import { migrate } from "../../pipelines/migrate.ts"
import { progressLayer } from "../../pipelines/progress.ts"
import { archiveCollections } from "../../pipelines/restore.ts"
import { COLLECTIONS } from "../../src/archive/collections.ts"
import type { NotRestored } from "../../src/connector.ts"
import { Infinity } from "../../src/infinity/client.ts"
import { InfinitySourceLive } from "../../src/infinity/connector.ts"
import { infinityTargetLayer } from "../../src/infinity/restore.ts"
import { INFINITY_SANDBOX_BASE_URL, type InfinitySandbox } from "../../src/infinity/sandbox.ts"
import { Kinopio } from "../../src/kinopio/client.ts"
import { KinopioSourceLive } from "../../src/kinopio/connector.ts"
import { KinopioTargetLive } from "../../src/kinopio/restore.ts"
import { type KinopioSandbox, SANDBOX_BASE_URL } from "../../src/kinopio/sandbox.ts"
import { routedFetchLayer } from "../../src/sandbox/fetch.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { kinopioView, listed } from "../mapping/support.ts"
import { infinityOnTestClock } from "../support/infinity-backup.ts"
import { backupSandbox, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"
import { advancing } from "../support/time.ts"

const kinopioSource = (sandbox: KinopioSandbox, apiKey: string) =>
  KinopioSourceLive.pipe(
    Layer.provide(Kinopio.layer({ baseUrl: SANDBOX_BASE_URL, apiKey: Redacted.make(apiKey), budget: 0.9 })),
    Layer.provide(FetchHttpClient.layer)
  )
const kinopioTarget = (sandbox: KinopioSandbox) =>
  KinopioTargetLive.pipe(
    Layer.provide(Kinopio.layer({ baseUrl: SANDBOX_BASE_URL, apiKey: Redacted.make(sandbox.accounts.target.apiKey), budget: 0.9 })),
    Layer.provide(FetchHttpClient.layer)
  )
const infinityLayer = (sandbox: InfinitySandbox) =>
  Infinity.layer({ baseUrl: INFINITY_SANDBOX_BASE_URL, token: Redacted.make(sandbox.accounts.target.token), budget: 0.9 }).pipe(
    Layer.provide(FetchHttpClient.layer)
  )

/** Both sandboxes in-process: FetchHttpClient looks its fetch up where a request runs, so one fetch routes by origin. */
const run = <A, E>(effect: Effect.Effect<A, E, any>, layer: Layer.Layer<any, never, any>, kinopio: KinopioSandbox, infinity: InfinitySandbox) =>
  advancing(effect.pipe(Effect.provide(Layer.merge(layer, progressLayer({ mode: "silent", label: "test" })))), {
    step: "500 millis",
    limit: "4 hours"
  }).pipe(
    Effect.provide(routedFetchLayer({ [SANDBOX_BASE_URL]: kinopio.app, [INFINITY_SANDBOX_BASE_URL]: infinity.app })),
    Effect.provide(RateBudgets.layer),
    Effect.provide(NodeContext.layer)
  ) as Effect.Effect<A, E>

const collectionsOf = (archive: string) =>
  Effect.gen(function*() {
    const read = yield* archiveCollections(archive, "kinopio")
    const entries = yield* Effect.forEach(COLLECTIONS.kinopio, (c) =>
      Effect.map(Stream.runCollect(read.read(c)), (list) => [c, Chunk.toReadonlyArray(list)] as const))
    return Object.fromEntries(entries)
  }).pipe(Effect.provide(NodeContext.layer))

describe("migrate between services", () => {
  it.scoped("Kinopio → an empty Infinity workspace → an empty Kinopio account gives back the spaces, modulo ids and the listed losses", () =>
    Effect.gen(function*() {
      const kinopio = yield* sandboxOnTestClock()
      const infinity = yield* infinityOnTestClock() // its target account has one empty workspace
      const journals = yield* tempDir

      const there = yield* run(
        migrate({ secrets: [kinopio.accounts.main.apiKey], dryRun: false }),
        Layer.merge(
          kinopioSource(kinopio, kinopio.accounts.main.apiKey),
          infinityTargetLayer({ withHooks: false, inviteMembers: false, journal: `${journals}/to-infinity.jsonl` }).pipe(Layer.provide(infinityLayer(infinity)))
        ),
        kinopio,
        infinity
      )
      expect(there._tag).toBe("Migrated")
      const toInfinity = there._tag === "Migrated" ? there.summary : undefined
      expect(toInfinity?.differences).toEqual([])
      expect(toInfinity?.collections["boards"]?.created).toBeGreaterThan(0)

      // Run again (as after a stop): the journal and the derived ids find everything; nothing is made twice.
      const again = yield* run(
        migrate({ secrets: [kinopio.accounts.main.apiKey], dryRun: false }),
        Layer.merge(
          kinopioSource(kinopio, kinopio.accounts.main.apiKey),
          infinityTargetLayer({ withHooks: false, inviteMembers: false, journal: `${journals}/to-infinity.jsonl` }).pipe(Layer.provide(infinityLayer(infinity)))
        ),
        kinopio,
        infinity
      )
      const second = again._tag === "Migrated" ? again.summary : undefined
      for (const [collection, counts] of Object.entries(second?.collections ?? {})) expect(counts.created, collection).toBe(0)
      expect(second?.collections["items"]?.existing).toBe(toInfinity?.collections["items"]?.created)

      const back = yield* run(
        migrate({ secrets: [infinity.accounts.target.token], dryRun: false }),
        Layer.merge(InfinitySourceLive.pipe(Layer.provide(infinityLayer(infinity))), kinopioTarget(kinopio)),
        kinopio,
        infinity
      )
      const toKinopio = back._tag === "Migrated" ? back.summary : undefined
      expect(toKinopio?.differences).toEqual([])

      // The original and the result, each as a backup reads it.
      const out = yield* tempDir
      const original = yield* collectionsOf((yield* backupSandbox(kinopio, `${out}/original`, { full: true })).archive)
      const result = yield* collectionsOf(
        (yield* backupSandbox(kinopio, `${out}/result`, { full: true, apiKey: kinopio.accounts.target.apiKey })).archive
      )
      const rows: ReadonlyArray<NotRestored> = [...(toInfinity?.notCarried ?? []), ...(toKinopio?.notCarried ?? [])]
      const before = kinopioView(original, listed(rows))
      const after = kinopioView(result)
      const byName = (views: typeof before) => new Map(views.map((v) => [String(v.name), v]))
      const got = byName(after)
      for (const space of before) {
        if (space.name === "(listed)") continue // a blank name comes back as a placeholder, and is listed
        const twin = got.get(String(space.name))
        expect(twin, `space ${String(space.name)}`).toBeDefined()
        expect(twin!.boxes, `boxes of ${String(space.name)}`).toEqual(space.boxes)
        expect([...twin!.cards].map((c) => JSON.stringify(c)).sort(), `cards of ${String(space.name)}`)
          .toEqual([...space.cards].map((c) => JSON.stringify(c)).sort())
        expect(twin!.connections, `connections of ${String(space.name)}`).toEqual(space.connections)
        expect(twin!.connectionTypes, `connection types of ${String(space.name)}`).toEqual(space.connectionTypes)
        expect(twin!.tags, `tags of ${String(space.name)}`).toEqual(space.tags)
      }
      expect(after).toHaveLength(before.length)
      // The comparison covered real content, not only placeholders.
      expect(before.filter((v) => v.name !== "(listed)").length).toBeGreaterThan(2)
      expect(before.reduce((n, v) => n + v.cards.length + v.connections.length + v.boxes.length, 0)).toBeGreaterThan(20)
      // What was lost is said, with the place: never dropped silently.
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) expect(Object.keys(row).sort()).toEqual(["collection", "field", "id", "reason"])
    }), 300_000)
})
