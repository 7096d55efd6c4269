/**
 * Feeds as a reader meets them: every format parsed by an independent, maintained parser
 * (@rowanmanning/feed-parser for RSS and Atom; JSON Feed 1.1 checked against its required
 * fields), built live from the in-process sandboxes and from archives (with no request), in the
 * right order, stable across runs, safe with hostile text, and private spaces kept out.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { parseFeed } from "@rowanmanning/feed-parser"
import { Effect, Either, Redacted, Schema, TestClock } from "effect"
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { archiveFeed, liveFeed, publishFeeds } from "../../pipelines/feed.ts"
import { feedUpdated, newestFirst, type FeedDocument, type FeedFormat } from "../../src/feeds/entry.ts"
import { JSON_FEED_VERSION, JsonFeed11 } from "../../src/feeds/json-feed.ts"
import { renderFeed } from "../../src/feeds/render.ts"
import { xmlProblem } from "../../src/feeds/xml-check.ts"
import { INFINITY_SANDBOX_BASE_URL, type InfinitySandbox, infinitySandboxFetchLayer } from "../../src/infinity/sandbox.ts"
import { demoIds as infinityIds } from "../../src/infinity/sandbox-seed.ts"
import { infinityService } from "../../src/infinity/service.ts"
import { type KinopioSandbox, SANDBOX_BASE_URL, sandboxFetchLayer } from "../../src/kinopio/sandbox.ts"
import { demoIds } from "../../src/kinopio/sandbox-seed.ts"
import { kinopioService } from "../../src/kinopio/service.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { backupInfinitySandbox, infinityOnTestClock } from "../support/infinity-backup.ts"
import { backupSandbox, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"
import { advancing } from "../support/time.ts"

const S = demoIds.spaces
const FORMATS: ReadonlyArray<FeedFormat> = ["json", "rss", "atom"]
const HOSTILE = "<script>alert(1)</script> ]]> & \u0007 🚀 [[a<b&\"c\"]]"

const liveKinopio = (sandbox: KinopioSandbox, id: string, limit = 20, apiKey = sandbox.accounts.main.apiKey) =>
  advancing(liveFeed(kinopioService, { apiUrl: SANDBOX_BASE_URL, credential: Redacted.make(apiKey) }, 0.9, { id, limit })).pipe(
    Effect.provide(sandboxFetchLayer(sandbox)),
    Effect.provide(RateBudgets.layer)
  )

const liveInfinity = (sandbox: InfinitySandbox, id: string, limit = 20) =>
  advancing(
    liveFeed(infinityService, { apiUrl: INFINITY_SANDBOX_BASE_URL, credential: Redacted.make(sandbox.accounts.main.token) }, 0.9, { id, limit }),
    { step: "500 millis", limit: "1 hour" }
  ).pipe(Effect.provide(infinitySandboxFetchLayer(sandbox)), Effect.provide(RateBudgets.layer))

const fromArchive = (service: typeof kinopioService, archive: string, id: string, limit = 20) =>
  archiveFeed(service, archive, { id, limit }).pipe(Effect.provide(NodeContext.layer))

/** JSON Feed 1.1: the required fields (version, title, items[].id) and our schema. */
const readJsonFeed = (text: string) => {
  const raw = JSON.parse(text) as Record<string, unknown>
  expect(raw["version"]).toBe(JSON_FEED_VERSION)
  expect(typeof raw["title"]).toBe("string")
  expect(Array.isArray(raw["items"])).toBe(true)
  for (const item of raw["items"] as Array<Record<string, unknown>>) {
    expect(typeof item["id"]).toBe("string")
    expect(item["id"]).not.toBe("")
    // 1.1: content_html or content_text must be present.
    expect(typeof item["content_html"] === "string" || typeof item["content_text"] === "string").toBe(true)
  }
  const decoded = Schema.decodeUnknownEither(JsonFeed11)(raw)
  expect(Either.isRight(decoded), String(Either.isLeft(decoded) ? decoded.left : "")).toBe(true)
  return raw as { title: string; items: Array<Record<string, any>> }
}

/** Every format rendered, each read back by the independent parser; ids as each format lists them. */
const readAll = (doc: FeedDocument) => {
  const texts = Object.fromEntries(FORMATS.map((f) => [f, renderFeed(doc, f)])) as Record<FeedFormat, string>
  const json = readJsonFeed(texts.json)
  for (const f of ["rss", "atom"] as const) expect(xmlProblem(texts[f]), f).toBeUndefined()
  const rss = parseFeed(texts.rss)
  const atom = parseFeed(texts.atom)
  expect(rss.meta.type).toBe("rss")
  expect(atom.meta.type).toBe("atom")
  return { texts, json, rss, atom, ids: { json: json.items.map((i) => i["id"]), rss: rss.items.map((i) => i.id), atom: atom.items.map((i) => i.id) } }
}

/** What the sandbox holds of a space: its live cards, newest first by updatedAt, else createdAt. */
const expectedCardIds = (sandbox: KinopioSandbox, spaceId: string) =>
  [...sandbox.state.childrenOf(spaceId).cards]
    .map((id) => sandbox.state.cards.get(id)!)
    .filter((c) => c["isRemoved"] !== true)
    .map((c) => ({ id: String(c["id"]), t: Date.parse(String(c["updatedAt"] ?? c["createdAt"])) }))
    .sort((a, b) => b.t - a.t || (a.id < b.id ? -1 : 1))
    .map((c) => `urn:ferry:kinopio:card:${c.id}`)

/** A card as a person would add it in the app, newer than every seeded one. */
const addCard = (sandbox: KinopioSandbox, id: string, spaceId: string, name: string, at = "2026-01-01T00:00:00.000Z") =>
  sandbox.state.put("cards", {
    id,
    spaceId,
    userId: sandbox.accounts.main.userId,
    name,
    x: 10,
    y: 10,
    z: 1,
    isRemoved: false,
    createdAt: at,
    updatedAt: at
  })

describe("feeds: Kinopio", () => {
  it.effect("a live space feed in every format: newest first, the limit, stable ids, one request", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const before = sandbox.stats.requests
      const doc = yield* liveKinopio(sandbox, S.open)
      expect(sandbox.stats.requests - before).toBe(1)
      const expected = expectedCardIds(sandbox, S.open)
      expect(expected.length).toBeGreaterThan(10)
      const { atom, ids, json, rss } = readAll(doc)
      expect(ids.json).toEqual(expected.slice(0, 20))
      expect(ids.rss).toEqual(ids.json)
      expect(ids.atom).toEqual(ids.json)
      // Removed cards are not in the feed.
      expect(ids.json).not.toContain(`urn:ferry:kinopio:card:${demoIds.cards.removed}`)
      // Titles, links, dates, author and tags as a reader sees them.
      const todo = json.items.find((i) => i["id"] === `urn:ferry:kinopio:card:${demoIds.cards.todoOpen}`)!
      expect(todo["tags"]).toEqual(["seeds", "compost"])
      expect(todo["url"]).toMatch(/^https:\/\/kinopio\.club\/garden-notes-open-space-spOpen[^?]*\?cardId=cdTodoOpen/)
      expect(todo["authors"]).toEqual([{ name: "zoë-åkesson-🌱" }])
      expect(typeof todo["date_published"]).toBe("string")
      expect(typeof todo["date_modified"]).toBe("string")
      const rssTodo = rss.items.find((i) => i.id === todo["id"])!
      expect(rssTodo.url).toBe(todo["url"])
      expect(rssTodo.categories.map((c) => c.term)).toEqual(["seeds", "compost"])
      expect(rssTodo.authors.map((a) => a.name)).toEqual(["zoë-åkesson-🌱"])
      const atomTodo = atom.items.find((i) => i.id === todo["id"])!
      expect(atomTodo.url).toBe(todo["url"])
      expect(atomTodo.published?.toISOString()).toBe(todo["date_published"])
      expect(atomTodo.updated?.toISOString()).toBe(todo["date_modified"])
      expect(atomTodo.authors.map((a) => a.name)).toEqual(["zoë-åkesson-🌱"])
      expect(atom.title).toBe("🌱 Garden notes — *open* **space**")
      // The feed's date is its newest entry's, never the time it was built.
      expect(atom.updated?.toISOString()).toBe(json.items[0]!["date_modified"])

      const three = yield* liveKinopio(sandbox, S.open, 3)
      const limited = readAll(three)
      for (const f of FORMATS) expect(limited.ids[f]).toEqual(expected.slice(0, 3))
    }))

  it.effect("the same data gives byte-identical feeds, whatever the clock says", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const first = yield* liveKinopio(sandbox, S.open)
      yield* TestClock.adjust("1 hour")
      const second = yield* liveKinopio(sandbox, S.open)
      for (const f of FORMATS) expect(renderFeed(second, f)).toBe(renderFeed(first, f))
      for (const entry of first.entries) expect(entry.id).toMatch(/^urn:ferry:kinopio:card:[A-Za-z0-9_-]+$/)
      expect(new Set(first.entries.map((e) => e.id)).size).toBe(first.entries.length)
    }))

  it.effect("hostile text stays text: well-formed XML, no markup from a card, control characters gone, emoji kept", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      addCard(sandbox, "cdHostileAddedForFeeds", S.open, HOSTILE)
      const doc = yield* liveKinopio(sandbox, S.open)
      const { atom, json, rss, texts } = readAll(doc)
      const id = "urn:ferry:kinopio:card:cdHostileAddedForFeeds"
      expect(json.items[0]!["id"]).toBe(id)
      for (const f of FORMATS) {
        expect(texts[f]).not.toContain("\u0007")
        expect(texts[f]).toContain("🚀")
      }
      for (const f of ["rss", "atom"] as const) {
        expect(texts[f]).not.toMatch(/<script/i)
        expect(texts[f]).toContain("&lt;script&gt;")
      }
      const item = json.items[0]!
      expect(item["content_text"]).toBe("<script>alert(1)</script> ]]> &  🚀 [[a<b&\"c\"]]")
      expect(item["content_html"]).not.toMatch(/<script/i)
      expect(item["content_html"]).toContain("&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &amp;")
      expect(item["tags"]).toEqual(["a<b&\"c\""])
      // Read back by the parser's XML layer: the HTML a reader renders holds the card's markup as
      // escaped text only. (The parser's own `content` also decodes HTML entities, so it shows the
      // card's text as typed, which is what a reader displays.)
      for (const [parsed, content] of [[rss, "encoded"], [atom, "content"]] as const) {
        const entry = parsed.items.find((i) => i.id === id)!
        const rendered = entry.element.findElementWithName(content)?.textContent ?? ""
        const title = entry.element.findElementWithName("title")?.textContent ?? ""
        for (const html of [rendered, title]) {
          expect(html).not.toMatch(/<script/i)
          expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; ]]&gt; &amp;")
          expect(html).toContain("🚀")
        }
        expect(entry.content).toContain("alert(1)")
      }
      // The seed's own hostile card (the closed space) too.
      const closed = readAll(yield* liveKinopio(sandbox, S.closed))
      for (const f of ["rss", "atom"] as const) expect(closed.texts[f]).not.toMatch(/<script/i)
    }))

  it.effect("no credential reaches a feed: the API key and a space's keys pasted into a card are scrubbed", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const key = sandbox.accounts.main.apiKey
      const collaboratorKey = String(sandbox.state.spaces.get(S.open)!["collaboratorKey"])
      addCard(sandbox, "cdLeakyKeysForFeeds", S.open, `my key ${key} and https://kinopio.club/invite?collaboratorKey=${collaboratorKey}`)
      const doc = yield* liveKinopio(sandbox, S.open)
      for (const f of FORMATS) {
        const text = renderFeed(doc, f)
        expect(text).not.toContain(key)
        expect(text).not.toContain(collaboratorKey)
        expect(text).toContain("[redacted]")
      }
    }))

  it.effect("a private space: refused to a credential that cannot view it, written for one that can, when named by id", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const refused = yield* liveKinopio(sandbox, S.private, 20, sandbox.accounts.other.apiKey).pipe(Effect.flip)
      expect(refused._tag).toBe("BadInput")
      expect(refused.message).toContain(S.private)
      const other = yield* liveKinopio(sandbox, S.otherPrivate).pipe(Effect.flip)
      expect(other._tag).toBe("BadInput")
      // Named by id with the owner's credential: the person asked for it.
      const own = yield* liveKinopio(sandbox, S.private)
      expect(readAll(own).ids.json.length).toBeGreaterThan(0)
    }))

  it.scoped("from an archive: the same bytes as live, with no request; private and removed spaces refused", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      addCard(sandbox, "cdHostileAddedForFeeds", S.open, HOSTILE)
      const out = yield* tempDir
      const summary = yield* backupSandbox(sandbox, out)
      const live = yield* liveKinopio(sandbox, S.open, 5)
      const before = sandbox.stats.requests
      const archived = yield* fromArchive(kinopioService, summary.archive, S.open, 5)
      expect(sandbox.stats.requests).toBe(before) // no request at all
      for (const f of FORMATS) expect(renderFeed(archived, f)).toBe(renderFeed(live, f))
      expect(readAll(archived).ids.json).toEqual(expectedCardIds(sandbox, S.open).slice(0, 5))

      for (const id of [S.private, S.collab, S.removed]) {
        const e = yield* fromArchive(kinopioService, summary.archive, id).pipe(Effect.flip)
        expect(e._tag).toBe("BadInput")
        expect(e.message).toContain(id)
      }
      const missing = yield* fromArchive(kinopioService, summary.archive, "nope").pipe(Effect.flip)
      expect(missing.message).toContain("not in this archive")
      const wrong = yield* fromArchive(infinityService, summary.archive, "x").pipe(Effect.flip)
      expect(wrong._tag).toBe("BadInput")
      expect(sandbox.stats.requests).toBe(before)
    }))

  it.scoped("backup --feeds publishes every public space, never a private or removed one, and takes down stale ones", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupSandbox(sandbox, out)
      // A feed an earlier run published for a space that is private now.
      const stale = join(out, "feeds", "kinopio", S.private)
      mkdirSync(stale, { recursive: true })
      writeFileSync(join(stale, "feed.json"), "{}")
      const before = sandbox.stats.requests
      const published = yield* publishFeeds({ service: kinopioService, archive: summary.archive, out, named: [], limit: 20 }).pipe(
        Effect.provide(NodeContext.layer)
      )
      expect(sandbox.stats.requests).toBe(before)
      expect([...published.written].sort()).toEqual([S.closed, S.longName, S.open].sort())
      expect(published.removed).toEqual([S.private])
      const folder = join(out, "feeds", "kinopio")
      expect(readdirSync(folder).sort()).toEqual([S.closed, S.longName, S.open].sort())
      const privateWords = ["Secret plan", "Dear diary", "Journal entry", "Zoë's reply", "A card in a space with no name"]
      for (const id of readdirSync(folder)) {
        expect(readdirSync(join(folder, id)).sort()).toEqual(["atom.xml", "feed.json", "rss.xml"])
        const all = ["feed.json", "rss.xml", "atom.xml"].map((f) => readFileSync(join(folder, id, f), "utf8"))
        readJsonFeed(all[0]!)
        expect(parseFeed(all[1]!).items.length).toBeGreaterThan(0)
        expect(parseFeed(all[2]!).items.length).toBeGreaterThan(0)
        for (const text of all) {
          for (const word of privateWords) expect(text).not.toContain(word)
          // (The open space's own text links to the collaborative space by URL: that is the open space's content.)
          for (const hidden of [S.private, S.emptyName, S.removed, S.otherPrivate]) expect(text).not.toContain(hidden)
          expect(text).not.toContain(sandbox.accounts.main.apiKey)
        }
      }
      expect(existsSync(stale)).toBe(false)
    }))
})

describe("feeds: Infinity", () => {
  const B = infinityIds.boards
  const I = infinityIds.items
  const C = infinityIds.comments

  it.effect("a live board feed: items and comments newest first, deleted ones left out, every format parsed", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock()
      const doc = yield* liveInfinity(sandbox, B.vacation)
      const { ids, json } = readAll(doc)
      expect(ids.rss).toEqual(ids.json)
      expect(ids.atom).toEqual(ids.json)
      expect(ids.json).toContain(`urn:ferry:infinity:item:${I.lisbon}`)
      expect(ids.json).toContain(`urn:ferry:infinity:comment:${C.hostile}`)
      expect(ids.json).not.toContain(`urn:ferry:infinity:item:${I.cancelled}`)
      expect(ids.json).not.toContain(`urn:ferry:infinity:comment:${C.deleted}`)
      // Newest first by updated_at, else created_at.
      const times = doc.entries.map((e) => (e.modified ?? e.published)!.getTime())
      expect([...times].sort((a, b) => b - a)).toEqual(times)
      expect([...doc.entries].sort(newestFirst)).toEqual(doc.entries)
      expect(feedUpdated(doc).getTime()).toBe(times[0])
      const hostile = json.items.find((i) => i["id"] === `urn:ferry:infinity:comment:${C.hostile}`)!
      expect(hostile["authors"]).toEqual([{ name: "Ana Müller" }])
      expect(hostile["content_text"]).not.toMatch(/<script|<p>|onerror/)
      expect(hostile["url"]).toMatch(/^https:\/\/app\.startinfinity\.com\//)
      expect(json.title).toBe("Vacation Planning")

      const limited = yield* liveInfinity(sandbox, B.vacation, 2)
      expect(readAll(limited).ids.json).toEqual(ids.json.slice(0, 2))
      const unknown = yield* liveInfinity(sandbox, B.outsider).pipe(Effect.flip)
      expect(unknown._tag).toBe("BadInput")
    }))

  it.scoped("from an archive: the same bytes as live, no request; backup --feeds writes only boards named with --board", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupInfinitySandbox(sandbox, out)
      const live = yield* liveInfinity(sandbox, B.vacation)
      const before = sandbox.stats.requests
      const archived = yield* fromArchive(infinityService, summary.archive, B.vacation)
      for (const f of FORMATS) expect(renderFeed(archived, f)).toBe(renderFeed(live, f))

      const none = yield* publishFeeds({ service: infinityService, archive: summary.archive, out, named: [], limit: 20 }).pipe(
        Effect.provide(NodeContext.layer)
      )
      expect(none.written).toEqual([])
      const named = yield* publishFeeds({ service: infinityService, archive: summary.archive, out, named: [B.vacation, "notABoard"], limit: 20 })
        .pipe(Effect.provide(NodeContext.layer))
      expect(named.written).toEqual([B.vacation])
      expect(readdirSync(join(out, "feeds", "infinity"))).toEqual([B.vacation])
      expect(sandbox.stats.requests).toBe(before)
    }))
})

describe("feeds: the XML check", () => {
  it("catches what `feed` would pass through unclean", () => {
    expect(xmlProblem("<a>ok &amp; &#x1F680;</a>")).toBeUndefined()
    expect(xmlProblem("<a>\u0007</a>")).toBeDefined()
    expect(xmlProblem("<a b=\"<x\"/>")).toBeDefined()
    expect(xmlProblem("<a><![CDATA[x]]> ]]></a>")).toBeDefined()
    expect(xmlProblem("<a>& b</a>")).toBeDefined()
    expect(xmlProblem("<a><b></a></b>")).toBeDefined()
    expect(xmlProblem("<a/><b/>")).toBeDefined()
  })
})
