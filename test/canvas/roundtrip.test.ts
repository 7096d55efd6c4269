/**
 * Properties over generated spaces, hostile on purpose: any text, odd and broken colours,
 * fractional and huge geometry, nested, overlapping and identical boxes, self connections,
 * connections to nothing, ids shared between kinds, empty spaces.
 */
import { Either } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { spaceToCanvas, type SpaceInput } from "../../src/canvas/export.ts"
import { canvasToSpace } from "../../src/canvas/import.ts"
import { specProblems } from "./spec.ts"

type Entity = Record<string, unknown>

const RUNS = { numRuns: Number(process.env["FERRY_CANVAS_RUNS"] ?? 150) }

const hostileText = fc.oneof(
  fc.constantFrom(
    "", " ", "\n", "<script>alert(1)</script>", "# Heading\n\n**b** *i* ~~s~~ `c`\n```js\nx\n```", "[] todo [[tag]] ((comment))",
    "line one\r\nline two\n\n", "https://example.com/a?b=1&c=%20", "  http://x.test/path  ", "https://a b", "\u0000\u0007\u202e",
    "👩🏽‍🚀🇯🇵 مرحبا 日本語", "[redacted]", "{\"nodes\":[]}"
  ),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 })
)

// Archives come from JSON, where -0 is 0.
const coordinate = fc.oneof(
  fc.integer({ min: -5000, max: 5000 }),
  fc.double({ min: -1e7, max: 1e7, noNaN: true, noDefaultInfinity: true }).map((n) => n + 0),
  fc.constantFrom(0.5, -0.5, 1.5, -150.75, 1e15, -1e15)
)
const length = fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.double({ min: 0, max: 5000, noNaN: true }).map((n) => n + 0))
const maybe = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: null })

const colour = fc.oneof(
  fc.constantFrom(
    "#abc", "#AABBCC", "#aabbcc80", "rgb(1, 2, 3)", "rgba(255,0,0,0.5)", "hsl(120, 50%, 50%)", "hsla(1turn,2%,3%,.4)",
    "rebeccapurple", "transparent", "not-a-colour", "", "RGB(1 2 3 / 50%)", "var(--x)", "1", "#12345"
  ),
  fc.integer({ min: 0, max: 0xffffff }).map((n) => `#${n.toString(16).padStart(6, "0")}`),
  fc.string({ maxLength: 8 }),
  fc.constant(null)
)

// A few ids shared by every kind, so boxes, cards and connections collide sometimes.
const id = fc.oneof(
  fc.constantFrom("same", "x", "same~2", "a-b_c"),
  fc.stringMatching(/^[A-Za-z0-9_-]{21}$/)
)

/** Fields Ferry does not draw, as real records carry them (never a secret's name: archives are redacted already). */
const extras = fc.dictionary(
  fc.constantFrom("tilt", "frameId", "isComment", "listId", "headerFontSize", "urlPreviewUrl", "weird key", "ünï", "nested"),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 }
)

/** As an archive line holds it: plain JSON objects, no undefined, no -0. */
const archived = (input: SpaceInput) => JSON.parse(JSON.stringify(input)) as SpaceInput

const optional = (record: Entity): Entity => Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined))

const card = (spaceId: string) =>
  fc.record({
    id,
    name: fc.oneof(hostileText, fc.constant(null)),
    x: fc.option(coordinate, { nil: undefined }),
    y: fc.option(coordinate, { nil: undefined }),
    z: fc.option(fc.integer({ min: -5, max: 50 }), { nil: undefined }),
    width: fc.option(maybe(length), { nil: undefined }),
    height: fc.option(maybe(length), { nil: undefined }),
    resizeWidth: fc.option(length, { nil: undefined }),
    backgroundColor: fc.option(colour, { nil: undefined }),
    color: fc.option(colour, { nil: undefined }),
    isRemoved: fc.option(fc.boolean(), { nil: undefined }),
    extra: extras
  }).map(({ extra, ...c }) => optional({ ...extra, ...c, spaceId }))

const box = (spaceId: string) =>
  fc.record({
    id,
    name: fc.option(hostileText, { nil: undefined }),
    // small ranges: boxes overlap, nest and sometimes coincide
    x: fc.oneof(fc.integer({ min: 0, max: 400 }), coordinate),
    y: fc.integer({ min: 0, max: 400 }),
    resizeWidth: fc.option(fc.oneof(fc.integer({ min: 0, max: 600 }), length), { nil: undefined }),
    resizeHeight: fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
    color: fc.option(colour, { nil: undefined }),
    background: fc.option(fc.constantFrom(null, "", "https://example.com/bg.png"), { nil: undefined }),
    backgroundIsStretch: fc.option(fc.boolean(), { nil: undefined }),
    fill: fc.option(fc.constantFrom("filled", "empty"), { nil: undefined })
  }).map((b) => optional({ ...b, spaceId }))

const spaceInput: fc.Arbitrary<SpaceInput> = fc.record({ spaceId: id, name: hostileText }).chain(({ name, spaceId }) =>
  fc.record({
    boxes: fc.uniqueArray(box(spaceId), { maxLength: 5, selector: (b) => b["id"] }),
    cards: fc.uniqueArray(card(spaceId), { maxLength: 8, selector: (c) => c["id"] }),
    removedCards: fc.array(card(spaceId).map((c) => ({ ...c, isRemoved: true })), { maxLength: 2 }),
    types: fc.uniqueArray(
      fc.record({ id, name: fc.option(hostileText, { nil: null }), color: colour, extra: extras }).map(({ extra, ...t }) => ({ ...extra, ...t, spaceId })),
      { maxLength: 3, selector: (t) => t["id"] }
    ),
    lists: fc.array(fc.record({ id, name: hostileText, x: coordinate }), { maxLength: 2 }),
    drawingStrokes: fc.array(fc.array(fc.record({ x: coordinate, y: coordinate, color: colour }), { maxLength: 2 }), { maxLength: 2 }),
    spaceExtra: extras
  }).chain(({ boxes, cards, drawingStrokes, lists, removedCards, spaceExtra, types }) => {
    const ends = [...boxes.map((b) => String(b["id"])), ...cards.map((c) => String(c["id"])), ...lists.map((l) => l.id), "nowhere"]
    const typeIds = [...types.map((t) => String(t["id"])), "no-such-type"]
    const connection = fc.record({
      id,
      start: fc.constantFrom(...ends),
      end: fc.constantFrom(...ends),
      self: fc.boolean(),
      current: fc.boolean(),
      connectionTypeId: fc.option(fc.constantFrom(...typeIds), { nil: undefined }),
      name: fc.option(maybe(hostileText), { nil: undefined }),
      color: fc.option(colour, { nil: undefined }),
      directionIsVisible: fc.option(fc.boolean(), { nil: undefined }),
      point1Cardinal: fc.option(fc.constantFrom("top", "right", "bottom", "left", "middle", null), { nil: undefined }),
      point2Cardinal: fc.option(fc.constantFrom("top", "left", null), { nil: undefined }),
      path: fc.option(fc.constant("m524,138 q90,40 49,123"), { nil: undefined })
    }).map(({ current, end, self, start, ...c }) => {
      const to = self ? start : end
      return optional({ ...c, spaceId, ...(current ? { startItemId: start, endItemId: to } : { startCardId: start, endCardId: to }) })
    })
    return fc.record({
      connections: fc.array(connection, { maxLength: 8 }),
      tags: fc.array(fc.record({ id, name: hostileText, color: colour, cardId: fc.constantFrom(...ends) }).map((t) => ({ ...t, spaceId })), { maxLength: 3 })
    }).map(({ connections, tags }): SpaceInput => archived({
      space: { ...spaceExtra, id: spaceId, name, boxes, lists, lines: [], drawingStrokes },
      cards,
      removedCards,
      connections,
      connectionTypes: types,
      tags
    }))
  })
)

const throughJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown

describe("JSON Canvas properties over generated spaces", () => {
  it("Kinopio space → canvas file → Kinopio space gives back the same entities", () => {
    fc.assert(
      fc.property(spaceInput, (input) => {
        const back = canvasToSpace(JSON.stringify(spaceToCanvas(input).canvas), "generated.canvas")
        expect(Either.isRight(back)).toBe(true)
        const space = Either.getOrThrow(back)
        expect(space.notImported).toEqual([])
        expect(space.space).toStrictEqual(input.space)
        expect(space.cards).toStrictEqual(input.cards)
        expect(space.removedCards).toStrictEqual(input.removedCards)
        expect(space.connections).toStrictEqual(input.connections)
        expect(space.connectionTypes).toStrictEqual(input.connectionTypes)
        expect(space.tags).toStrictEqual(input.tags)
      }),
      RUNS
    )
  })

  it("every export is a valid JSON Canvas 1.0 file", () => {
    fc.assert(
      fc.property(spaceInput, (input) => {
        const { canvas } = spaceToCanvas(input)
        expect(specProblems(throughJson(canvas))).toEqual([])
        // every card and box still there is drawn, each once
        const drawn = input.cards.filter((c) => c["isRemoved"] !== true).length + (input.space["boxes"] as ReadonlyArray<unknown>).length
        expect(canvas.nodes).toHaveLength(drawn)
      }),
      RUNS
    )
  })

  it("a plain reader's view of an export (no ferry key) imports as one card per node and one connection per edge", () => {
    fc.assert(
      fc.property(spaceInput, (input) => {
        const { canvas } = spaceToCanvas(input)
        const plain = { nodes: canvas.nodes, edges: canvas.edges }
        const once = Either.getOrThrow(canvasToSpace(throughJson(plain), "plain.canvas"))
        expect(once.cards).toHaveLength(canvas.nodes.filter((n) => n.type !== "group").length)
        expect(once.space["boxes"]).toHaveLength(canvas.nodes.filter((n) => n.type === "group").length)
        expect(once.connections).toHaveLength(canvas.edges.length)
        expect(once.notImported).toEqual([])
        // the same file twice plans the same entities
        expect(Either.getOrThrow(canvasToSpace(throughJson(plain), "plain.canvas"))).toStrictEqual(once)
        // and what it plans draws the same picture again (under new ids)
        const again = spaceToCanvas(once).canvas
        expect(specProblems(throughJson(again))).toEqual([])
        const anonymous = (nodes: ReadonlyArray<object>) => nodes.map(({ id: _, ...n }: any) => n)
        expect(anonymous(again.nodes)).toEqual(anonymous(canvas.nodes))
        const look = (e: any) => [e.toEnd, e.fromSide, e.toSide]
        expect(again.edges.map(look)).toEqual(canvas.edges.map(look))
        // an edge with no label or colour gets its type's default name and colour
        canvas.edges.forEach((e, i) => e.label === undefined || expect(again.edges[i]?.label).toBe(e.label))
        canvas.edges.forEach((e, i) => e.color === undefined || expect(again.edges[i]?.color).toBe(e.color))
      }),
      RUNS
    )
  })
})

