/** Kinopio → Infinity, rule by rule, on hand-made spaces. */
import { describe, expect, it } from "vitest"
import type { Entity } from "../../src/connector.ts"
import { kinopioToInfinity, type KinopioArchive } from "../../src/mapping/kinopio-to-infinity.ts"
import { infinityProblems } from "./support.ts"

const space = (id: string, fields: Record<string, unknown> = {}): Entity => ({ id, name: `Space ${id}`, privacy: "private", boxes: [], ...fields })
const card = (id: string, spaceId: string, fields: Record<string, unknown> = {}): Entity => ({ id, spaceId, name: id, x: 0, y: 0, width: 100, height: 50, ...fields })
const archive = (parts: Partial<KinopioArchive>): KinopioArchive => ({ spaces: [], cards: [], connections: [], connectionTypes: [], tags: [], ...parts })

/** One board's view: attributes by name, items by their Name value, each value by attribute name. */
const board = (out: ReturnType<typeof kinopioToInfinity>, index = 0) => {
  const b = out.collections.boards[index]!
  const attributes = out.collections.attributes.filter((a) => a["board_id"] === b["id"])
  const nameOf = new Map(attributes.map((a) => [a["id"], String(a["name"])]))
  const folders = out.collections.folders.filter((f) => f["board_id"] === b["id"])
  const items = out.collections.items.filter((i) => i["board_id"] === b["id"]).map((i) => {
    const values = Object.fromEntries((i["values"] as ReadonlyArray<Entity>).map((v) => [nameOf.get(v["attribute_id"]), v["data"]]))
    return { item: i, values, folder: folders.find((f) => f["id"] === i["folder_id"])?.["name"] }
  })
  const byName = (name: string) => items.find((i) => i.values["Name"] === name)!
  return { board: b, attributes, folders, items, byName, attribute: (name: string) => attributes.find((a) => a["name"] === name) }
}

describe("kinopioToInfinity", () => {
  it("makes a board per live space; removed spaces, removed cards and what lives in removed spaces are listed", () => {
    const out = kinopioToInfinity(archive({
      spaces: [space("s1"), space("s2")],
      removedSpaces: [space("gone", { isRemoved: true })],
      cards: [card("a", "s1"), card("b", "gone"), card("c", "s1", { isRemoved: true })],
      removedCards: [card("d", "s1", { isRemoved: true })]
    }))
    expect(out.collections.boards.map((b) => b["name"])).toEqual(["Space s1", "Space s2"])
    expect(out.collections.items).toHaveLength(1)
    for (const [collection, id] of [["removedSpaces", "gone"], ["cards", "b"], ["cards", "c"], ["removedCards", "d"]]) {
      expect(out.notCarried).toContainEqual(expect.objectContaining({ collection, id, field: "*" }))
    }
    expect(out.collections.workspaces).toHaveLength(1)
    expect(out.collections.profile).toHaveLength(1)
  })

  it("makes a folder per box and puts each card in the innermost box wholly around it; the others in \"Outside boxes\"", () => {
    const out = kinopioToInfinity(archive({
      spaces: [space("s", {
        boxes: [
          { id: "outer", name: "Outer", x: 0, y: 0, resizeWidth: 500, resizeHeight: 500, color: "#e0f7fa", fill: "filled" },
          { id: "inner", name: "Inner", x: 100, y: 100, resizeWidth: 200, resizeHeight: 200, color: null, fill: "empty" },
          { id: "beside", name: "Overlapping", x: 400, y: 400, resizeWidth: 300.5, resizeHeight: 300.25 }
        ]
      })],
      cards: [
        card("in inner", "s", { x: 150, y: 150 }),
        card("in outer", "s", { x: 10, y: 10 }),
        card("on the edge of inner", "s", { x: 250, y: 250 }), // 250 + 100 > 300: outer only
        card("in the overlap", "s", { x: 420, y: 420, width: 50, height: 50 }), // in both: the overlapping box is the smaller
        card("in overlapping only", "s", { x: 600.5, y: 600, width: 10, height: 10 }),
        card("outside", "s", { x: 1000, y: 1000 }),
        card("no position", "s", { x: null, y: null })
      ]
    }))
    const b = board(out)
    expect(b.folders.map((f) => f["name"])).toEqual(["Outside boxes", "Outer", "Inner", "Overlapping"])
    expect(Object.fromEntries(b.items.map((i) => [i.values["Name"], i.folder]))).toEqual({
      "in inner": "Inner", "in outer": "Outer", "on the edge of inner": "Outer", "in the overlap": "Overlapping",
      "in overlapping only": "Overlapping", "outside": "Outside boxes", "no position": "Outside boxes"
    })
    // Name and colour on the folder, the rest of the box in its settings.
    const inner = b.folders.find((f) => f["name"] === "Inner")!
    expect(inner["color"]).toBeNull()
    expect(inner["settings"]).toEqual({ kinopioBox: { x: 100, y: 100, resizeWidth: 200, resizeHeight: 200, fill: "empty" } })
    expect(b.folders[0]!["settings"]).toEqual([])
    // Every folder shows every attribute, and items go top to bottom, left to right.
    for (const f of b.folders) expect(f["attribute_ids"]).toEqual(b.attributes.map((a) => a["id"]))
    expect(b.items.map((i) => i.values["Name"])).toEqual(["in outer", "in inner", "on the edge of inner", "in the overlap", "in overlapping only", "outside", "no position"])
  })

  it("keeps the card's text verbatim as Name, its layout and colours in \"Kinopio …\" attributes, and its checkbox", () => {
    const text = "[x] **done**: water the [[tomatoes]]\n> <b>not html</b> ((comment))"
    const out = kinopioToInfinity(archive({
      spaces: [space("s")],
      cards: [
        card("c", "s", { name: text, x: 10.5, y: -20.25, z: 3, width: 235, height: 80.5, resizeWidth: 300, color: "rgb(1, 2, 3)", backgroundColor: "#fff" }),
        card("todo", "s", { name: "[] later", width: null, height: null, color: null }),
        card("plain", "s", { name: "", x: "12" })
      ]
    }))
    const b = board(out)
    expect(b.byName(text).values).toEqual({
      Name: text, Checked: true, "Kinopio x": 10.5, "Kinopio y": -20.25, "Kinopio z": 3, "Kinopio width": 235, "Kinopio height": 80.5,
      "Kinopio resize width": 300, "Kinopio color": "rgb(1, 2, 3)", "Kinopio background color": "#fff"
    })
    expect(b.byName("[] later").values).toEqual({ Name: "[] later", Checked: false, "Kinopio x": 0, "Kinopio y": 0 })
    const plain = b.items.find((i) => i.values["Name"] === undefined)!
    expect(plain.values).toEqual({ "Kinopio y": 0, "Kinopio width": 100, "Kinopio height": 50 })
    expect(out.notCarried).toContainEqual({ collection: "cards", id: "plain", field: "x", reason: "not a number" })
    expect(b.attributes.map((a) => [a["name"], a["type"]])).toEqual([
      ["Name", "text"], ["Checked", "checkbox"], ["Kinopio x", "number"], ["Kinopio y", "number"], ["Kinopio z", "number"],
      ["Kinopio width", "number"], ["Kinopio height", "number"], ["Kinopio resize width", "number"], ["Kinopio color", "text"],
      ["Kinopio background color", "text"]
    ])
  })

  it("makes tags the labels of \"Tags\", one label per distinct name and colour", () => {
    const out = kinopioToInfinity(archive({
      spaces: [space("s")],
      cards: [card("one", "s", { name: "[[seeds]] [[compost]]" }), card("two", "s", { name: "[[seeds]]" })],
      tags: [
        { id: "t1", name: "seeds", color: "#a5d6a7", cardId: "one", spaceId: "s" },
        { id: "t2", name: "compost", color: "rgb(1, 2, 3)", cardId: "one", spaceId: "s" },
        { id: "t3", name: "seeds", color: "#a5d6a7", cardId: "two", spaceId: "s" },
        { id: "t4", name: "seeds", color: "#000000", cardId: "two", spaceId: "s" },
        { id: "t5", name: "seeds", color: "#a5d6a7", cardId: "two", spaceId: "s" },
        { id: "t6", name: "seeds", color: "#a5d6a7", cardId: "removed", spaceId: "s" }
      ],
      removedCards: [card("removed", "s")]
    }))
    const b = board(out)
    const tags = b.attribute("Tags")!
    const labels = (tags["settings"] as Entity)["labels"] as ReadonlyArray<Entity>
    expect(tags["type"]).toBe("label")
    expect(labels.map((l) => [l["name"], l["color"]])).toEqual([["seeds", "#a5d6a7"], ["compost", "rgb(1, 2, 3)"], ["seeds", "#000000"]])
    const name = (id: unknown) => labels.find((l) => l["id"] === id)?.["color"]
    expect((b.byName("[[seeds]] [[compost]]").values["Tags"] as ReadonlyArray<string>).map(name)).toEqual(["#a5d6a7", "rgb(1, 2, 3)"])
    expect((b.byName("[[seeds]]").values["Tags"] as ReadonlyArray<string>).map(name)).toEqual(["#a5d6a7", "#000000"])
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "tags", id: "t5", field: "*" }))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "tags", id: "t6", field: "*" }))
  })

  it("makes a reference attribute per connection type, and per name and colour of typeless connections; a connection a reference", () => {
    const out = kinopioToInfinity(archive({
      spaces: [space("s", { boxes: [{ id: "box", name: "B", x: 0, y: 0, resizeWidth: 1, resizeHeight: 1 }] })],
      cards: [card("a", "s"), card("b", "s", { x: 5 })],
      connectionTypes: [
        { id: "leads", spaceId: "s", name: "Leads to", color: "#c9a6ff" },
        { id: "blank", spaceId: "s", name: "", color: null },
        { id: "unused", spaceId: "s", name: "Unused", color: "#000" }
      ],
      connections: [
        { id: "legacy", spaceId: "s", startCardId: "a", endCardId: "b", connectionTypeId: "leads", path: "m1,1 q1,1 1,1" },
        { id: "self", spaceId: "s", startCardId: "a", endCardId: "a", connectionTypeId: "blank" },
        { id: "current", spaceId: "s", startItemId: "b", endItemId: "a", name: "relates 🔗", color: "#ff5252" },
        { id: "current again", spaceId: "s", startItemId: "a", endItemId: "b", name: "relates 🔗", color: "#ff5252" },
        { id: "unlabelled", spaceId: "s", startItemId: "a", endItemId: "b", name: null, color: null },
        { id: "to box", spaceId: "s", startItemId: "a", endItemId: "box" },
        { id: "to nothing", spaceId: "s", startItemId: "a", endItemId: "zz" }
      ]
    }))
    const b = board(out)
    const refs = b.attributes.filter((a) => a["type"] === "reference")
    expect(refs.map((a) => [a["name"], (a["settings"] as Entity)["kinopioConnection"]])).toEqual([
      ["Leads to", { kind: "type", name: "Leads to", color: "#c9a6ff" }],
      ["Connection", { kind: "type", name: "", color: null }],
      ["Unused", { kind: "type", name: "Unused", color: "#000" }],
      ["relates 🔗", { kind: "connection", name: "relates 🔗", color: "#ff5252" }],
      ["Connection", { kind: "connection", name: null, color: null }]
    ])
    const item = (name: string) => b.byName(name).item["id"]
    const attr = (i: number) => refs[i]!["id"]
    expect(out.collections.references.map((r) => [r["attribute_id"], r["from_item_id"], r["to_item_id"]])).toEqual([
      [attr(0), item("a"), item("b")], [attr(1), item("a"), item("a")], [attr(3), item("b"), item("a")], [attr(3), item("a"), item("b")],
      [attr(4), item("a"), item("b")]
    ])
    expect(out.notCarried).toContainEqual({ collection: "connections", id: "to box", field: "*", reason: "it ends at box box: an Infinity reference joins two items" })
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "connections", id: "to nothing", field: "*" }))
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "connections", id: "legacy", field: "path" }))
  })

  it("gives each reference attribute the folder most of its connections end in (settings.folderId, as infinity.md shows it)", () => {
    const out = kinopioToInfinity(archive({
      spaces: [space("s", {
        boxes: [
          { id: "left", name: "Left", x: 0, y: 0, resizeWidth: 300, resizeHeight: 300 },
          { id: "right", name: "Right", x: 1000, y: 0, resizeWidth: 300, resizeHeight: 300 }
        ]
      })],
      cards: [card("a", "s", { x: 10, y: 10 }), card("b", "s", { x: 1010, y: 10 }), card("c", "s", { x: 1010, y: 100 }), card("d", "s", { x: 5000, y: 5000 })],
      connectionTypes: [
        { id: "mostly right", spaceId: "s", name: "Right", color: "#f00" },
        { id: "tie", spaceId: "s", name: "Tie", color: "#0f0" },
        { id: "unused", spaceId: "s", name: "Unused", color: "#00f" }
      ],
      connections: [
        { id: "1", spaceId: "s", startCardId: "a", endCardId: "b", connectionTypeId: "mostly right" },
        { id: "2", spaceId: "s", startCardId: "a", endCardId: "c", connectionTypeId: "mostly right" },
        { id: "3", spaceId: "s", startCardId: "b", endCardId: "a", connectionTypeId: "mostly right" },
        { id: "4", spaceId: "s", startCardId: "a", endCardId: "b", connectionTypeId: "tie" },
        { id: "5", spaceId: "s", startCardId: "b", endCardId: "a", connectionTypeId: "tie" }
      ]
    }))
    const b = board(out)
    const folder = (name: string) => b.folders.find((f) => f["name"] === name)!["id"]
    const settings = (name: string) => b.attribute(name)!["settings"] as Entity
    expect(settings("Right")).toEqual({ folderId: folder("Right"), kinopioConnection: { kind: "type", name: "Right", color: "#f00" } })
    // A tie: the folder first on the board ("Outside boxes", then the boxes as listed).
    expect(b.folders.map((f) => f["name"])).toEqual(["Outside boxes", "Left", "Right"])
    expect(settings("Tie")["folderId"]).toBe(folder("Left"))
    expect(settings("Unused")["folderId"]).toBe(folder("Outside boxes"))
    // Every folderId names a folder of the board.
    for (const a of b.attributes.filter((x) => x["type"] === "reference")) expect(b.folders.map((f) => f["id"])).toContain((a["settings"] as Entity)["folderId"])
  })

  it("names a blank space, box or connection type as Infinity requires, and lists the space's name", () => {
    const out = kinopioToInfinity(archive({
      spaces: [space("s", { name: "  ", boxes: [{ id: "b", name: "", x: 0, y: 0, resizeWidth: 10, resizeHeight: 10 }] })]
    }))
    expect(out.collections.boards[0]!["name"]).toBe("Untitled space")
    expect(out.notCarried).toContainEqual(expect.objectContaining({ collection: "spaces", id: "s", field: "name" }))
    const folder = out.collections.folders[0]!
    expect(folder["name"]).toBe("Untitled box")
    // The box's own name stays in the settings: the way back gives it again.
    expect((folder["settings"] as Entity)["kinopioBox"]).toMatchObject({ name: "" })
  })

  it("lists every field a board cannot hold: the service's own once per collection, the others per entity", () => {
    const out = kinopioToInfinity(archive({
      user: [{ id: "u", name: "zoë", apiKey: "secret" }],
      spaces: [space("s", { createdAt: "x", lists: [{ id: "l" }], lines: [], drawingStrokes: [[{ x: 1 }]], background: "b.png", isTemplate: false })],
      cards: [
        card("a", "s", { createdAt: "x", userId: "u", tilt: 2, urlPreviewUrl: "https://x", listId: "l", isLocked: false, frameId: null }),
        card("b", "s", { createdAt: "y", tilt: 0 })
      ]
    }))
    const rows = out.notCarried
    expect(rows).toContainEqual({ collection: "user", id: "*", field: "*", reason: expect.any(String) })
    expect(rows.filter((r) => r.field === "createdAt")).toEqual([
      expect.objectContaining({ collection: "spaces", id: "*" }), expect.objectContaining({ collection: "cards", id: "*" })
    ])
    for (const field of ["lists", "drawingStrokes", "background"]) expect(rows).toContainEqual(expect.objectContaining({ collection: "spaces", id: "s", field }))
    for (const field of ["tilt", "urlPreviewUrl", "listId"]) expect(rows).toContainEqual(expect.objectContaining({ collection: "cards", id: "a", field }))
    // A field holding nothing loses nothing.
    for (const field of ["lines", "isTemplate", "isLocked", "frameId"]) expect(rows.some((r) => r.field === field)).toBe(false)
    expect(rows.some((r) => r.id === "b")).toBe(false)
    expect(JSON.stringify(out.collections)).not.toContain("secret")
  })

  it("shapes entities as Infinity's restore reads them: context keys, and only fields its creates send", () => {
    // Mirrors SERVER_SET, SENT and VALUE_SENT of src/infinity/restore.ts: any other field would be listed there as not restored.
    const frame = ["id", "object", "deleted", "created_at", "created_by", "updated_at", "updated_by", "board_id", "workspace_id", "item_id"]
    const sent: Record<string, ReadonlyArray<string>> = {
      boards: ["name", "description", "color", "user_ids", "sort_order", "og_image"],
      folders: ["name", "color", "parent_id", "attribute_ids", "sort_order", "settings"],
      attributes: ["name", "type", "default_data", "settings"],
      items: ["folder_id", "parent_id", "sort_order", "values"],
      references: ["attribute_id", "from_item_id", "to_item_id"]
    }
    const out = kinopioToInfinity(archive({
      spaces: [space("s", { boxes: [{ id: "b", name: "B", x: 0, y: 0, resizeWidth: 500, resizeHeight: 500 }] })],
      cards: [card("a", "s", { name: "[x] [[t]]", color: "#fff" }), card("b", "s", { x: 900 })],
      tags: [{ id: "t", name: "t", color: "#000", cardId: "a", spaceId: "s" }],
      connections: [{ id: "c", spaceId: "s", startItemId: "a", endItemId: "b", name: "n", color: null }]
    }))
    for (const [collection, fields] of Object.entries(sent)) {
      const list = out.collections[collection as keyof typeof out.collections]
      expect(list.length).toBeGreaterThan(0)
      for (const e of list) for (const field of Object.keys(e)) expect([...frame, ...fields]).toContain(field)
    }
    for (const item of out.collections.items) {
      for (const v of item["values"] as ReadonlyArray<Entity>) expect(Object.keys(v).sort()).toEqual(["attribute_id", "data", "deleted", "id", "item_id", "object"])
    }
    for (const e of [...out.collections.folders, ...out.collections.attributes, ...out.collections.items, ...out.collections.references]) {
      expect(e["board_id"]).toBe(out.collections.boards[0]!["id"])
    }
    expect(infinityProblems(out.collections)).toEqual([])
  })

  it("derives ids from the source ids: the same space twice gives the same ids, two spaces never share one", () => {
    const input = archive({ spaces: [space("s1"), space("s2")], cards: [card("a", "s1"), card("a2", "s2")] })
    const first = kinopioToInfinity(input)
    expect(kinopioToInfinity(structuredClone(input))).toEqual(first)
    const ids = Object.values(first.collections).flatMap((list) => list.map((e) => String(e["id"])))
    expect(new Set(ids.filter((id) => id !== "1")).size).toBe(ids.filter((id) => id !== "1").length)
    expect(first.collections.items.map((i) => i["id"])).toEqual(expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)]))
    expect(first.collections.boards[0]!["id"]).toMatch(/^[A-Za-z0-9]{11}$/)
  })
})
