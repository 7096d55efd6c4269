import { describe, expect, it } from "@effect/vitest"
import { FileSystem } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, TestClock } from "effect"
import { verifyArchive } from "../../pipelines/verify.ts"
import { readManifest } from "../../src/archive/reader.ts"
import { backupSandbox, lines, members, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"

type Entity = Record<string, unknown>

/** Every member but the manifest (whose createdAt and carriedOver differ by design). */
const contents = (archive: string) =>
  Effect.map(members(archive), (all) => {
    all.delete("manifest.json")
    return all
  })

/** One card in each of two different spaces, from an archive's cards. */
const twoSpacesCards = (cards: ReadonlyArray<Entity>) => {
  const first = cards[0]!
  const second = cards.find((c) => c["spaceId"] !== first["spaceId"])!
  return [first, second] as const
}

describe("incremental backup kinopio", () => {
  it.scoped("copies unchanged spaces, fetches the changed ones, and equals a full backup member for member", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const first = yield* backupSandbox(sandbox, out)
      expect(first.carriedOver).toBeNull() // nothing to copy from yet

      const [a, b] = twoSpacesCards(yield* lines(first.archive, "data/cards.jsonl"))
      yield* TestClock.adjust("1 minute")
      sandbox.state.edit("cards", a["id"] as string, { name: "changed after the first backup" })
      sandbox.state.edit("cards", b["id"] as string, { x: 1234 })
      yield* TestClock.adjust("1 minute")

      const second = yield* backupSandbox(sandbox, out)
      const spaces = first.entities["spaces"]! + first.entities["removedSpaces"]!
      expect(second.carriedOver?.from).toBe(first.archive.split("/").pop())
      expect(second.carriedOver?.units["spaces"]).toBe(spaces - 2)
      expect(second.requests).toBeLessThan(first.requests)

      // The same sandbox state, fetched in full into a folder of its own.
      const fullOut = yield* tempDir
      const full = yield* backupSandbox(sandbox, fullOut, { full: true })
      expect(full.carriedOver).toBeNull()
      const incremental = yield* contents(second.archive)
      const fetched = yield* contents(full.archive)
      expect([...incremental.keys()].sort()).toEqual([...fetched.keys()].sort())
      for (const [name, text] of fetched) expect(incremental.get(name), name).toBe(text)
      expect(incremental.get("data/cards.jsonl")).toContain("changed after the first backup")

      // The manifest says what was copied, and from where; the archive verifies on its own.
      const manifest = yield* readManifest(second.archive).pipe(Effect.provide(NodeContext.layer))
      expect(manifest.carriedOver?.from).toBe(second.carriedOver?.from)
      expect(manifest.carriedOver?.entities["spaces"]).not.toContain(a["spaceId"])
      expect(manifest.carriedOver?.entities["spaces"]).not.toContain(b["spaceId"])
      expect(manifest.carriedOver?.counts["cards"]).toBeGreaterThan(0)
      // verifyArchive fails on any mismatch.
      yield* verifyArchive(second.archive).pipe(Effect.provide(NodeContext.layer))
    }))

  it.scoped("a space kept only as its listing summary is fetched again next time, never copied", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const spaces = yield* lines((yield* backupSandbox(sandbox, yield* tempDir)).archive, "data/spaces.jsonl")
      const cards = yield* lines((yield* backupSandbox(sandbox, yield* tempDir)).archive, "data/cards.jsonl")
      const hidden = String(cards[0]!["spaceId"])
      expect(spaces.map((s) => s["id"])).toContain(hidden)
      // Tonight the service cannot read that space in full: the listing still names it.
      const unreadable = (fetch: (r: Request) => Promise<Response>) => (request: Request) => {
        const url = new URL(request.url)
        if (url.pathname === `/space/${hidden}`) return Promise.resolve(new Response("{}", { status: 404 }))
        if (url.pathname === "/space/multiple") {
          url.searchParams.set("spaceIds", (url.searchParams.get("spaceIds") ?? "").split(",").filter((id) => id !== hidden).join(","))
          return fetch(new Request(url, request))
        }
        return fetch(request)
      }
      const first = yield* backupSandbox(sandbox, out, { wrapFetch: unreadable })
      expect((yield* lines(first.archive, "data/cards.jsonl")).some((c) => c["spaceId"] === hidden)).toBe(false)
      const manifest = yield* readManifest(first.archive).pipe(Effect.provide(NodeContext.layer))
      expect(manifest.fetchAgain?.["spaces"]).toEqual([hidden])

      // Nothing changed on the service since; the space is readable again and must come back whole.
      yield* TestClock.adjust("1 minute")
      const second = yield* backupSandbox(sandbox, out)
      expect(second.carriedOver?.units["spaces"]).toBe(first.entities["spaces"]! + first.entities["removedSpaces"]! - 1)
      const back = (yield* lines(second.archive, "data/cards.jsonl")).filter((c) => c["spaceId"] === hidden)
      expect(back.length).toBe(cards.filter((c) => c["spaceId"] === hidden).length)
      expect((yield* readManifest(second.archive).pipe(Effect.provide(NodeContext.layer))).fetchAgain).toEqual({})
    }))

  it.scoped("a second run with nothing changed fetches no space at all", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const first = yield* backupSandbox(sandbox, out)
      yield* TestClock.adjust("1 minute")
      const second = yield* backupSandbox(sandbox, out)
      const spaces = first.entities["spaces"]! + first.entities["removedSpaces"]!
      expect(second.carriedOver?.units["spaces"]).toBe(spaces)
      // user, the two listings, favorites, notifications: nothing per space.
      expect(second.requests).toBe(5)
    }))

  it.scoped("--full fetches everything even with an earlier archive there", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const first = yield* backupSandbox(sandbox, out)
      yield* TestClock.adjust("1 minute")
      const again = yield* backupSandbox(sandbox, out, { full: true })
      expect(again.carriedOver).toBeNull()
      expect(again.requests).toBe(first.requests)
    }))

  it.scoped("a damaged previous archive is not copied from: everything is fetched, and said", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const first = yield* backupSandbox(sandbox, out)
      const fs = yield* FileSystem.FileSystem
      const bytes = yield* fs.readFile(first.archive)
      // Flip bytes in the middle of the data: the manifest still reads, a member's hash no longer matches.
      const damaged = Uint8Array.from(bytes)
      for (let i = Math.floor(damaged.length / 3); i < Math.floor(damaged.length / 3) + 64; i++) damaged[i] = damaged[i]! ^ 0xff
      yield* fs.writeFile(first.archive, damaged)
      yield* TestClock.adjust("1 minute")
      const second = yield* backupSandbox(sandbox, out)
      expect(second.carriedOver).toBeNull()
      expect(second.requests).toBe(first.requests)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("--keep-last prunes after the run, never the archive just written", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const archives: Array<string> = []
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("1 hour")
        archives.push((yield* backupSandbox(sandbox, out, { keep: { last: 2 } })).archive)
      }
      const fs = yield* FileSystem.FileSystem
      const left = (yield* fs.readDirectory(`${out}/kinopio`)).filter((n) => n.endsWith(".zip")).sort()
      expect(left).toEqual(archives.slice(1).map((p) => p.split("/").pop()).sort())
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a failed run removes nothing, whatever --keep says", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      for (let i = 0; i < 2; i++) {
        yield* TestClock.adjust("1 hour")
        yield* backupSandbox(sandbox, out)
      }
      const fs = yield* FileSystem.FileSystem
      const before = (yield* fs.readDirectory(`${out}/kinopio`)).filter((n) => n.endsWith(".zip")).sort()
      yield* TestClock.adjust("1 hour")
      const failed = yield* Effect.either(backupSandbox(sandbox, out, { keep: { last: 1 }, apiKey: "not-a-key-of-this-sandbox" }))
      expect(failed._tag).toBe("Left")
      expect((yield* fs.readDirectory(`${out}/kinopio`)).filter((n) => n.endsWith(".zip")).sort()).toEqual(before)
      expect(before).toHaveLength(2)
    }).pipe(Effect.provide(NodeContext.layer)))
})
