import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { toCanvasHex } from "../../src/canvas/colour.ts"
import { spaceToCanvas } from "../../src/canvas/export.ts"
import { canvasToSpace } from "../../src/canvas/import.ts"
import { demoIds, demoSeed } from "../../src/kinopio/sandbox-seed.ts"
import { seedSpaceInputs } from "./seed-spaces.ts"
import { specProblems } from "./spec.ts"

type Entity = Readonly<Record<string, unknown>>
const S = demoIds.spaces
const C = demoIds.cards

const inputs = seedSpaceInputs()
const inputOf = (spaceId: string) => inputs.find((i) => i.space["id"] === spaceId)!
const exported = (spaceId: string) => spaceToCanvas(inputOf(spaceId))
const nodesOf = (spaceId: string) => exported(spaceId).canvas.nodes as ReadonlyArray<Entity>

describe("spaceToCanvas over the demo seed", () => {
  it("writes a valid JSON Canvas 1.0 file for every space, before and after JSON", () => {
    for (const input of inputs) {
      const { canvas } = spaceToCanvas(input)
      expect(specProblems(canvas), String(input.space["id"])).toEqual([])
      expect(specProblems(JSON.parse(JSON.stringify(canvas))), String(input.space["id"])).toEqual([])
    }
  })

  it("gives back every archived entity exactly through the ferry key", () => {
    for (const input of inputs) {
      const back = canvasToSpace(JSON.stringify(spaceToCanvas(input).canvas), "seed.canvas")
      expect(Either.isRight(back)).toBe(true)
      const space = Either.getOrThrow(back)
      expect(space.notImported).toEqual([])
      expect({ ...space, notImported: undefined }).toEqual({ ...input, notImported: undefined })
    }
  })

  it("draws boxes as groups beneath their contents, with whole-pixel geometry and hex colours", () => {
    const nodes = nodesOf(S.open)
    expect(nodes[0]).toEqual({
      id: demoIds.boxes.ideas,
      type: "group",
      x: 60,
      y: 41, // 40.5
      width: 520,
      height: 360, // 360.25
      color: "#e0f7fa", // rgb(224, 247, 250)
      label: "Ideas 💡"
    })
    expect(nodes.slice(1).every((n) => n["type"] !== "group")).toBe(true)
    const byId = new Map(nodes.map((n) => [n["id"], n]))
    // resizeWidth is what the person chose; x 120.5 rounds half up
    expect(byId.get(C.welcome)).toMatchObject({ type: "text", x: 121, y: 80, width: 320, height: 80, color: "#e3f2fd" })
    expect(byId.get(C.todoDone)).toMatchObject({ color: "#c8e6c9" }) // rgb(200, 230, 201) in `color`
    expect(byId.get(C.long)).toMatchObject({ width: 600, height: 2401 })
    expect(byId.get(C.preview)).toMatchObject({ type: "link", url: "https://example.com/articles/compost?utm=x&y=1" })
    // width and height null: a default width, a height from the text
    expect(byId.get(C.emoji)).toMatchObject({ type: "text", width: 235 })
    expect(Number.isInteger(byId.get(C.emoji)?.["height"])).toBe(true)
    // removed cards are not drawn
    expect(byId.has(C.removed)).toBe(false)
    expect(byId.has(C.removedInline)).toBe(false)
    const closed = new Map(nodesOf(S.closed).map((n) => [n["text"], n]))
    expect(closed.get("Negative position")).toMatchObject({ x: -151, y: -20 })
  })

  it("draws both generations of connections, to cards and to boxes, labelled and coloured by type or by themselves", () => {
    const open = exported(S.open).canvas.edges
    expect(open.find((e) => e.id === demoIds.connections.legacy)).toEqual({
      id: demoIds.connections.legacy,
      fromNode: C.welcome,
      toNode: C.todoOpen,
      toEnd: "none",
      color: "#c9a6ff",
      label: "Leads to"
    })
    expect(open.map((e) => e.label)).toEqual(["Leads to", "Depends on ⚠️", "Leads to"])
    expect(open.map((e) => e.color)).toEqual(["#c9a6ff", "#66bb6a", "#c9a6ff"]) // rgb(102, 187, 106)
    expect(open.map((e) => e.toEnd)).toEqual(["none", "none", "arrow"])
    const priv = exported(S.private).canvas.edges
    expect(priv.find((e) => e.id === demoIds.connections.toBox)).toEqual({
      id: demoIds.connections.toBox,
      fromNode: expect.any(String),
      fromSide: "right",
      toNode: demoIds.boxes.privateBox,
      toSide: "left",
      toEnd: "arrow",
      color: "#2196f3"
    })
    expect(priv.find((e) => e.label === "relates to 🔗")).toMatchObject({ color: "#ff5252", toEnd: "arrow" })
  })

  it("lists what a plain canvas reader will not see", () => {
    const rows = exported(S.open).notShown
    const has = (collection: string, field: string) => rows.some((r) => r.collection === collection && r.field === field)
    for (const field of ["lists", "lines", "drawingStrokes", "background", "note"]) expect(has("spaces", field), field).toBe(true)
    for (const field of ["tilt", "listId", "atUserMentions", "linkToCardId", "isComment"]) expect(has("cards", field), field).toBe(true)
    expect(has("boxes", "fill")).toBe(true)
    expect(has("connections", "path")).toBe(true)
    expect(has("tags", "color")).toBe(true)
    expect(rows.find((r) => r.collection === "removedCards")?.reason).toMatch(/^2 removed cards/)
    // drawn fields and bookkeeping are not listed
    for (const field of ["name", "x", "width", "createdAt", "userId", "backgroundColor"]) expect(has("cards", field), field).toBe(false)
  })

  it("never writes a secret, even from records that were not redacted", () => {
    const seed = demoSeed()
    const space = seed.spaces.find((s) => s["id"] === S.open)!
    const cards = seed.cards.filter((c) => c["spaceId"] === S.open)
    const text = JSON.stringify(spaceToCanvas({ space, cards, connections: [], connectionTypes: [], tags: [] }).canvas)
    const secrets = [space["collaboratorKey"], space["readOnlyKey"], ...seed.spaces.map((s) => s["collaboratorKey"])]
    for (const secret of secrets) expect(text).not.toContain(String(secret))
    expect(text).toContain("[redacted]")
  })

  it("ids stay unique when a box, a card and a connection share one", () => {
    const { canvas } = spaceToCanvas({
      space: { id: "s", boxes: [{ id: "same", x: 0, y: 0, resizeWidth: 10, resizeHeight: 10 }] },
      cards: [{ id: "same", name: "a", x: 1, y: 1 }, { id: "same", name: "b" }],
      connections: [{ id: "same", startCardId: "same", endCardId: "same" }],
      connectionTypes: [],
      tags: []
    })
    expect(canvas.nodes.map((n) => n.id)).toEqual(["same", "same~2", "same~3"])
    // an end names a box before a card, as the restore reads it
    expect(canvas.edges).toEqual([{ id: "same~4", fromNode: "same", toNode: "same", toEnd: "none" }])
    expect(specProblems(canvas)).toEqual([])
  })

  it("leaves out a connection whose end is not drawn, and says so", () => {
    const { canvas, notShown } = spaceToCanvas({
      space: { id: "s", lists: [{ id: "list1" }] },
      cards: [{ id: "c1", name: "x" }],
      removedCards: [{ id: "gone", name: "removed", isRemoved: true }],
      connections: [
        { id: "k1", startItemId: "c1", endItemId: "list1" },
        { id: "k2", startCardId: "gone", endCardId: "c1" }
      ],
      connectionTypes: [{ id: "t", name: "unused", color: "#000" }],
      tags: []
    })
    expect(canvas.edges).toEqual([])
    expect(notShown.filter((r) => r.collection === "connections").map((r) => [r.id, r.field])).toEqual([["k1", "endItemId"], ["k2", "startCardId"]])
    expect(notShown).toContainEqual(expect.objectContaining({ collection: "connectionTypes", id: "t", field: "*" }))
  })
})

describe("colours", () => {
  it.each([
    ["#abc", "#aabbcc", 1],
    ["#AABBCC", "#aabbcc", 1],
    ["#aabbcc80", "#aabbcc", 128 / 255],
    ["rgb(224, 247, 250)", "#e0f7fa", 1],
    ["rgba(255,0,0,0.5)", "#ff0000", 0.5],
    ["rgb(100% 0% 50% / 25%)", "#ff0080", 0.25],
    ["RGB( 1 , 2 , 3 )", "#010203", 1],
    ["rgb(300, -5, 12.6)", "#ff000d", 1],
    ["hsl(120, 100%, 25%)", "#008000", 1],
    ["hsla(0.5turn, 100%, 50%, .2)", "#00ffff", 0.2],
    ["rebeccapurple", "#663399", 1],
    [" White ", "#ffffff", 1]
  ])("%s is %s", (input, hex, alpha) => {
    const converted = toCanvasHex(input)
    expect(converted).toMatchObject({ _tag: "Hex", hex })
    if (converted._tag === "Hex") expect(converted.alpha).toBeCloseTo(alpha, 5)
  })

  it.each(["transparent", "currentColor", "rgb(1,2)", "hsl(1, 2, 3)", "#abcde", "var(--x)", "blurple"])("%s has no canvas colour", (input) => {
    expect(toCanvasHex(input)._tag).toBe("Unknown")
  })

  it("says nothing of an absent colour, and lists one it cannot convert", () => {
    expect(toCanvasHex(null)._tag).toBe("None")
    expect(toCanvasHex("")._tag).toBe("None")
    const { canvas, notShown } = spaceToCanvas({
      space: { id: "s" },
      cards: [{ id: "a", name: "a", backgroundColor: "var(--paper)" }, { id: "b", name: "b", color: "rgba(0,0,0,0.5)" }, { id: "c", name: "c", color: null }],
      connections: [],
      connectionTypes: [],
      tags: []
    })
    expect(canvas.nodes.map((n) => n.color)).toEqual([undefined, "#000000", undefined])
    expect(notShown.filter((r) => r.collection === "cards" && r.id !== "*").map((r) => [r.id, r.field])).toEqual([["a", "backgroundColor"], ["b", "color"]])
  })
})
