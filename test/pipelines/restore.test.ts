import { FetchHttpClient } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Redacted } from "effect"
import { progressLayer } from "../../pipelines/progress.ts"
import { migrate } from "../../pipelines/migrate.ts"
import { archiveCollections, planRestore, runRestore } from "../../pipelines/restore.ts"
import { Kinopio } from "../../src/kinopio/client.ts"
import { KinopioSourceLive } from "../../src/kinopio/connector.ts"
import { KinopioTargetLive, targetId } from "../../src/kinopio/restore.ts"
import { type KinopioSandbox, SANDBOX_BASE_URL, sandboxFetchLayer } from "../../src/kinopio/sandbox.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { backupSandbox, direct, lines, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"
import { advancing } from "../support/time.ts"

type Entity = Record<string, unknown>

/** Ferry's real Kinopio target over the in-process sandbox, writing as its second account. */
const targetLayer = (sandbox: KinopioSandbox, fetchLayer = sandboxFetchLayer(sandbox)) =>
  KinopioTargetLive.pipe(
    Layer.provide(Kinopio.layer({ baseUrl: SANDBOX_BASE_URL, apiKey: Redacted.make(sandbox.accounts.target.apiKey), budget: 0.9 })),
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(fetchLayer)
  )

const restore = (sandbox: KinopioSandbox, archive: string, fetchLayer?: Layer.Layer<FetchHttpClient.Fetch>) =>
  Effect.flatMap(archiveCollections(archive, "kinopio"), (collections) =>
    runRestore(archive, collections).pipe(
      Effect.provide(Layer.merge(targetLayer(sandbox, fetchLayer), progressLayer({ mode: "silent", label: "test" })))
    )).pipe(Effect.provide(RateBudgets.layer), Effect.provide(NodeContext.layer))

/** What the target account holds, read through the API itself. */
const targetHolds = (sandbox: KinopioSandbox) =>
  Effect.gen(function*() {
    const key = sandbox.accounts.target.apiKey
    const listed = (yield* direct(sandbox, "/user/spaces", key)).body as Array<Entity>
    const removed = (yield* direct(sandbox, "/user/removed-spaces", key)).body as Array<Entity>
    const cards: Array<Entity> = []
    const connections: Array<Entity> = []
    const removedCards: Array<Entity> = []
    for (const s of [...listed, ...removed]) {
      const full = (yield* direct(sandbox, `/space/${s["id"]}`, key)).body as Entity
      cards.push(...(full["cards"] as Array<Entity>).filter((c) => c["isRemoved"] !== true))
      connections.push(...(full["connections"] as Array<Entity>))
      removedCards.push(...((yield* direct(sandbox, `/space/${s["id"]}/removedCards`, key)).body as Array<Entity>))
    }
    return { spaces: listed, removedSpaces: removed, cards, connections, removedCards }
  })

describe("restore kinopio", () => {
  it.scoped("an account restored into an empty one is the same modulo ids, every reference pointing at the right entity", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupSandbox(sandbox, out)
      const sourceBefore = (yield* direct(sandbox, "/user/spaces")).body as Array<Entity>
      const summary = yield* advancing(restore(sandbox, backup.archive))
      expect(summary.differences).toEqual([])
      const held = yield* targetHolds(sandbox)
      const archived = (c: string) => lines(backup.archive, `data/${c}.jsonl`)
      expect(held.spaces.length).toBe((yield* archived("spaces")).length)
      expect(held.removedSpaces.length).toBe((yield* archived("removedSpaces")).length)
      expect(held.cards.length).toBe((yield* archived("cards")).length)
      expect(held.removedCards.length).toBe((yield* archived("removedCards")).length)
      expect(held.connections.length).toBe((yield* archived("connections")).length)
      // Names (hostile ones included) come back exactly, but for links to restored spaces, which
      // now name the restored copy; connections join the same cards by name.
      const account = sandbox.accounts.target.userId
      const spaceIds = [...(yield* archived("spaces")), ...(yield* archived("removedSpaces"))].map((s) => String(s["id"]))
      const relinked = (name: string) => spaceIds.reduce((n, id) => n.split(id).join(targetId(account, "space", id)), name)
      const names = (cards: ReadonlyArray<Entity>, f = (n: string) => n) => cards.map((c) => f(String(c["name"]))).sort()
      expect(names(held.cards)).toEqual(names(yield* archived("cards"), relinked))
      expect(names(held.cards).some((n) => spaceIds.some((id) => n.includes(targetId(account, "space", id))))).toBe(true)
      const byId = (cards: ReadonlyArray<Entity>, f = (n: string) => n) => new Map(cards.map((c) => [c["id"], f(String(c["name"]))]))
      const sourceCards = byId(yield* archived("cards"), relinked)
      const targetCards = byId(held.cards)
      const ends = (conns: ReadonlyArray<Entity>, cards: Map<unknown, unknown>) =>
        conns.map((c) => `${cards.get(c["startCardId"] ?? c["startItemId"]) ?? "box"}→${cards.get(c["endCardId"] ?? c["endItemId"]) ?? "box"}`).sort()
      expect(ends(held.connections, targetCards)).toEqual(ends(yield* archived("connections"), sourceCards))
      // The source account is untouched: a restore only creates, and only in the target.
      const sourceNow = (yield* direct(sandbox, "/user/spaces")).body as Array<Entity>
      expect(sourceNow.map((s) => JSON.stringify(s)).sort()).toEqual(sourceBefore.map((s) => JSON.stringify(s)).sort())
    }))

  it.scoped("--dry-run plans without a single write", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupSandbox(sandbox, out)
      const writesBefore = [...sandbox.stats.byRoute].filter(([route]) => !route.startsWith("GET")).reduce((n, [, c]) => n + c, 0)
      const plan = yield* advancing(
        Effect.flatMap(archiveCollections(backup.archive, "kinopio"), planRestore).pipe(
          Effect.provide(targetLayer(sandbox)),
          Effect.provide(RateBudgets.layer),
          Effect.provide(NodeContext.layer)
        )
      )
      const writesAfter = [...sandbox.stats.byRoute].filter(([route]) => !route.startsWith("GET")).reduce((n, [, c]) => n + c, 0)
      expect(writesAfter).toBe(writesBefore)
      const cards = plan.steps.find((s) => s.collection === "cards")!
      expect(cards.entities).toBe((yield* lines(backup.archive, "data/cards.jsonl")).length + (yield* lines(backup.archive, "data/removedCards.jsonl")).length)
      expect(cards.requests).toBeLessThan(cards.entities) // batched
      expect(plan.notRestored.map((n) => n.collection)).toContain("notifications")
    }))

  // 4 and 6 stop inside the POST /space and POST /card batches, the writes that matter most.
  for (const stopAt of [3, 4, 5, 6, 7, 9]) {
    it.scoped(`stopped after ${stopAt} requests, with a write the service finished but never answered, a re-run creates nothing twice`, () =>
      Effect.gen(function*() {
        const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
        const out = yield* tempDir
        const backup = yield* backupSandbox(sandbox, out)
        const stopped = yield* Deferred.make<void>()
        const inner = sandboxFetchLayer(sandbox)
        let sent = 0
        // The stopAt-th request reaches the service and is carried out; its answer never comes back.
        const dying = Layer.effect(
          FetchHttpClient.Fetch,
          Effect.map(FetchHttpClient.Fetch, (fetch) =>
            ((input: RequestInfo | URL, init?: RequestInit) => {
              if (++sent < stopAt) return fetch(input, init)
              return fetch(input, init).then(() => {
                Deferred.unsafeDone(stopped, Effect.void)
                return new Promise<Response>(() => {})
              })
            }) as typeof globalThis.fetch)
        ).pipe(Layer.provide(inner))
        const first = yield* Effect.fork(advancing(restore(sandbox, backup.archive, dying)))
        yield* Deferred.await(stopped)
        yield* Fiber.interrupt(first)
        const summary = yield* advancing(restore(sandbox, backup.archive))
        expect(summary.differences).toEqual([])
        const held = yield* targetHolds(sandbox)
        const count = (list: ReadonlyArray<Entity>) => list.length
        expect(count(held.spaces)).toBe((yield* lines(backup.archive, "data/spaces.jsonl")).length)
        expect(count(held.cards)).toBe((yield* lines(backup.archive, "data/cards.jsonl")).length)
        expect(count(held.connections)).toBe((yield* lines(backup.archive, "data/connections.jsonl")).length)
        expect(count(held.removedCards)).toBe((yield* lines(backup.archive, "data/removedCards.jsonl")).length)
        expect(new Set(held.cards.map((c) => c["id"])).size).toBe(held.cards.length)
      }))
  }

  it.scoped("migrate copies an account into another with no archive on disk, and a second run creates nothing", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
      const source = KinopioSourceLive.pipe(
        Layer.provide(Kinopio.layer({ baseUrl: SANDBOX_BASE_URL, apiKey: Redacted.make(sandbox.accounts.main.apiKey), budget: 0.9 })),
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(sandboxFetchLayer(sandbox))
      )
      const run = advancing(
        migrate({ secrets: [sandbox.accounts.main.apiKey], dryRun: false }).pipe(
          Effect.provide(Layer.mergeAll(source, targetLayer(sandbox), progressLayer({ mode: "silent", label: "test" })))
        )
      ).pipe(Effect.provide(RateBudgets.layer), Effect.provide(NodeContext.layer))
      const first = yield* run
      expect(first._tag).toBe("Migrated")
      if (first._tag !== "Migrated") return
      expect(first.summary.differences).toEqual([])
      expect(first.summary.collections["cards"]!.created).toBeGreaterThan(0)
      const held = yield* targetHolds(sandbox)
      const listed = (yield* direct(sandbox, "/user/spaces")).body as Array<Entity>
      expect(held.spaces.length).toBe(listed.length)
      const second = yield* run
      if (second._tag !== "Migrated") return
      expect(Object.values(second.summary.collections).reduce((n, c) => n + c.created, 0)).toBe(0)
      expect((yield* targetHolds(sandbox)).cards.length).toBe(held.cards.length)
    }))
})
