/**
 * The mappings as properties, over generated archives. Infinity's side of a round trip is the
 * mapping's own output passed straight back (as if restored, then backed up again with the same
 * ids); the round trip over HTTP, through both restore targets, is the pipelines' to test.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Entity } from "../../src/connector.ts"
import { demoSeed } from "../../src/kinopio/sandbox-seed.ts"
import { infinityToKinopio } from "../../src/mapping/infinity-to-kinopio.ts"
import { kinopioToInfinity } from "../../src/mapping/kinopio-to-infinity.ts"
import { boxRect, cardRect, innermostBox } from "../../src/mapping/layout.ts"
import {
  type Collections,
  infinityArchive,
  infinityProblems,
  kinopioArchive,
  kinopioProblems,
  type KinopioSource,
  kinopioView,
  listed,
  silentlyDropped,
  unmatchedCards
} from "./support.ts"

const RUNS = { numRuns: 150 }

/** Source and result as plain values; a space whose name is listed as not carried is compared without it. */
const views = (source: KinopioSource, result: Collections, rows: Parameters<typeof listed>[0]) => {
  const before = kinopioView(source as unknown as Collections, listed(rows))
  const after = kinopioView(result).map((space, i) => (before[i]?.name === "(listed)" ? { ...space, name: "(listed)" } : space))
  // Cards are compared on their own (a card with no position comes back with one); the rest as values.
  const cards = before.map((space, i) => unmatchedCards(space.cards, after[i]?.cards ?? []))
  const strip = (list: typeof before) => list.map(({ cards: _cards, ...rest }) => rest)
  return { before: strip(before), after: strip(after), cards }
}

describe("Kinopio → Infinity → Kinopio", () => {
  it("gives back the same spaces, boxes, cards, connections, types and tags, modulo ids, minus exactly what is listed", () => {
    fc.assert(
      fc.property(kinopioArchive, (source) => {
        const there = kinopioToInfinity(source)
        const back = infinityToKinopio(there.collections)
        const { after, before, cards } = views(source, back.collections, there.notCarried)
        expect(after).toEqual(before)
        for (const c of cards) expect(c).toEqual({ missing: [], extra: [] })
      }),
      RUNS
    )
  })

  it("lists every field it does not carry: nothing is dropped silently", () => {
    fc.assert(
      fc.property(kinopioArchive, (source) => {
        expect(silentlyDropped(source, kinopioToInfinity(source).notCarried)).toEqual([])
      }),
      RUNS
    )
  })

  it("is the same for the seeded demo account: only the listed losses differ", () => {
    const seed = demoSeed()
    const live = seed.spaces.filter((s) => s["isRemoved"] !== true)
    const source: KinopioSource = {
      user: seed.users.slice(0, 1),
      spaces: live,
      removedSpaces: seed.spaces.filter((s) => s["isRemoved"] === true),
      cards: seed.cards.filter((c) => c["isRemoved"] !== true),
      removedCards: seed.cards.filter((c) => c["isRemoved"] === true),
      connections: seed.connections,
      connectionTypes: seed.connectionTypes,
      tags: seed.tags
    }
    const there = kinopioToInfinity(source)
    const back = infinityToKinopio(there.collections)
    const { after, before, cards } = views(source, back.collections, there.notCarried)
    expect(after).toEqual(before)
    for (const c of cards) expect(c).toEqual({ missing: [], extra: [] })
    expect(silentlyDropped(source, there.notCarried)).toEqual([])
    // The losses a person reads in the summary: the connection that ends at a box, the space with no name.
    const l = listed(there.notCarried)
    expect(l.whole("connections", "cnToBox1X54O000cLlB71")).toBe(true)
    expect(there.notCarried).toContainEqual(expect.objectContaining({ collection: "spaces", field: "name" }))
    expect(back.collections.spaces.map((s) => s["name"])).toEqual(live.map((s) => (s["name"] === "" ? "Untitled space" : s["name"])))
    expect(back.collections.cards).toHaveLength(source.cards.filter((c) => live.some((s) => s["id"] === c["spaceId"])).length)
  })
})

describe("outputs", () => {
  it("are deterministic: the same archive maps to identical entities (Kinopio → Infinity)", () => {
    fc.assert(fc.property(kinopioArchive, (source) => {
      expect(kinopioToInfinity(structuredClone(source))).toEqual(kinopioToInfinity(structuredClone(source)))
    }), RUNS)
  })

  it("are deterministic: the same archive maps to identical entities (Infinity → Kinopio)", () => {
    fc.assert(fc.property(infinityArchive, (source) => {
      expect(infinityToKinopio(structuredClone(source))).toEqual(infinityToKinopio(structuredClone(source)))
    }), RUNS)
  })

  it("Kinopio → Infinity: ids unique, every folder, value, label and reference points at an entity of the same board", () => {
    fc.assert(fc.property(kinopioArchive, (source) => {
      expect(infinityProblems(kinopioToInfinity(source).collections)).toEqual([])
    }), RUNS)
  })

  it("Infinity → Kinopio: ids unique, every connection ends at a card or box of its space, every card has a place and text Kinopio takes", () => {
    fc.assert(fc.property(infinityArchive, (source) => {
      expect(kinopioProblems(infinityToKinopio(source).collections)).toEqual([])
    }), RUNS)
  })

  it("round trip: the Kinopio archive that comes back is whole too", () => {
    fc.assert(fc.property(kinopioArchive, (source) => {
      expect(kinopioProblems(infinityToKinopio(kinopioToInfinity(source).collections).collections)).toEqual([])
    }), RUNS)
  })
})

describe("Infinity → Kinopio over generated boards", () => {
  it("makes each live item one card, or lists it; each live comment one card, or lists it", () => {
    fc.assert(fc.property(infinityArchive, (source) => {
      const { collections, notCarried } = infinityToKinopio(source)
      const l = listed(notCarried)
      const boards = new Set(source.boards.filter((b) => b["deleted"] !== true).map((b) => b["id"]))
      const folders = new Set(source.folders.filter((f) => f["deleted"] !== true && boards.has(f["board_id"])).map((f) => f["id"]))
      const items = source.items.filter((i) => !l.whole("items", i["id"]))
      // Not listed ⇔ alive, on a live board, in a live folder.
      for (const i of source.items) expect(!l.whole("items", i["id"])).toBe(i["deleted"] !== true && folders.has(i["folder_id"]))
      const comments = (source.comments ?? []).filter((c) => !l.whole("comments", c["id"]))
      const descriptions = source.boards.filter((b) => boards.has(b["id"]) && typeof b["description"] === "string" && b["description"].trim() !== "")
      expect(collections.cards).toHaveLength(items.length + comments.length + descriptions.length)
      expect(collections.cards.filter((c) => c["isComment"] === true)).toHaveLength(comments.length)
      expect(collections.spaces).toHaveLength(boards.size)
    }), RUNS)
  })

  it("lays each folder out as a box holding its cards, boxes side by side without overlapping", () => {
    fc.assert(fc.property(infinityArchive, (source) => {
      const { collections } = infinityToKinopio(source)
      for (const space of collections.spaces) {
        const boxes = (space["boxes"] as ReadonlyArray<Entity>).map((b) => ({ box: b, rect: boxRect(b)! }))
        for (const [i, a] of boxes.entries()) {
          for (const b of boxes.slice(i + 1)) {
            const apart = a.rect.x + a.rect.width <= b.rect.x || b.rect.x + b.rect.width <= a.rect.x ||
              a.rect.y + a.rect.height <= b.rect.y || b.rect.y + b.rect.height <= a.rect.y
            expect(apart).toBe(true)
          }
        }
        const cards = collections.cards.filter((c) => c["spaceId"] === space["id"] && c["isComment"] !== true)
        for (const card of cards) {
          const rect = cardRect(card)!
          const inBox = innermostBox(rect, boxes)
          // Only the board description's card sits outside every box.
          if (inBox === undefined) expect(card["id"]).toBe(collections.cards.find((c) => c["spaceId"] === space["id"])?.["id"])
        }
      }
    }), RUNS)
  })
})
