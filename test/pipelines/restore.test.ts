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
import { wrappedFetchLayer } from "../support/fetch.ts"
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

// ---------------------------------------------------------------------------------------------
// A target that follows the docs to the letter where our sandbox is looser

type Forward = (request: Request) => Promise<Response>
interface Exchange {
  readonly route: string
  readonly status: number
  readonly bytes: number
}

/** Ferry's fetch into the sandbox through `rule`, which may answer in its place as a stricter service would; every exchange logged. */
const ruled = (sandbox: KinopioSandbox, log: Array<Exchange>, rule: (request: Request, body: string, forward: Forward) => Promise<Response>) =>
  wrappedFetchLayer(sandboxFetchLayer(sandbox), (fetch) => async (input, init) => {
    const request = new Request(input, init)
    const body = request.method === "GET" ? "" : await request.clone().text()
    const response = await rule(request, body, (r) => fetch(r))
    log.push({ route: `${request.method} ${new URL(request.url).pathname}`, status: response.status, bytes: Buffer.byteLength(body) })
    return response
  })

const answer = (status: number, message: string) =>
  new Response(JSON.stringify({ message }), { status, headers: { "content-type": "application/json" } })

/** `/space/multiple` refused whole when one id is unknown, and an unknown id alone answered with `status`. */
const strictSpaces = (status: 403 | 404) => async (request: Request, _body: string, forward: Forward) => {
  const path = new URL(request.url).pathname
  const response = await forward(request)
  if (request.method !== "GET") return response
  if (path === "/space/multiple" && response.ok) {
    const asked = new Set((new URL(request.url).searchParams.get("spaceIds") ?? "").split(",").filter((id) => id !== ""))
    const found = (await response.clone().json()) as Array<unknown>
    return found.length < asked.size ? answer(status, "space not found") : response
  }
  return /^\/space\/[^/]+$/.test(path) && response.status === 404 ? answer(status, "space not found") : response
}

const failureOf = <A, E>(effect: Effect.Effect<A, E>) => Effect.map(Effect.flip(effect), (e) => (e as { message: string }).message)

describe("restore kinopio into a service that follows the docs to the letter", () => {
  for (const status of [404, 403] as const) {
    it.scoped(`/space/multiple refused with ${status} when an id is unknown: each space is asked alone, and on a re-run the spaces already there are found, not made again`, () =>
      Effect.gen(function*() {
        const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
        const out = yield* tempDir
        const backup = yield* backupSandbox(sandbox, out)
        const spaces = (yield* lines(backup.archive, "data/spaces.jsonl")).length + (yield* lines(backup.archive, "data/removedSpaces.jsonl")).length
        const log: Array<Exchange> = []
        const strict = strictSpaces(status)

        // A first run into the empty target (every id unknown) that stops once a few spaces are in:
        // POST /space takes two at most, and after one success the key is refused.
        let createdOnce = false
        const stopping = ruled(sandbox, log, async (request, body, forward) => {
          if (request.method !== "POST" || new URL(request.url).pathname !== "/space") return strict(request, body, forward)
          if (createdOnce) return answer(401, "the apiKey is not valid")
          if ((JSON.parse(body) as Array<unknown>).length > 2) return answer(413, "request entity too large")
          createdOnce = true
          return forward(request)
        })
        const stopped = yield* failureOf(advancing(restore(sandbox, backup.archive, stopping)))
        expect(stopped).toContain("(HTTP 401)")
        expect(log).toContainEqual({ route: "GET /space/multiple", status, bytes: 0 })
        const there = (yield* targetHolds(sandbox))
        const already = there.spaces.length + there.removedSpaces.length
        expect(already).toBeGreaterThan(0)
        expect(already).toBeLessThan(spaces)

        // Some spaces there, the others not: the batch is refused, each is found alone.
        log.length = 0
        const again = yield* advancing(restore(sandbox, backup.archive, ruled(sandbox, log, strict)))
        expect(again.differences).toEqual([])
        expect(again.collections["spaces"]).toEqual({ created: spaces - already, existing: already })
        // Nothing of the first run was sent again (a space taken for missing would have met a 409).
        expect(log.filter((x) => x.status === 409)).toEqual([])
        expect(log).toContainEqual({ route: "GET /space/multiple", status, bytes: 0 })
        const held = yield* targetHolds(sandbox)
        expect(held.spaces.length + held.removedSpaces.length).toBe(spaces)
        expect(held.cards.length).toBe((yield* lines(backup.archive, "data/cards.jsonl")).length)
      }))
  }

  it.scoped("bodies over the service's limit refused with 413: batches are halved until they fit, and no body as large as a refused one is sent again", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupSandbox(sandbox, out)
      const cards = yield* lines(backup.archive, "data/cards.jsonl")
      // Room for any one entity, not for the cards together.
      const limit = Math.max(...cards.map((c) => Buffer.byteLength(JSON.stringify(c)))) + 1024
      expect(cards.reduce((n, c) => n + Buffer.byteLength(JSON.stringify(c)), 0)).toBeGreaterThan(2 * limit)
      const log: Array<Exchange> = []
      const small = ruled(sandbox, log, (request, body, forward) =>
        Promise.resolve(Buffer.byteLength(body) > limit ? answer(413, "request entity too large") : forward(request)))
      const summary = yield* advancing(restore(sandbox, backup.archive, small))
      expect(summary.differences).toEqual([])
      expect(summary.collections["cards"]).toEqual({ created: cards.length + (yield* lines(backup.archive, "data/removedCards.jsonl")).length, existing: 0 })
      const refused = log.filter((x) => x.status === 413)
      expect(refused.length).toBeGreaterThan(0)
      // Once a size was refused, nothing as large was sent: the split is made before sending.
      const firstRefusal = log.findIndex((x) => x.status === 413)
      let smallest = Number.POSITIVE_INFINITY
      for (const x of log.slice(firstRefusal)) {
        if (x.route.startsWith("POST")) expect(x.bytes).toBeLessThan(smallest)
        if (x.status === 413) smallest = Math.min(smallest, x.bytes)
      }
    }))

  it.scoped("an entity larger than the service takes even alone stops the run with one error naming it", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupSandbox(sandbox, out)
      const limit = 3000
      const big = (yield* lines(backup.archive, "data/cards.jsonl")).find((c) => Buffer.byteLength(JSON.stringify({ name: c["name"] })) > limit)!
      expect(big).toBeDefined()
      const log: Array<Exchange> = []
      const small = ruled(sandbox, log, (request, body, forward) =>
        Promise.resolve(new URL(request.url).pathname === "/card" && Buffer.byteLength(body) > limit ? answer(413, "request entity too large") : forward(request)))
      const message = yield* failureOf(advancing(restore(sandbox, backup.archive, small)))
      expect(message).toContain("(HTTP 413)")
      expect(message).toContain(`cards ${String(big["id"])} (sent as `)
      expect(message).toContain("is larger than the service takes, even alone")
    }))

  it.scoped("a connection without connectionTypeId refused with 400 (POST /connection: \"Object must contain spaceId, connectionTypeId\"): one error names it, found by halving", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupSandbox(sandbox, out)
      const connections = yield* lines(backup.archive, "data/connections.jsonl")
      const typeless = connections.find((c) => typeof c["connectionTypeId"] !== "string")!
      expect(typeless).toBeDefined() // the demo account holds connections of the current generation
      const log: Array<Exchange> = []
      const documented = ruled(sandbox, log, (request, body, forward) => {
        if (request.method !== "POST" || new URL(request.url).pathname !== "/connection") return forward(request)
        const items = JSON.parse(body) as Array<Entity>
        const bad = items.findIndex((c) => typeof c["connectionTypeId"] !== "string")
        return Promise.resolve(bad < 0 ? forward(request) : answer(400, `item ${bad}: connectionTypeId is required`))
      })
      const message = yield* failureOf(advancing(restore(sandbox, backup.archive, documented)))
      expect(message).toContain("(HTTP 400)")
      expect(message).toContain(`connections ${String(typeless["id"])} (sent as `)
      expect(message).toContain("was refused: item 0: connectionTypeId is required")
      // Halving, not one request per connection.
      const sent = log.filter((x) => x.route === "POST /connection").length
      expect(sent).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(connections.length)))
    }))

  it.scoped("a batch refused with 400 as a whole (too many at once) gets through in halves", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupSandbox(sandbox, out)
      const log: Array<Exchange> = []
      const few = ruled(sandbox, log, (request, body, forward) =>
        Promise.resolve(request.method === "POST" && (JSON.parse(body) as Array<unknown>).length > 4 ? answer(400, "at most 4 at a time") : forward(request)))
      const summary = yield* advancing(restore(sandbox, backup.archive, few))
      expect(summary.differences).toEqual([])
      expect(summary.collections["cards"]!.created)
        .toBe((yield* lines(backup.archive, "data/cards.jsonl")).length + (yield* lines(backup.archive, "data/removedCards.jsonl")).length)
      expect(log.some((x) => x.status === 400)).toBe(true)
    }))
})
