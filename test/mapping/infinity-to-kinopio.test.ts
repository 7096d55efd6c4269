/** Infinity → Kinopio, rule by rule, on hand-made boards (and on boards made from Kinopio spaces). */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Entity } from "../../src/connector.ts"
import { demoSeed } from "../../src/infinity/sandbox-seed.ts"
import { type InfinityArchive, infinityToKinopio } from "../../src/mapping/infinity-to-kinopio.ts"
import { kinopioToInfinity } from "../../src/mapping/kinopio-to-infinity.ts"
import { BOX_HEADER, boxRect, CARD_WIDTH, cardRect, GAP, innermostBox } from "../../src/mapping/layout.ts"
import { infinityArchive, kinopioArchive, kinopioProblems } from "./support.ts"

const scope = { board_id: "B", workspace_id: 1 }
const ATTRIBUTES: ReadonlyArray<Entity> = [
  { id: "title", name: "Title", type: "text" },
  { id: "done", name: "Done", type: "checkbox" },
  { id: "notes", name: "Notes", type: "longtext" },
  { id: "amount", name: "Amount", type: "number", settings: { delimiter: "." } },
  {
    id: "price", name: "Price", type: "label",
    settings: { multiple: true, labels: [{ id: "l1", name: "$$", color: "#F3E192" }, { id: "l2", name: "a [b]\nc", color: null }] }
  },
  { id: "who", name: "Who", type: "members" },
  { id: "files", name: "Files", type: "attachments" },
  { id: "related", name: "Related", type: "reference", settings: { folderId: "f1" } },
  { id: "second", name: "Second title", type: "text" }
].map((a) => ({ object: "attribute", default_data: null, settings: [], deleted: false, ...scope, ...a }))

const folder = (id: string, name: string, order: number, fields: Record<string, unknown> = {}): Entity => ({
  id, object: "folder", name, sort_order: String(order), color: null, settings: [], parent_id: "B",
  attribute_ids: ATTRIBUTES.map((a) => a["id"]), deleted: false, ...scope, ...fields
})
const item = (id: string, folderId: string, order: number, values: Record<string, unknown>, fields: Record<string, unknown> = {}): Entity => ({
  id, object: "item", folder_id: folderId, parent_id: null, sort_order: order, created_at: "2024-01-01T00:00:00.000000Z", deleted: false,
  values: Object.entries(values).map(([attribute, data]) => ({ id: `${id}-${attribute}`, object: "value", data, attribute_id: attribute, item_id: id, deleted: false })),
  ...scope, ...fields
})
const board = (fields: Record<string, unknown> = {}): Entity => ({
  id: "B", object: "board", name: "Trips ✈️", sort_order: "65536", color: "#4eb4f9", description: null, user_ids: [], deleted: false, workspace_id: 1, ...fields
})
const archive = (parts: Partial<InfinityArchive>): InfinityArchive => ({ boards: [board()], folders: [], attributes: ATTRIBUTES, items: [], ...parts })

const cardNamed = (out: ReturnType<typeof infinityToKinopio>, name: string) => {
  const found = out.collections.cards.find((c) => c["name"] === name)
  if (found === undefined) throw new Error(`no card named ${JSON.stringify(name)} among ${JSON.stringify(out.collections.cards.map((c) => c["name"]))}`)
  return found
}
const boxesOf = (space: Entity) => (space["boxes"] as ReadonlyArray<Entity>).map((b) => ({ box: b, rect: boxRect(b)! }))
const boxOf = (out: ReturnType<typeof infinityToKinopio>, card: Entity) =>
  innermostBox(cardRect(card)!, boxesOf(out.collections.spaces.find((s) => s["id"] === card["spaceId"])!))?.box["name"]

describe("infinityToKinopio on a board", () => {
  it("makes a private space per live board, a box per folder side by side (nested ones flattened), cards in a grid inside", () => {
    const out = infinityToKinopio(archive({
      folders: [folder("f1", "Places", 1), folder("f3", "Packing", 3, { color: "#f57740" }), folder("f2", "Old", 2, { parent_id: "f1" })],
      items: [
        ...Array.from({ length: 5 }, (_, k) => item(`p${k}`, "f1", 5 - k, { title: `Place ${k}` })),
        item("o", "f2", 1, { title: "Porto" }),
        item("k", "f3", 1, { title: "Passport" })
      ]
    }))
    expect(out.collections.spaces).toHaveLength(1)
    const space = out.collections.spaces[0]!
    expect(space).toMatchObject({ name: "Trips ✈️", privacy: "private" })
    const boxes = boxesOf(space)
    expect(boxes.map((b) => [b.box["name"], b.box["color"]])).toEqual([["Places", null], ["Places / Old", null], ["Packing", "#f57740"]])
    // Side by side, left to right, same top.
    expect(boxes.map((b) => b.rect.y)).toEqual([100, 100, 100])
    for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.rect.x).toBeGreaterThan(boxes[i - 1]!.rect.x + boxes[i - 1]!.rect.width)
    // In sort_order, rows of three (about square), each card in its box.
    const places = [4, 3, 2, 1, 0].map((k) => cardNamed(out, `Place ${k}`))
    expect(places.map((c) => [c["x"], c["y"]])).toEqual([
      [120, 100 + BOX_HEADER], [120 + CARD_WIDTH + GAP, 150], [120 + 2 * (CARD_WIDTH + GAP), 150], [120, 150 + 36 + GAP], [120 + CARD_WIDTH + GAP, 150 + 36 + GAP]
    ])
    for (const c of places) expect(boxOf(out, c)).toBe("Places")
    expect(boxOf(out, cardNamed(out, "Porto"))).toBe("Places / Old")
    expect(boxOf(out, cardNamed(out, "Passport"))).toBe("Packing")
    expect(kinopioProblems(out.collections)).toEqual([])
  })

  it("writes an item's values into its card: the first text as title, the first checkbox as [x], the others as lines; labels also as tags", () => {
    const out = infinityToKinopio(archive({
      folders: [folder("f1", "Places", 1)],
      items: [
        item("i", "f1", 1, {
          second: "Ignored as title, shown as a line", title: "Lisbon", done: true, notes: "line 1\nline 2", amount: 12.5, price: ["l1", "l2", "gone"],
          who: [1302, 9], files: [{ id: 7 }], related: ["x"]
        }),
        item("j", "f1", 2, { title: "  ", done: false, amount: 0 }),
        item("k", "f1", 3, {})
      ],
      users: [{ id: 1302, name: "Ana Müller" }],
      attachments: [{ id: 7, original_name: "beach.png" }]
    }))
    expect(cardNamed(out, [
      "[x] Lisbon", "Notes:\nline 1\nline 2", "Amount: 12.5", "Price: [[$$]] [[a (b) c]]", "Who: Ana Müller; 9", "Files: beach.png",
      "Second title: Ignored as title, shown as a line"
    ].join("\n"))).toBeDefined()
    // No text: the card is its lines; nothing at all: an empty card (0 and blank hold nothing).
    expect(cardNamed(out, "[] Title:   ")).toBeDefined()
    expect(cardNamed(out, "")).toBeDefined()
    expect(out.collections.tags.map((t) => [t["name"], t["color"]])).toEqual([["$$", "#F3E192"], ["a (b) c", null]])
    expect(out.notCarried).toContainEqual({ collection: "items", id: "i", field: "values.price", reason: "label gone is not among the attribute's labels" })
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "items", id: "i", field: "values.files" }))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "attributes", id: "*", field: "*" }))
  })

  it("makes references connections of a type named after their attribute, and joins sub-items to their parent", () => {
    const out = infinityToKinopio({
      ...archive({
        folders: [folder("f1", "Places", 1)],
        items: [
          item("a", "f1", 1, { title: "A" }), item("b", "f1", 2, { title: "B" }, { parent_id: "a" }), item("c", "f1", 3, { title: "C" }, { parent_id: "gone" }),
          item("d", "f1", 4, { title: "D" }, { deleted: true })
        ],
        references: [
          { id: "r1", object: "reference", attribute_id: "related", from_item_id: "a", to_item_id: "c", ...scope },
          { id: "r2", object: "reference", attribute_id: "related", from_item_id: "a", to_item_id: "a", ...scope },
          { id: "r3", object: "reference", attribute_id: "related", from_item_id: "a", to_item_id: "on another board", ...scope },
          { id: "r4", object: "reference", attribute_id: "related", from_item_id: "a", to_item_id: "d", ...scope }
        ]
      })
    })
    const id = (name: string) => cardNamed(out, name)["id"]
    const types = out.collections.connectionTypes
    expect(types.map((t) => [t["name"], t["color"]])).toEqual([["Related", null], ["Sub-item", null]])
    expect(out.collections.connections.map((c) => [c["startItemId"], c["endItemId"], c["connectionTypeId"], c["name"], c["directionIsVisible"]])).toEqual([
      [id("A"), id("C"), types[0]!["id"], "Related", true],
      [id("A"), id("A"), types[0]!["id"], "Related", true],
      [id("A"), id("B"), types[1]!["id"], "Sub-item", true]
    ])
    for (const c of out.collections.connections) expect(c["path"]).toMatch(/^m-?\d+,-?\d+ q-?\d+,-?\d+ -?\d+,-?\d+$/)
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "references", id: "r3", field: "*" }))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "references", id: "r4", field: "*" }))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "items", id: "c", field: "parent_id" }))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "items", id: "d", field: "*" }))
    // Sub-items follow their parent in the grid.
    expect(out.collections.cards.map((c) => c["name"])).toEqual(["A", "B", "C"])
  })

  it("makes comments ((comment)) cards beside their item's card, oldest first, with their author; replies and deleted ones listed", () => {
    const comment = (id: string, text: string, at: string, fields: Record<string, unknown> = {}): Entity => ({
      id, object: "comment", parent_id: null, text, created_at: at, created_by: 1302, deleted: false, item_id: "a", ...scope, ...fields
    })
    const out = infinityToKinopio(archive({
      folders: [folder("f1", "Places", 1)],
      items: [item("a", "f1", 1, { title: "A" })],
      comments: [
        comment("c2", "<p>Second <b>one</b> ((nested))</p>", "2024-01-02T00:00:00.000000Z", { parent_id: "c1" }),
        comment("c1", "<p>First &amp; foremost</p>", "2024-01-01T00:00:00.000000Z"),
        comment("c3", "<p>gone</p>", "2024-01-03T00:00:00.000000Z", { deleted: true }),
        comment("c4", "<p>orphan</p>", "2024-01-03T00:00:00.000000Z", { item_id: "zz" })
      ],
      users: [{ id: 1302, name: "Ana" }]
    }))
    const a = cardNamed(out, "A")
    const first = cardNamed(out, "((Ana: First & foremost))")
    // `))` inside would end the comment early: it is spaced apart.
    const second = cardNamed(out, "((Ana: Second one ((nested) )))")
    expect(first).toMatchObject({ x: (a["x"] as number) + CARD_WIDTH + GAP, y: a["y"], isComment: true, commentIsVisible: true })
    expect(second["x"]).toBe(first["x"])
    expect(second["y"]).toBeGreaterThan((first["y"] as number) + (first["height"] as number))
    expect(boxOf(out, first)).toBe("Places")
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "comments", id: "c2", field: "parent_id" }))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "comments", id: "c3", field: "*" }))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "comments", id: "c4", field: "*" }))
  })

  it("lists deleted boards, folders, attributes, items and values, and what lives in them, and the collections Kinopio has no place for", () => {
    const out = infinityToKinopio(archive({
      boards: [board(), board({ id: "D", deleted: true })],
      folders: [folder("f1", "Places", 1), folder("f2", "Gone", 2, { deleted: true }), folder("f3", "Elsewhere", 1, { board_id: "D" })],
      attributes: [...ATTRIBUTES, { id: "old", name: "Old", type: "text", deleted: true, ...scope }],
      items: [item("a", "f1", 1, { title: "A", old: "x" }), item("b", "f2", 1, { title: "B" }), item("c", "f1", 2, { title: "C" }, { icon: "🏖️" })],
      views: [{ id: "v" }], hooks: [{ id: "h" }]
    }))
    expect(out.collections.spaces).toHaveLength(1)
    expect(out.collections.cards.map((c) => c["name"])).toEqual(["A", "C"])
    for (const [collection, id, field] of [
      ["boards", "D", "*"], ["folders", "f2", "*"], ["folders", "f3", "*"], ["attributes", "old", "*"], ["items", "b", "*"],
      ["items", "a", "values.old"], ["items", "c", "icon"], ["boards", "B", "color"], ["views", "*", "*"], ["hooks", "*", "*"], ["items", "*", "created_at"]
    ]) {
      expect(out.notCarried).toContainEqual(expect.objectContaining({ collection, id, field }))
    }
  })

  it("puts a board's description in a card at the top left, and cuts card text to Kinopio's 4,000 characters", () => {
    const long = "🚀".repeat(2500) // 5,000 UTF-16 units
    const out = infinityToKinopio(archive({ boards: [board({ description: "About <b>trips</b>" })], folders: [folder("f1", "Places", 1)], items: [item("a", "f1", 1, { title: long })] }))
    expect(out.collections.cards[0]).toMatchObject({ name: "About <b>trips</b>", x: 100, y: 100 })
    const cut = out.collections.cards[1]!["name"] as string
    expect(cut.length).toBeLessThanOrEqual(4000)
    expect(cut).toBe("🚀".repeat(2000))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "items", id: "a", field: "values" }))
  })

  it("lists every text it cuts to Kinopio's 4,000 characters: a long description, a long comment (still a comment card)", () => {
    const out = infinityToKinopio(archive({
      boards: [board({ description: "d".repeat(4500) })],
      folders: [folder("f1", "Places", 1)],
      items: [item("a", "f1", 1, { title: "A" })],
      comments: [{ id: "c1", object: "comment", parent_id: null, text: `<p>${"c".repeat(5000)}</p>`, created_at: null, created_by: 1302, item_id: "a", ...scope }],
      users: [{ id: 1302, name: "Ana" }]
    }))
    expect(out.collections.cards[0]).toMatchObject({ name: "d".repeat(4000), x: 100, y: 100 })
    expect(out.notCarried).toContainEqual({
      collection: "boards", id: "B", field: "description", reason: "the description card's text is cut to Kinopio's 4,000 characters"
    })
    const comment = out.collections.cards.find((c) => c["isComment"] === true)!
    expect(comment["name"]).toBe(`((Ana: ${"c".repeat(4000 - "((Ana: ))".length)}))`)
    expect(out.notCarried).toContainEqual({ collection: "comments", id: "c1", field: "text", reason: "the comment card's text is cut to Kinopio's 4,000 characters" })
    // Text that fits is not listed.
    expect(out.notCarried.filter((r) => r.collection === "items" && r.id === "a")).toEqual([])
    expect(kinopioProblems(out.collections)).toEqual([])
  })

  it("lists the text it cannot show: a second value of an attribute, a value that is no object, a second item of one id, an unknown author, a description that is no text", () => {
    const a = item("a", "f1", 1, { title: "Kept" })
    const values = [...(a["values"] as ReadonlyArray<Entity>), { id: "v2", object: "value", data: "Second", attribute_id: "title", item_id: "a", deleted: false }, "stray"]
    const out = infinityToKinopio(archive({
      boards: [board({ description: { html: "<p>not text</p>" } })],
      folders: [folder("f1", "Places", 1)],
      items: [{ ...a, values }, item("a", "f1", 2, { title: "Twin" })],
      comments: [{ id: "c1", object: "comment", parent_id: null, text: "<p>Hi</p>", created_at: null, created_by: 77, item_id: "a", ...scope }]
    }))
    expect(out.collections.cards.map((c) => c["name"])).toEqual(["Kept", "((Hi))"])
    for (const [collection, id, field] of [
      ["items", "a", "values.title"], ["items", "a", "values[2]"], ["items", "a", "*"], ["comments", "c1", "created_by"], ["boards", "B", "description"]
    ]) {
      expect(out.notCarried).toContainEqual(expect.objectContaining({ collection, id, field }))
    }
  })

  it("reads the Infinity demo account: every kind of value, sub-items, comments and references", () => {
    const s = demoSeed()
    const items: Array<Entity> = s.items.map((r) => ({ ...r.entity, board_id: r.parent, values: s.values.filter((v) => v.parent === r.entity["id"]).map((v) => v.entity) }))
    const boardOf = new Map(items.map((i) => [i["id"], i["board_id"]]))
    const out = infinityToKinopio({
      users: s.users,
      boards: s.boards.map((r) => r.entity),
      folders: s.folders.map((r) => ({ ...r.entity, board_id: r.parent })),
      attributes: s.attributes.map((r) => ({ ...r.entity, board_id: r.parent })),
      items,
      references: s.references.map((r) => ({ ...r.entity, board_id: r.parent })),
      comments: s.comments.map((r) => ({ ...r.entity, item_id: r.parent, board_id: boardOf.get(r.parent) })),
      attachments: s.attachments.map((a) => a.entity)
    })
    expect(kinopioProblems(out.collections)).toEqual([])
    const lisbon = out.collections.cards.find((c) => String(c["name"]).startsWith("[x] Lisbon\n"))!
    for (const line of ["Budget: 1234.56", "Price: [[$$]] [[$$$$ <b>lux</b>]]", "Who: Damian Peterson; Ana Müller", "Files: beach.png; Zusammenfassung – Übersicht 📄.txt", "Rating: 4"]) {
      expect(String(lisbon["name"]).split("\n")).toContain(line)
    }
    expect(out.collections.cards.filter((c) => c["isComment"] === true)).toHaveLength(5) // the deleted one listed
    expect(out.collections.connections.filter((c) => c["name"] === "Sub-item")).toHaveLength(3)
    expect(out.collections.connections.filter((c) => c["name"] === "Related")).toHaveLength(3)
  })
})

describe("infinityToKinopio on a board made from a Kinopio space", () => {
  const made = () =>
    kinopioToInfinity({
      spaces: [{ id: "s", name: "Garden", boxes: [{ id: "bx", name: "Ideas", x: 0, y: 0, resizeWidth: 600, resizeHeight: 400, color: "#e0f7fa", fill: "filled" }] }],
      cards: [
        { id: "a", spaceId: "s", name: "[] water", x: 20, y: 60, width: 200, height: 40, color: "#fff" },
        { id: "b", spaceId: "s", name: "seeds", x: 20, y: 300, width: 200, height: 40 },
        { id: "c", spaceId: "s", name: "outside", x: 800, y: 50 }
      ],
      connections: [{ id: "k", spaceId: "s", startItemId: "a", endItemId: "b", name: "then", color: "#f00" }],
      connectionTypes: [],
      tags: []
    }).collections
  const byName = (c: ReturnType<typeof made>, name: string) => {
    const attribute = c.attributes.find((a) => a["name"] === "Name")!
    return c.items.find((i) => (i["values"] as ReadonlyArray<Entity>).some((v) => v["attribute_id"] === attribute["id"] && v["data"] === name))!
  }
  const attributeId = (c: ReturnType<typeof made>, name: string) => c.attributes.find((a) => a["name"] === name)!["id"]
  const ideas = (c: ReturnType<typeof made>) => c.folders.find((f) => f["name"] === "Ideas")!

  it("keeps the saved layout, and lays out items added in Infinity below their box's cards, growing the box", () => {
    const c = made()
    const added = item("new", String(ideas(c)["id"]), 1, { [String(attributeId(c, "Name"))]: "added in Infinity" }, { board_id: c.boards[0]!["id"] })
    const out = infinityToKinopio({ ...c, items: [...c.items, added] })
    expect(cardNamed(out, "[] water")).toMatchObject({ x: 20, y: 60, width: 200, height: 40, color: "#fff" })
    expect(cardNamed(out, "outside")).toMatchObject({ x: 800, y: 50 })
    const fresh = cardNamed(out, "added in Infinity")
    expect(fresh["y"]).toBe(300 + 40 + GAP)
    expect(boxOf(out, fresh)).toBe("Ideas")
    const box = (out.collections.spaces[0]!["boxes"] as ReadonlyArray<Entity>)[0]!
    expect(box).toMatchObject({ name: "Ideas", x: 0, y: 0, resizeWidth: 600, color: "#e0f7fa", fill: "filled" })
    expect(box["resizeHeight"]).toBeGreaterThan(400)
    // Its own label, as the current service shows it, and the type the docs require, of the same name and colour.
    const [type] = out.collections.connectionTypes
    expect(out.collections.connectionTypes).toEqual([{ id: expect.any(String), spaceId: out.collections.spaces[0]!["id"], name: "then", color: "#f00" }])
    expect(out.collections.connections).toEqual([expect.objectContaining({
      name: "then", color: "#f00", connectionTypeId: type!["id"],
      startCardId: cardNamed(out, "[] water")["id"], endCardId: cardNamed(out, "seeds")["id"],
      startItemId: cardNamed(out, "[] water")["id"], endItemId: cardNamed(out, "seeds")["id"]
    })])
  })

  it("follows what people changed in Infinity: a ticked checkbox, an item moved to another folder", () => {
    const c = made()
    const checked = attributeId(c, "Checked")
    const water = byName(c, "[] water")
    const outsideFolder = c.folders.find((f) => f["name"] === "Outside boxes")!["id"]
    const items = c.items.map((i) =>
      i === water
        ? { ...i, values: (i["values"] as ReadonlyArray<Entity>).map((v) => (v["attribute_id"] === checked ? { ...v, data: true } : v)) }
        : i === byName(c, "seeds")
        ? { ...i, folder_id: outsideFolder }
        : i
    )
    const out = infinityToKinopio({ ...c, items })
    expect(cardNamed(out, "[x] water")).toBeDefined()
    const seeds = cardNamed(out, "seeds")
    expect(boxOf(out, seeds)).toBeUndefined()
    expect(seeds["y"]).toBeGreaterThan(400)
  })

  it("draws a box around its cards when the folder lost its saved geometry, and names connections after their attribute when the attribute lost its mark", () => {
    const c = made()
    const folders = c.folders.map((f) => (f === ideas(c) ? { ...f, settings: [] } : f))
    const attributes = c.attributes.map((a) => (a["type"] === "reference" ? { ...a, settings: [] } : a))
    const out = infinityToKinopio({ ...c, folders, attributes })
    expect(boxOf(out, cardNamed(out, "[] water"))).toBe("Ideas")
    expect(boxOf(out, cardNamed(out, "seeds"))).toBe("Ideas")
    expect(boxOf(out, cardNamed(out, "outside"))).toBeUndefined()
    expect(out.collections.connectionTypes.map((t) => t["name"])).toEqual(["then"])
  })

  it("gives a box the id it maps to, whatever id, space or owner its saved layout carries", () => {
    const c = made()
    const folders = c.folders.map((f) => {
      if (f !== ideas(c)) return f
      const settings = f["settings"] as Entity
      return { ...f, settings: { ...settings, kinopioBox: { ...(settings["kinopioBox"] as Entity), id: "hostile", spaceId: "elsewhere", userId: "someone" } } }
    })
    const plain = (infinityToKinopio(c).collections.spaces[0]!["boxes"] as ReadonlyArray<Entity>)[0]!
    const out = infinityToKinopio({ ...c, folders })
    const box = (out.collections.spaces[0]!["boxes"] as ReadonlyArray<Entity>)[0]!
    expect(box).toEqual(plain)
    expect(box["id"]).not.toBe("hostile")
    expect(box).not.toHaveProperty("spaceId")
    expect(boxOf(out, cardNamed(out, "[] water"))).toBe("Ideas")
    for (const field of ["id", "spaceId", "userId"]) {
      expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "folders", id: ideas(c)["id"], field: `settings.kinopioBox.${field}` }))
    }
  })

  it("puts comments made in Infinity beside the card", () => {
    const c = made()
    const water = byName(c, "[] water")
    const out = infinityToKinopio({
      ...c,
      comments: [{ id: "m", object: "comment", parent_id: null, text: "<p>Hi</p>", created_at: null, created_by: 999, item_id: water["id"], board_id: water["board_id"] }]
    })
    expect(cardNamed(out, "((Hi))")).toMatchObject({ x: 20 + 200 + GAP, y: 60 })
  })
})

/**
 * What a service written from the published docs (seeds/kinopio-api.md) would refuse: a
 * connection without `connectionTypeId` (POST /connection: "Object must contain `spaceId`,
 * `connectionTypeId`") or a type of another space, ends not named `startCardId`/`endCardId`,
 * and card geometry that is not Integer. Boxes are not documented; their geometry is rounded
 * with the cards' so that a card stays in its box.
 */
/** What the documented API would refuse; `laidOut`: the geometry is all the mapping's own (no layout saved from Kinopio). */
const documentedProblems = (c: ReturnType<typeof infinityToKinopio>["collections"], laidOut = true): Array<string> => {
  const problems: Array<string> = []
  const types = new Map(c.connectionTypes.map((t) => [t["id"], t]))
  for (const conn of c.connections) {
    const id = String(conn["id"])
    if (typeof conn["connectionTypeId"] !== "string") problems.push(`connection ${id}: no connectionTypeId`)
    else if (types.get(conn["connectionTypeId"])?.["spaceId"] !== conn["spaceId"]) problems.push(`connection ${id}: its type is not of its space`)
    if (typeof conn["startCardId"] !== "string" || typeof conn["endCardId"] !== "string") problems.push(`connection ${id}: no startCardId/endCardId`)
    // The current generation's pair, where sent, names the same ends.
    for (const [documented, current] of [["startCardId", "startItemId"], ["endCardId", "endItemId"]] as const) {
      if (current in conn && conn[current] !== conn[documented]) problems.push(`connection ${id}: ${current} is not ${documented}`)
    }
  }
  if (!laidOut) return problems
  for (const card of c.cards) {
    for (const f of ["x", "y", "z", "width", "height"]) {
      if (card[f] !== undefined && card[f] !== null && !Number.isInteger(card[f])) problems.push(`card ${String(card["id"])}: ${f} ${String(card[f])} is not an integer`)
      if (Object.is(card[f], -0)) problems.push(`card ${String(card["id"])}: ${f} is -0`)
    }
  }
  for (const space of c.spaces) {
    for (const box of space["boxes"] as ReadonlyArray<Entity>) {
      for (const f of ["x", "y", "resizeWidth", "resizeHeight"]) {
        if (!Number.isInteger(box[f])) problems.push(`box ${String(box["id"])}: ${f} ${String(box[f])} is not an integer`)
      }
    }
  }
  return problems
}

describe("infinityToKinopio sends what the documented API takes", () => {
  it("gives every connection a type of its space and its ends as startCardId/endCardId (and startItemId/endItemId): references, sub-items", () => {
    const out = infinityToKinopio(archive({
      folders: [folder("f1", "Places", 1)],
      items: [item("a", "f1", 1, { title: "A" }), item("b", "f1", 2, { title: "B" }, { parent_id: "a" })],
      references: [{ id: "r1", object: "reference", attribute_id: "related", from_item_id: "a", to_item_id: "b", ...scope }]
    }))
    const id = (name: string) => cardNamed(out, name)["id"]
    const [related, subItem] = out.collections.connectionTypes
    expect(out.collections.connections.map((c) => [c["startCardId"], c["endCardId"], c["startItemId"], c["endItemId"], c["connectionTypeId"]])).toEqual([
      [id("A"), id("B"), id("A"), id("B"), related!["id"]],
      [id("A"), id("B"), id("A"), id("B"), subItem!["id"]]
    ])
    expect(documentedProblems(out.collections)).toEqual([])
  })

  it("gives connections of the current generation (a name and colour, no type) one type per distinct name and colour in the space", () => {
    const made = kinopioToInfinity({
      spaces: [{ id: "s", name: "Garden", boxes: [] }, { id: "t", name: "Other", boxes: [] }],
      cards: [
        { id: "a", spaceId: "s", name: "a", x: 0, y: 0 }, { id: "b", spaceId: "s", name: "b", x: 300, y: 0 },
        { id: "c", spaceId: "t", name: "c", x: 0, y: 0 }, { id: "d", spaceId: "t", name: "d", x: 300, y: 0 }
      ],
      connections: [
        { id: "k1", spaceId: "s", startItemId: "a", endItemId: "b", name: "then", color: "#f00" },
        { id: "k2", spaceId: "s", startItemId: "b", endItemId: "a", name: "then", color: "#f00" },
        { id: "k3", spaceId: "s", startItemId: "a", endItemId: "a", name: "then", color: "#0f0" },
        { id: "k4", spaceId: "s", startItemId: "b", endItemId: "b", name: null, color: null },
        { id: "k5", spaceId: "t", startItemId: "c", endItemId: "d", name: "then", color: "#f00" }
      ],
      connectionTypes: [],
      tags: []
    }).collections
    const out = infinityToKinopio(made)
    expect(documentedProblems(out.collections)).toEqual([])
    const typeOf = (cardName: string, endName: string) => {
      const conn = out.collections.connections.find((c) => c["startCardId"] === cardNamed(out, cardName)["id"] && c["endCardId"] === cardNamed(out, endName)["id"])!
      const type = out.collections.connectionTypes.find((t) => t["id"] === conn["connectionTypeId"])!
      // The connection keeps its own label too: the current service shows that.
      expect([conn["name"], conn["color"]]).toEqual([type["name"], type["color"]])
      return type
    }
    expect(typeOf("a", "b")).toBe(typeOf("b", "a"))
    expect(new Set([typeOf("a", "b"), typeOf("a", "a"), typeOf("b", "b"), typeOf("c", "d")]).size).toBe(4)
    expect(out.collections.connectionTypes.map((t) => [t["name"], t["color"]]).sort()).toEqual([["then", "#0f0"], ["then", "#f00"], ["then", "#f00"], [null, null]].sort())
    expect(typeOf("c", "d")["spaceId"]).not.toBe(typeOf("a", "b")["spaceId"])
  })

  it("gives back a fractional saved layout exactly as Kinopio gave it, and places on whole pixels only the cards it lays out", () => {
    const made = kinopioToInfinity({
      spaces: [{ id: "s", name: "Garden", boxes: [{ id: "bx", name: "Ideas", x: 10.5, y: 20.25, resizeWidth: 300.5, resizeHeight: 200.75 }] }],
      cards: [
        // Flush with the box's right edge (311).
        { id: "a", spaceId: "s", name: "flush", x: 110.7, y: 180.25, width: 200.3, height: 40.75, z: 2.5 },
        { id: "b", spaceId: "s", name: "inside", x: 12.4, y: 60.6, width: 80.5, height: 40.5 },
        { id: "c", spaceId: "s", name: "nowhere", x: null, y: null, width: 100.4, height: 30.6 },
        { id: "d", spaceId: "s", name: "outside", x: -0.4, y: 500.5 }
      ],
      connections: [], connectionTypes: [], tags: []
    }).collections
    const board = made.boards[0]!
    const ideas = made.folders.find((f) => f["name"] === "Ideas")!
    const added = item("new", String(ideas["id"]), 1, { [String(made.attributes.find((a) => a["name"] === "Name")!["id"])]: "added" }, { board_id: board["id"] })
    const comment = { id: "m", object: "comment", parent_id: null, text: "<p>Hi</p>", created_at: null, created_by: 9, item_id: made.items[0]!["id"], board_id: board["id"] }
    const out = infinityToKinopio({ ...made, items: [...made.items, added], comments: [comment] })
    expect(documentedProblems(out.collections, false)).toEqual([])
    const box = (out.collections.spaces[0]!["boxes"] as ReadonlyArray<Entity>)[0]!
    // The box grew below for the item added in Infinity; its saved edges are as they were.
    expect(box).toMatchObject({ x: 10.5, y: 20.25, resizeWidth: 300.5 })
    expect(cardNamed(out, "flush")).toMatchObject({ x: 110.7, y: 180.25, width: 200.3, height: 40.75, z: 2.5 })
    for (const name of ["flush", "inside", "added"]) expect(boxOf(out, cardNamed(out, name)), name).toBe("Ideas")
    expect(cardNamed(out, "inside")).toMatchObject({ x: 12.4, y: 60.6, width: 80.5, height: 40.5 })
    expect(cardNamed(out, "outside")).toMatchObject({ x: -0.4, y: 500.5 })
    expect(boxOf(out, cardNamed(out, "outside"))).toBeUndefined()
    // Placed by the layout: on whole pixels, with the size it had.
    const nowhere = cardNamed(out, "nowhere")
    expect(nowhere).toMatchObject({ width: 100.4, height: 30.6 })
    expect(Number.isInteger(nowhere["x"]) && Number.isInteger(nowhere["y"])).toBe(true)
    expect(Number.isInteger(cardNamed(out, "added")["x"]) && Number.isInteger(cardNamed(out, "added")["y"])).toBe(true)
  })

  it("holds for generated boards, and for generated Kinopio spaces on their way back", () => {
    fc.assert(fc.property(infinityArchive, (source) => {
      expect(documentedProblems(infinityToKinopio(source).collections)).toEqual([])
    }), { numRuns: 100 })
    fc.assert(fc.property(kinopioArchive, (source) => {
      expect(documentedProblems(infinityToKinopio(kinopioToInfinity(source).collections).collections, false)).toEqual([])
    }), { numRuns: 100 })
  })
})
