import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { verifyArchive } from "../../pipelines/verify.ts"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { isSafeEntryName } from "../../src/archive/safe-name.ts"
import { KINOPIO_COLLECTIONS } from "../../src/kinopio/connector.ts"
import { demoSeed } from "../../src/kinopio/sandbox-seed.ts"
import { redact } from "../../src/shared/redact.ts"
import { backupSandbox, direct, lines, members, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"

type Entity = Record<string, unknown>
const byId = (list: ReadonlyArray<Entity>) => new Map(list.map((e) => [e["id"] as string, e]))
const sorted = (list: ReadonlyArray<Entity>) => list.map((e) => JSON.stringify(e)).sort()

/** What the API itself says the main account can see, fetched route by route, outside Ferry. */
const expectedFromApi = (sandbox: Effect.Effect.Success<ReturnType<typeof sandboxOnTestClock>>) =>
  Effect.gen(function*() {
    const key = sandbox.accounts.main.apiKey
    const scrub = (e: Entity) => redact(e, [key]) as Entity
    const listed = (yield* direct(sandbox, "/user/spaces")).body as Array<Entity>
    const removed = (yield* direct(sandbox, "/user/removed-spaces")).body as Array<Entity>
    const expected: Record<string, Array<Entity>> = Object.fromEntries(KINOPIO_COLLECTIONS.map((c) => [c, []]))
    expected["user"]!.push(scrub((yield* direct(sandbox, "/user")).body))
    for (const [collection, list] of [["spaces", listed], ["removedSpaces", removed]] as const) {
      for (const summary of list) {
        const full = (yield* direct(sandbox, `/space/${summary["id"]}`)).body as Entity
        const { cards, connectionTypes, connections, removedCards: inlineList, tags, ...record } = full
        expected[collection]!.push(scrub(record))
        const inline = (cards as Array<Entity>).map(scrub)
        // Live cards in cards.jsonl; soft-removed ones sent inline join the route's complete list.
        expected["cards"]!.push(...inline.filter((c) => c["isRemoved"] !== true))
        expected["connections"]!.push(...(connections as Array<Entity>).map(scrub))
        expected["connectionTypes"]!.push(...(connectionTypes as Array<Entity>).map(scrub))
        expected["tags"]!.push(...(tags as Array<Entity>).map(scrub))
        const route = ((yield* direct(sandbox, `/space/${summary["id"]}/removedCards`)).body as Array<Entity>).map(scrub)
        const routeIds = new Set(route.map((c) => c["id"]))
        const inlineRemoved = [...inline.filter((c) => c["isRemoved"] === true), ...((inlineList ?? []) as Array<Entity>).map(scrub)]
        expected["removedCards"]!.push(...route, ...inlineRemoved.filter((c) => !routeIds.has(c["id"])))
      }
    }
    expected["notifications"]!.push(...((yield* direct(sandbox, "/notifications")).body as Array<Entity>).map(scrub))
    return expected
  })

describe("backup kinopio", () => {
  it.scoped("holds every entity the account can see, field for field, undocumented fields included", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupSandbox(sandbox, out)
      expect(summary.rateLimited).toBe(0)
      // Asked of a twin sandbox (same seed, no rate limit), so the expectation costs the backup nothing.
      const expected = yield* expectedFromApi(yield* sandboxOnTestClock({ rateLimit: false }))
      for (const collection of KINOPIO_COLLECTIONS) {
        if (collection === "favorites") continue // compared in its own test
        const got = yield* lines(summary.archive, `data/${collection}.jsonl`)
        expect(sorted(got), collection).toEqual(sorted(expected[collection]!))
      }
      // The seed's undocumented fields survived (spot checks on what real accounts hold).
      const spaces = byId(yield* lines(summary.archive, "data/spaces.jsonl"))
      const withBoxes = [...spaces.values()].find((s) => Array.isArray(s["boxes"]) && (s["boxes"] as Array<unknown>).length > 0)
      expect(withBoxes?.["drawingStrokes"]).toBeDefined()
      const cards = yield* lines(summary.archive, "data/cards.jsonl")
      expect(cards.some((c) => typeof c["x"] === "number" && !Number.isInteger(c["x"]))).toBe(true)
      expect(cards.some((c) => "listPositionIndex" in c)).toBe(true)
      expect(cards.some((c) => "atUserMentions" in c)).toBe(true)
      expect(cards.some((c) => c["isRemoved"] === true)).toBe(false) // soft-removed cards are in removedCards.jsonl, once
      const removedCards = yield* lines(summary.archive, "data/removedCards.jsonl")
      expect(new Set(removedCards.map((c) => c["id"])).size).toBe(removedCards.length)
      expect(Object.keys(summary.entities).sort()).toEqual([...KINOPIO_COLLECTIONS].sort())
      expect(summary.entities["spaces"]).toBe(expected["spaces"]!.length)
    }))

  it.scoped("keeps every favorite field for field, colours included, each naming its list", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupSandbox(sandbox, out)
      const api = (yield* direct(sandbox, "/user/favorites")).body as Record<string, unknown>
      const expected: Array<Entity> = []
      const rest: Entity = {}
      for (const [key, value] of Object.entries(api)) {
        if (!Array.isArray(value)) rest[key] = value
        else for (const v of value) expected.push(typeof v === "object" && v !== null ? { ...v, favoriteList: key } : { favoriteList: key, value: v })
      }
      expected.push({ favoriteList: "user", ...rest })
      expect(expected.some((e) => e["favoriteList"] === "favoriteColors")).toBe(true)
      const favorites = yield* lines(summary.archive, "data/favorites.jsonl")
      expect(sorted(favorites)).toEqual(sorted(expected.map((e) => redact(e, [sandbox.accounts.main.apiKey]) as Entity)))
    }))

  it.scoped("redacts every secret, and the credential itself, from every member", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupSandbox(sandbox, out, { format: "tar.gz" })
      const seed = demoSeed()
      const secrets = new Set<string>([sandbox.accounts.main.apiKey, sandbox.accounts.other.apiKey])
      const collect = (v: unknown): void => {
        if (Array.isArray(v)) return v.forEach(collect)
        if (typeof v !== "object" || v === null) return
        for (const [k, x] of Object.entries(v)) {
          if (["apiKey", "collaboratorKey", "readOnlyKey", "linkToSpaceCollaboratorKey", "secret"].includes(k) && typeof x === "string") secrets.add(x)
          collect(x)
        }
      }
      collect(seed)
      expect(secrets.size).toBeGreaterThan(5)
      const all = yield* members(summary.archive)
      let redactions = 0
      for (const [name, text] of all) {
        for (const secret of secrets) expect(text.includes(secret), `${name} holds a secret`).toBe(false)
        redactions += text.split("[redacted]").length - 1
      }
      expect(redactions).toBeGreaterThan(0)
    }))

  it.scoped("writes the contract's layout: manifest, data, csv, one markdown per space, safe unique names", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupSandbox(sandbox, out)
      expect(summary.archive).toMatch(new RegExp(`^${out}/kinopio/kinopio-\\d{8}T\\d{6}Z\\.zip$`))
      const all = yield* members(summary.archive)
      const names = [...all.keys()]
      expect(names[0]).toBe("manifest.json")
      for (const c of KINOPIO_COLLECTIONS) {
        expect(all.has(`data/${c}.jsonl`)).toBe(true)
        expect(all.has(`csv/${c}.csv`)).toBe(true)
      }
      const markdown = names.filter((n) => n.startsWith("markdown/"))
      expect(markdown).toHaveLength(summary.entities["spaces"]! + summary.entities["removedSpaces"]!)
      expect(new Set(markdown.map((n) => n.toLowerCase())).size).toBe(markdown.length)
      for (const n of names) {
        expect(isSafeEntryName(n), n).toBe(true)
        expect(Buffer.byteLength(n.split("/").pop()!)).toBeLessThanOrEqual(100)
      }
      const manifest = JSON.parse(all.get("manifest.json")!)
      expect(manifest).toMatchObject({ format: "ferry-archive", version: 1, service: "kinopio", source: { account: sandbox.accounts.main.userId } })
      expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(names.filter((n) => n !== "manifest.json").sort())
      const report = yield* verifyArchive(summary.archive).pipe(Effect.provide(NodeContext.layer))
      expect(report.entities).toEqual(summary.entities)
    }))

  it.scoped("a 429 pauses every request for the 30 s cooldown, and the backup completes with nothing lost", () =>
    Effect.gen(function*() {
      const clean = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const reference = yield* backupSandbox(clean, `${out}/clean`)

      const sandbox = yield* sandboxOnTestClock()
      // Someone else used the key a moment ago: the service has locked it out for 30 s.
      for (let i = 0; i < 6; i++) yield* direct(sandbox, "/user")
      expect(sandbox.stats.rateLimited).toBe(1)
      const summary = yield* backupSandbox(sandbox, `${out}/limited`)
      expect(summary.rateLimited).toBe(1) // one 429, then nobody tried again before the cooldown ended
      expect(summary.durationMs).toBeGreaterThanOrEqual(30_000)
      for (const collection of KINOPIO_COLLECTIONS) {
        expect(sorted(yield* lines(summary.archive, `data/${collection}.jsonl`)), collection).toEqual(
          sorted(yield* lines(reference.archive, `data/${collection}.jsonl`))
        )
      }
    }))

  it.scoped("retries 5xx answers and dropped connections without losing or repeating anything", () =>
    Effect.gen(function*() {
      const clean = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const reference = yield* backupSandbox(clean, `${out}/clean`)
      const sandbox = yield* sandboxOnTestClock({
        faults: ({ n }) => (n === 2 ? "error500" : n === 4 ? "drop" : n === 6 ? "error503" : n === 9 ? "drop" : "none")
      })
      const summary = yield* backupSandbox(sandbox, `${out}/faulty`)
      expect(summary.retries).toBe(4)
      expect(summary.requests).toBe(reference.requests + 4)
      for (const collection of KINOPIO_COLLECTIONS) {
        expect(sorted(yield* lines(summary.archive, `data/${collection}.jsonl`)), collection).toEqual(
          sorted(yield* lines(reference.archive, `data/${collection}.jsonl`))
        )
      }
    }))

  it.scoped("--space restricts the backup to the named spaces", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const listed = (yield* direct(sandbox, "/user/spaces")).body as Array<Entity>
      const one = listed[0]!["id"] as string
      const summary = yield* backupSandbox(sandbox, out, { only: [one] })
      const spaces = yield* lines(summary.archive, "data/spaces.jsonl")
      expect(spaces.map((s) => s["id"])).toEqual([one])
      const cards = yield* lines(summary.archive, "data/cards.jsonl")
      expect(cards.every((c) => c["spaceId"] === one)).toBe(true)
    }))
})
