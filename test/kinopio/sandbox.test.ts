import { FetchHttpClient, HttpClient, HttpClientRequest, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import {
  KINOPIO_SANDBOX_RATE_LIMIT,
  type KinopioSandbox,
  type KinopioSandboxOptions,
  makeKinopioSandbox,
  SANDBOX_BASE_URL,
  sandboxFetchLayer
} from "../../src/kinopio/sandbox.ts"
import { demoIds, demoSeed, generatedSeed, seedByName } from "../../src/kinopio/sandbox-seed.ts"
import { serveSandbox } from "../../src/sandbox/server.ts"

type Entity = Record<string, unknown>
const S = demoIds.spaces
const C = demoIds.cards

/** A demo sandbox on the test clock; the rate limit is off unless a test turns it on. */
const sandboxOnTestClock = (options: Partial<KinopioSandboxOptions> = {}) =>
  Effect.map(TestClock.testClock(), (clock) =>
    makeKinopioSandbox({ seed: demoSeed(), now: () => clock.unsafeCurrentTimeMillis(), rateLimit: false, ...options }))

interface Call {
  readonly auth?: string
  readonly body?: unknown
  readonly rawBody?: string
}

/** One request through @effect/platform's HttpClient, straight into the sandbox (no socket). */
const call = (sandbox: KinopioSandbox, method: "GET" | "POST" | "PATCH" | "DELETE", path: string, options: Call = {}) =>
  Effect.gen(function*() {
    let request = HttpClientRequest.make(method)(SANDBOX_BASE_URL + path)
    if (options.auth !== undefined) request = HttpClientRequest.setHeader(request, "Authorization", options.auth)
    if (options.body !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, options.body)
    if (options.rawBody !== undefined) request = HttpClientRequest.bodyText(request, options.rawBody, "application/json")
    const response = yield* (yield* HttpClient.HttpClient).execute(request)
    const body = yield* response.json
    return { status: response.status, body: body as any }
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(sandboxFetchLayer(sandbox)))

const ids = (entities: ReadonlyArray<Entity>) => entities.map((e) => e["id"])

describe("Kinopio sandbox", () => {
  it.effect("authenticates with the raw key in Authorization or ?apiKey, and says 401/403/404 as documented", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const { apiKey, userId } = sandbox.accounts.main

      const me = yield* call(sandbox, "GET", "/user", { auth: apiKey })
      expect(me.status).toBe(200)
      expect(me.body.id).toBe(userId)
      expect(me.body.apiKey).toBe(apiKey) // the real /user returns it too
      expect(me.body.theme).toBe("dark") // undocumented fields kept

      const bearer = yield* call(sandbox, "GET", "/user", { auth: `Bearer ${apiKey}` })
      expect(bearer.status).toBe(401)
      expect(typeof bearer.body.message).toBe("string")
      expect(JSON.stringify(bearer.body)).not.toContain(apiKey)

      expect((yield* call(sandbox, "GET", `/user?apiKey=${apiKey}`)).body.id).toBe(userId)
      expect((yield* call(sandbox, "GET", "/user")).status).toBe(401)
      expect((yield* call(sandbox, "GET", "/user", { auth: "not-a-key" })).status).toBe(401)

      expect((yield* call(sandbox, "GET", `/space/${S.otherPrivate}`, { auth: apiKey })).status).toBe(403)
      expect((yield* call(sandbox, "GET", `/space/${S.private}`)).status).toBe(401)
      expect((yield* call(sandbox, "GET", `/space/${S.open}`)).status).toBe(200) // open: no key needed
      expect((yield* call(sandbox, "GET", `/space/${S.collab}`, { auth: apiKey })).status).toBe(200) // collaborator
      const unknown = yield* call(sandbox, "GET", "/space/no-such-space-000000", { auth: apiKey })
      expect(unknown.status).toBe(404)
      expect(unknown.body).toEqual({ message: "space not found" })
      expect((yield* call(sandbox, "GET", "/no/such/route")).status).toBe(404)
    }))

  it.effect("the 6th request in a second gets 429, and every request on that key does for 30 s", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: KINOPIO_SANDBOX_RATE_LIMIT }) // the documented limit
      const main = sandbox.accounts.main.apiKey
      const statuses: Array<number> = []
      for (let i = 0; i < 6; i++) statuses.push((yield* call(sandbox, "GET", "/user", { auth: main })).status)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
      expect(yield* call(sandbox, "GET", "/user", { auth: main })).toEqual({ status: 429, body: { message: expect.any(String) } })

      // other credentials have their own budget
      expect((yield* call(sandbox, "GET", "/user", { auth: sandbox.accounts.other.apiKey })).status).toBe(200)

      yield* TestClock.adjust("29999 millis")
      expect((yield* call(sandbox, "GET", "/user", { auth: main })).status).toBe(429) // does not extend the lockout
      yield* TestClock.adjust("1 millis")
      expect((yield* call(sandbox, "GET", "/user", { auth: main })).status).toBe(200)
      expect(sandbox.stats.rateLimited).toBe(3)
      expect(sandbox.stats.requests).toBe(10)
    }))

  it.effect("counts requests in a sliding 1,000 ms window, not per calendar second", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: { perSecond: 5, lockoutMs: 30_000 } })
      const status = () => Effect.map(call(sandbox, "GET", "/"), (r) => r.status)
      yield* TestClock.adjust("700 millis")
      for (let i = 0; i < 3; i++) expect(yield* status()).toBe(200)
      yield* TestClock.adjust("400 millis") // 1,100 ms: a new calendar second, same sliding window
      expect([yield* status(), yield* status(), yield* status()]).toEqual([200, 200, 429])
    }))

  it.effect("/space/multiple takes at most 60 ids and leaves out spaces the key cannot view", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const auth = sandbox.accounts.main.apiKey
      const many = Array.from({ length: 61 }, (_, i) => `id${i}`)
      expect((yield* call(sandbox, "GET", `/space/multiple?spaceIds=${many.join(",")}`, { auth })).status).toBe(400)

      const asked = [S.open, S.otherPrivate, S.collab, ...many.slice(0, 57)]
      const spaces = yield* call(sandbox, "GET", `/space/multiple?spaceIds=${asked.join(",")}`, { auth })
      expect(spaces.status).toBe(200)
      expect(ids(spaces.body)).toEqual([S.open, S.collab])
      expect(spaces.body[0].cards.length).toBeGreaterThan(10) // full records
    }))

  it.effect("GET /space/:id is the full record; /user/spaces lists summaries of owned and shared spaces", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const auth = sandbox.accounts.main.apiKey
      const space: Entity = (yield* call(sandbox, "GET", `/space/${S.open}`, { auth })).body
      for (const key of ["cards", "connections", "connectionTypes", "tags", "boxes", "lists", "lines", "drawingStrokes"]) {
        expect(Array.isArray(space[key]), key).toBe(true)
      }
      expect(space["users"]).toEqual([expect.objectContaining({ id: sandbox.accounts.main.userId })])
      expect(space["collaboratorKey"]).toEqual(expect.any(String))
      expect(space).toHaveProperty("moonPhase", null)
      const cards = space["cards"] as Array<Entity>
      expect(cards.find((c) => c["id"] === C.removedInline)?.["isRemoved"]).toBe(true) // removed, inline
      expect(ids(cards)).not.toContain(C.removed) // removed, only in removedCards
      expect(cards.find((c) => c["id"] === C.welcome)?.["x"]).toBe(120.5)

      // someone who may only view a space does not get its keys
      const asOther: Entity = (yield* call(sandbox, "GET", `/space/${S.closed}`, { auth: sandbox.accounts.other.apiKey })).body
      expect(asOther["id"]).toBe(S.closed)
      expect(asOther).not.toHaveProperty("collaboratorKey")

      const list: Array<Entity> = (yield* call(sandbox, "GET", "/user/spaces", { auth })).body
      expect(new Set(ids(list))).toEqual(new Set([S.open, S.closed, S.private, S.emptyName, S.longName, S.collab]))
      for (const summary of list) {
        for (const key of ["cards", "connections", "connectionTypes", "tags", "boxes", "drawingStrokes"]) {
          expect(summary).not.toHaveProperty(key)
        }
        expect(summary["users"]).toHaveLength(1)
      }
      const removed: Array<Entity> = (yield* call(sandbox, "GET", "/user/removed-spaces", { auth })).body
      expect(removed.map((s) => [s["id"], s["isRemoved"]])).toEqual([[S.removed, true]])
      expect((yield* call(sandbox, "GET", `/space/${S.removed}`, { auth })).status).toBe(200) // still restorable
      expect((yield* call(sandbox, "GET", "/user/spaces", { auth: sandbox.accounts.target.apiKey })).body).toEqual([])
    }))

  it.effect("removedCards needs edit rights and lists only removed cards", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const removed = yield* call(sandbox, "GET", `/space/${S.open}/removedCards`, { auth: sandbox.accounts.main.apiKey })
      expect(new Set(ids(removed.body))).toEqual(new Set([C.removedInline, C.removed]))
      expect(removed.body.every((c: Entity) => c["isRemoved"] === true)).toBe(true)
      expect((yield* call(sandbox, "GET", `/space/${S.closed}/removedCards`, { auth: sandbox.accounts.target.apiKey })).status)
        .toBe(403)
      expect((yield* call(sandbox, "GET", `/space/${S.open}/removedCards`)).status).toBe(401)
    }))

  it.effect("POST /card takes an array with client ids, sets dates and tags, and moves the space's updatedAt", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const auth = sandbox.accounts.target.apiKey
      yield* TestClock.adjust("1 hour")
      const fields = { id: "restoredSpace00000001", name: "Restored", privacy: "closed", boxes: [{ id: "b1" }], moonPhase: "full-moon" }
      const space = yield* call(sandbox, "POST", "/space", { auth, body: fields })
      expect(space.status).toBe(200)
      expect(space.body).toMatchObject({ ...fields, ownerUserId: sandbox.accounts.target.userId, isRemoved: false })
      expect(space.body.collaboratorKey).toEqual(expect.any(String)) // set by the server

      yield* TestClock.adjust("1 minute")
      const created = yield* call(sandbox, "POST", "/card", {
        auth,
        body: [
          { id: "clientCardId000000001", spaceId: "restoredSpace00000001", name: "One [[seeds]]", x: 10.5, y: 20, z: 1, tilt: 3 },
          { id: "clientCardId000000002", spaceId: "restoredSpace00000001", name: "Two" }
        ]
      })
      expect(created.status).toBe(200)
      expect(ids(created.body)).toEqual(["clientCardId000000001", "clientCardId000000002"])
      expect(created.body[0]).toMatchObject({
        x: 10.5,
        tilt: 3,
        createdAt: "1970-01-01T01:01:00.000Z",
        userId: sandbox.accounts.target.userId
      })
      expect(created.body[1]).toHaveProperty("x") // placed near the last card
      expect(sandbox.state.spaces.get("restoredSpace00000001")?.["updatedAt"]).toBe("1970-01-01T01:01:00.000Z")
      const tags: Array<Entity> = (yield* call(sandbox, "GET", "/tags/by-card/clientCardId000000001", { auth })).body
      expect(tags.map((t) => [t["name"], t["spaceId"]])).toEqual([["seeds", "restoredSpace00000001"]])

      const single = yield* call(sandbox, "POST", "/connection-type", { auth, body: { spaceId: "restoredSpace00000001", name: "t" } })
      expect(single.body).toMatchObject({ spaceId: "restoredSpace00000001", name: "t" }) // object in, object out
      expect(single.body.id).toMatch(/^[A-Za-z0-9_-]{21}$/)
    }))

  it.effect("a batch naming an existing id (in any account) is refused whole with 409", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const auth = sandbox.accounts.main.apiKey
      const before = sandbox.state.cards.size
      const othersCard = [...sandbox.state.cards.values()].find((c) => c["spaceId"] === S.otherPrivate)?.["id"]
      const refused = yield* call(sandbox, "POST", "/card", {
        auth,
        body: [
          { id: "brandNewCard000000001", spaceId: S.open, name: "fresh" },
          { id: othersCard, spaceId: S.open, name: "taken" } // exists in another account's space
        ]
      })
      expect(refused.status).toBe(409)
      expect(sandbox.state.cards.has("brandNewCard000000001")).toBe(false)
      expect(sandbox.state.cards.size).toBe(before)

      const spaceWithCards = yield* call(sandbox, "POST", "/space", { auth, body: { name: "nested", cards: [{ name: "x" }] } })
      expect(spaceWithCards.status).toBe(400)
      expect(spaceWithCards.body.message).toContain("cards")
      expect([...sandbox.state.spaces.values()].some((s) => s["name"] === "nested")).toBe(false)

      const noName = yield* call(sandbox, "POST", "/card", { auth, body: { spaceId: S.open } })
      expect(noName).toEqual({ status: 400, body: { message: "name is required" } })
      expect((yield* call(sandbox, "POST", "/card", { auth, rawBody: "{not json" })).status).toBe(400)
      expect((yield* call(sandbox, "POST", "/card", { auth: sandbox.accounts.target.apiKey, body: { spaceId: S.private, name: "x" } })).status)
        .toBe(403)
    }))

  it.effect("faults: a 500 fails a status-checking client, a dropped body fails res.json after a 200", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({
        faults: ({ n, path }) => (n === 1 ? "error500" : path === "/card" ? "drop" : "none")
      })
      const headers = { authorization: sandbox.accounts.main.apiKey }
      yield* Effect.gen(function*() {
        const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)

        const first = yield* Effect.either(Effect.flatMap(client.get(`${SANDBOX_BASE_URL}/user`, { headers }), (r) => r.json))
        expect(Either.isLeft(first) && first.left._tag === "ResponseError" && first.left.reason === "StatusCode").toBe(true)

        const post = HttpClientRequest.post(`${SANDBOX_BASE_URL}/card`, { headers }).pipe(
          HttpClientRequest.bodyUnsafeJson({ id: "droppedCard0000000001", spaceId: S.open, name: "written, but the answer is lost" })
        )
        const dropped = yield* client.execute(post)
        expect(dropped.status).toBe(200)
        const body = yield* Effect.either(dropped.json)
        expect(Either.isLeft(body) && body.left.reason === "Decode").toBe(true)
        expect(sandbox.state.cards.has("droppedCard0000000001")).toBe(true) // the write happened

        const retried = yield* Effect.flatMap(client.get(`${SANDBOX_BASE_URL}/user`, { headers }), (r) => r.json)
        expect(retried).toMatchObject({ id: sandbox.accounts.main.userId })
        expect(sandbox.stats.requests).toBe(3)
      }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(sandboxFetchLayer(sandbox)))
    }))

  it.live("serves over loopback HTTP, with a mount beside Kinopio, and drops a body by closing the connection", () =>
    Effect.gen(function*() {
      const sandbox = makeKinopioSandbox({ seed: demoSeed(), faults: ({ path }) => (path === "/space/new-spaces" ? "drop" : "none") })
      const other = Effect.succeed(HttpServerResponse.unsafeJson({ mounted: true }))
      const { url } = yield* serveSandbox({ port: 0, kinopio: sandbox, mounts: [{ prefix: "/api/v2", app: other }] })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const client = yield* HttpClient.HttpClient
      const me = yield* Effect.flatMap(client.get(`${url}/user`, { headers: { authorization: sandbox.accounts.main.apiKey } }), (r) => r.json)
      expect(me).toMatchObject({ id: sandbox.accounts.main.userId })
      expect(yield* Effect.flatMap(client.get(`${url}/api/v2/anything`), (r) => r.json)).toEqual({ mounted: true })

      const dropped = yield* client.get(`${url}/space/new-spaces`)
      expect(dropped.status).toBe(200)
      expect(Either.isLeft(yield* Effect.either(dropped.json))).toBe(true)
      expect(sandbox.stats.byRoute.get("GET /user")).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))

  it.effect("state.edit changes data as an edit in the app would; feeds list cards newest first", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const auth = sandbox.accounts.main.apiKey
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      sandbox.state.edit("cards", C.welcome, { name: "Renamed [[fresh-tag]]" })
      const space: Entity = (yield* call(sandbox, "GET", `/space/${S.open}`, { auth })).body
      expect(space["updatedAt"]).toBe("2026-01-01T00:00:00.000Z")
      expect((space["cards"] as Array<Entity>).find((c) => c["id"] === C.welcome)?.["name"]).toBe("Renamed [[fresh-tag]]")
      expect((space["tags"] as Array<Entity>).filter((t) => t["cardId"] === C.welcome).map((t) => t["name"])).toEqual(["fresh-tag"])

      const feed = (yield* call(sandbox, "GET", `/space/${S.open}/feed.json`)).body
      expect(feed.version).toBe("https://jsonfeed.org/version/1.1")
      expect(feed.items[0]).toMatchObject({ id: C.welcome, content_text: "Renamed [[fresh-tag]]" })
      const dates = feed.items.map((i: Entity) => Date.parse(String(i["date_modified"])))
      expect(dates).toEqual([...dates].sort((a, b) => b - a))
      expect((yield* call(sandbox, "GET", `/space/${S.private}/feed.json`)).status).toBe(401)
      expect((yield* call(sandbox, "GET", `/space/${S.private}/feed.json?apiKey=${auth}`)).status).toBe(200)
    }))

  it("seeds are deterministic; names resolve", () => {
    expect(JSON.stringify(demoSeed())).toBe(JSON.stringify(demoSeed()))
    const generated = generatedSeed({ spaces: 3, cardsPerSpace: 30, seed: 7 })
    expect(generated.spaces).toHaveLength(3)
    expect(generated.cards).toHaveLength(3 * 31) // plus one removed card per space
    expect(generated.cards.filter((c) => c["isRemoved"] === true)).toHaveLength(3)
    expect(generated.connectionTypes).toHaveLength(3)
    expect(generated.tags.length).toBeGreaterThanOrEqual(3)
    expect(generatedSeed({ spaces: 3, cardsPerSpace: 30, seed: 7 }).cards[5]).toEqual(generated.cards[5])
    expect(seedByName("generated:2x5")?.cards).toHaveLength(12)
    expect(seedByName("empty")?.spaces).toEqual([])
    expect(seedByName("nope")).toBeUndefined()
  })
})
