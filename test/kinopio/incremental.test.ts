/**
 * Incremental Kinopio backups: when the previous archive's copy of a space still holds
 * (`unchangedSince`), how the space walk batches fetches around copied spaces (`windowsOf`),
 * and spaces moving between live and removed from one backup to the next, through the real
 * pipeline against the in-process sandbox.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import fc from "fast-check"
import type { Entity } from "../../src/connector.ts"
import { SPACES_PER_REQUEST } from "../../src/kinopio/client.ts"
import { unchangedSince, type Window, windowsOf } from "../../src/kinopio/connector.ts"
import { type KinopioSandbox, SANDBOX_BASE_URL, sandboxFetchLayer } from "../../src/kinopio/sandbox.ts"
import { demoIds } from "../../src/kinopio/sandbox-seed.ts"
import { backupSandbox, lines, members, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"

const T1 = "2026-11-20T10:00:00.000Z"
const T2 = "2026-11-21T10:00:00.000Z"

describe("unchangedSince", () => {
  it("holds when updatedAt is known and equal, and editedAt too when the listing has one", () => {
    expect(unchangedSince({ id: "s1", updatedAt: T1, editedAt: T2 }, { id: "s1", updatedAt: T1, editedAt: T2, name: "kept" })).toBe(true)
    // No editedAt listed: updatedAt decides, whatever the previous copy says of editedAt.
    expect(unchangedSince({ id: "s1", updatedAt: T1 }, { id: "s1", updatedAt: T1, editedAt: T2 })).toBe(true)
    expect(unchangedSince({ id: "s1", updatedAt: T1 }, { id: "s1", updatedAt: T1 })).toBe(true)
  })

  it("does not hold when updatedAt differs, is missing, empty or not text", () => {
    expect(unchangedSince({ updatedAt: T2 }, { updatedAt: T1 })).toBe(false)
    expect(unchangedSince({}, { updatedAt: T1 })).toBe(false)
    expect(unchangedSince({}, {})).toBe(false) // both missing is not "equal"
    expect(unchangedSince({ updatedAt: "" }, { updatedAt: "" })).toBe(false)
    expect(unchangedSince({ updatedAt: null }, { updatedAt: null })).toBe(false)
    expect(unchangedSince({ updatedAt: 1_700_000_000_000 }, { updatedAt: 1_700_000_000_000 })).toBe(false)
    expect(unchangedSince({ updatedAt: T1 }, {})).toBe(false)
  })

  it("does not hold when the listing's editedAt differs from the previous copy's, or the copy has none", () => {
    expect(unchangedSince({ updatedAt: T1, editedAt: T2 }, { updatedAt: T1, editedAt: T1 })).toBe(false)
    expect(unchangedSince({ updatedAt: T1, editedAt: T2 }, { updatedAt: T1 })).toBe(false)
    expect(unchangedSince({ updatedAt: T1, editedAt: null }, { updatedAt: T1 })).toBe(false)
  })

  it("does not hold without a previous copy or a listing", () => {
    expect(unchangedSince({ updatedAt: T1 }, undefined)).toBe(false)
    expect(unchangedSince(undefined, { updatedAt: T1 })).toBe(false)
    expect(unchangedSince(undefined, undefined)).toBe(false)
  })
})

const idsOf = (n: number, prefix = "s") => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const record = (id: string): Entity => ({ id, updatedAt: T1, name: `copy of ${id}` })
const carrying = (ids: ReadonlyArray<string>) => new Map(ids.map((id) => [id, record(id)]))
/** A window as ids: `+id` fetched, `=id` carried. */
const shape = (windows: ReadonlyArray<Window>) => windows.map((w) => w.spaces.map((s) => (s.carry === undefined ? `+${s.id}` : `=${s.id}`)))

/** What holds of any walk: the rules `windowsOf` keeps, checked on its output. */
const checkWindows = (ids: ReadonlyArray<string>, carry: ReadonlyMap<string, Entity>, windows: ReadonlyArray<Window>) => {
  // Every id once, in listing order.
  expect(windows.flatMap((w) => w.spaces.map((s) => s.id))).toEqual(ids)
  const toFetch = ids.filter((id) => !carry.has(id))
  expect(windows.flatMap((w) => w.fetch)).toEqual(toFetch)
  expect(windows.length).toBe(ids.length === 0 ? 0 : Math.max(1, Math.ceil(toFetch.length / SPACES_PER_REQUEST)))
  for (const [i, window] of windows.entries()) {
    expect(window.fetch.length).toBeLessThanOrEqual(SPACES_PER_REQUEST)
    expect(window.spaces.length).toBeGreaterThan(0)
    // A window fetches exactly its own spaces that are not carried, and carries the previous copies.
    expect(window.fetch).toEqual(window.spaces.filter((s) => s.carry === undefined).map((s) => s.id))
    for (const space of window.spaces) expect(space.carry).toBe(carry.get(space.id))
    // Only a fetch that would not fit starts a new window: carried spaces ride along with the fetch before them.
    if (i > 0) {
      expect(window.spaces[0]!.carry).toBeUndefined()
      expect(windows[i - 1]!.fetch.length).toBe(SPACES_PER_REQUEST)
    }
  }
}

describe("windowsOf", () => {
  it("cuts the spaces to fetch into windows of at most SPACES_PER_REQUEST, in listing order", () => {
    expect(SPACES_PER_REQUEST).toBe(60)
    const ids = idsOf(150)
    const windows = windowsOf(ids, new Map())
    expect(windows.map((w) => w.fetch)).toEqual([ids.slice(0, 60), ids.slice(60, 120), ids.slice(120)])
    expect(windows.map((w) => w.spaces.map((s) => s.id))).toEqual([ids.slice(0, 60), ids.slice(60, 120), ids.slice(120)])
    checkWindows(ids, new Map(), windows)
    expect(windowsOf(idsOf(60), new Map()).map((w) => w.fetch.length)).toEqual([60])
    expect(windowsOf(idsOf(61), new Map()).map((w) => w.fetch.length)).toEqual([60, 1])
    expect(windowsOf([], new Map())).toEqual([])
  })

  it("lets carried spaces ride along in their place, without counting against a window's fetch", () => {
    const ids = ["c0", "f0", "c1", "f1", "c2"]
    const carry = carrying(["c0", "c1", "c2"])
    const windows = windowsOf(ids, carry)
    expect(shape(windows)).toEqual([["=c0", "+f0", "=c1", "+f1", "=c2"]])
    expect(windows[0]!.fetch).toEqual(["f0", "f1"])
    expect(windows[0]!.spaces[0]!.carry).toBe(carry.get("c0"))

    // 60 to fetch, then carried ones, then one more to fetch: the carried stay with the full window.
    const many = [...idsOf(60, "f"), "c0", "c1", "f60", "c2"]
    const more = carrying(["c0", "c1", "c2"])
    const cut = windowsOf(many, more)
    expect(shape(cut)).toEqual([[...idsOf(60, "+f"), "=c0", "=c1"], ["+f60", "=c2"]])
    checkWindows(many, more, cut)
  })

  it("gives one window that fetches nothing when every space is carried", () => {
    const ids = idsOf(200)
    const carry = carrying(ids)
    const windows = windowsOf(ids, carry)
    expect(windows.map((w) => w.fetch)).toEqual([[]])
    expect(windows[0]!.spaces.map((s) => s.id)).toEqual(ids)
    expect(windows[0]!.spaces.every((s) => s.carry === carry.get(s.id))).toBe(true)
    checkWindows(ids, carry, windows)
  })

  it("keeps its rules for any listing and any set of carried spaces", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 400, size: "max" }), (carried) => {
        const ids = carried.map((_, i) => `s${i}`)
        const carry = carrying(ids.filter((_, i) => carried[i]))
        checkWindows(ids, carry, windowsOf(ids, carry))
      }),
      { numRuns: 200 }
    )
  })
})

/** A request to the sandbox's own API as the main account, outside Ferry's client. */
const call = (sandbox: KinopioSandbox, method: "DELETE" | "PATCH", path: string, body: unknown) =>
  Effect.gen(function*() {
    const request = HttpClientRequest.make(method)(SANDBOX_BASE_URL + path).pipe(
      HttpClientRequest.setHeader("Authorization", sandbox.accounts.main.apiKey),
      HttpClientRequest.bodyUnsafeJson(body)
    )
    const response = yield* (yield* HttpClient.HttpClient).execute(request)
    return { status: response.status, body: (yield* response.json) as Entity }
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(sandboxFetchLayer(sandbox)))

/** Every member but the manifest (whose createdAt and carriedOver differ by design). */
const contents = (archive: string) =>
  Effect.map(members(archive), (all) => {
    all.delete("manifest.json")
    return all
  })

const idsIn = (archive: string, member: string) => Effect.map(lines(archive, member), (list) => list.map((e) => String(e["id"])))
const spaceIdsIn = (archive: string, member: string) => Effect.map(lines(archive, member), (list) => list.map((e) => String(e["spaceId"])))

describe("incremental backup, spaces moving between live and removed", () => {
  it.scoped("a space removed since the last backup and one restored are fetched; the archive equals a full one, and the next run copies both", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const live = demoIds.spaces.private // main's, with cards (removed ones among them)
      const removed = demoIds.spaces.removed // main's, soft-removed by main
      const first = yield* backupSandbox(sandbox, out)
      expect(yield* idsIn(first.archive, "data/spaces.jsonl")).toContain(live)
      expect(yield* idsIn(first.archive, "data/removedSpaces.jsonl")).toEqual([removed])
      expect(yield* spaceIdsIn(first.archive, "data/cards.jsonl")).toContain(live)
      const spaces = first.entities["spaces"]! + first.entities["removedSpaces"]!

      yield* TestClock.adjust("1 minute")
      expect((yield* call(sandbox, "DELETE", "/space", { id: live })).status).toBe(200)
      expect((yield* call(sandbox, "PATCH", "/space/restore", { id: removed })).status).toBe(200)
      yield* TestClock.adjust("1 minute")

      const second = yield* backupSandbox(sandbox, out)
      expect(second.carriedOver?.from).toBe(first.archive.split("/").pop())
      expect(second.carriedOver?.units["spaces"]).toBe(spaces - 2) // all but the two that moved
      const moved = yield* Effect.all({
        spaces: idsIn(second.archive, "data/spaces.jsonl"),
        removedSpaces: idsIn(second.archive, "data/removedSpaces.jsonl")
      })
      expect(moved.removedSpaces).toEqual([live])
      expect(moved.spaces).toContain(removed)
      expect(moved.spaces).not.toContain(live)
      expect(moved.spaces.length + moved.removedSpaces.length).toBe(spaces)

      // The same sandbox state, fetched in full into a folder of its own: the same data, member for member.
      const full = yield* backupSandbox(sandbox, yield* tempDir, { full: true })
      expect(full.carriedOver).toBeNull()
      const incremental = yield* contents(second.archive)
      const fetched = yield* contents(full.archive)
      expect([...incremental.keys()].sort()).toEqual([...fetched.keys()].sort())
      for (const [name, text] of fetched) expect(incremental.get(name), name).toBe(text)

      // Nothing changed since: the next run finds both in the collections they are now in and copies them.
      yield* TestClock.adjust("1 minute")
      const third = yield* backupSandbox(sandbox, out)
      expect(third.carriedOver?.units["spaces"]).toBe(spaces)
      expect(third.requests).toBe(5) // user, the two listings, favorites, notifications
      const again = yield* contents(third.archive)
      for (const [name, text] of fetched) expect(again.get(name), name).toBe(text)
    }))

  it.scoped("the move is seen from the listing even when the service leaves a space's updatedAt as it was", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const live = demoIds.spaces.private
      const removed = demoIds.spaces.removed
      const first = yield* backupSandbox(sandbox, out)
      const spaces = first.entities["spaces"]! + first.entities["removedSpaces"]!

      // Removed and restored with no other change: updatedAt, and so the listings' summaries, stay as they were.
      yield* TestClock.adjust("1 minute")
      const stored = (id: string) => sandbox.state.spaces.get(id)!
      sandbox.state.put("spaces", { ...stored(live), isRemoved: true, removedByUserId: sandbox.accounts.main.userId })
      sandbox.state.put("spaces", { ...stored(removed), isRemoved: false })
      yield* TestClock.adjust("1 minute")

      const second = yield* backupSandbox(sandbox, out)
      expect(second.carriedOver?.units["spaces"]).toBe(spaces - 2)
      expect(yield* idsIn(second.archive, "data/removedSpaces.jsonl")).toEqual([live])
      const full = yield* backupSandbox(sandbox, yield* tempDir, { full: true })
      const incremental = yield* contents(second.archive)
      const fetched = yield* contents(full.archive)
      expect([...incremental.keys()].sort()).toEqual([...fetched.keys()].sort())
      for (const [name, text] of fetched) expect(incremental.get(name), name).toBe(text)
    }))
})
