import { readFileSync } from "node:fs"
import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { spaceToCanvas } from "../../src/canvas/export.ts"
import { canvasEntityId, canvasToSpace, contentSeed, type ImportedSpace, spaceSeed } from "../../src/canvas/import.ts"
import { demoIds } from "../../src/kinopio/sandbox-seed.ts"
import { seedSpaceInputs } from "./seed-spaces.ts"
import { specProblems } from "./spec.ts"

type Entity = Readonly<Record<string, unknown>>

const FILE = "foreign.canvas"
const text = readFileSync(new URL("./fixtures/foreign.canvas", import.meta.url), "utf8")
const imported = (value: unknown = text, name = FILE, seed?: string): ImportedSpace => Either.getOrThrow(canvasToSpace(value, name, seed))
const error = (value: unknown, name = "plan.canvas") =>
  Either.match(canvasToSpace(value, name), { onLeft: (e) => e.message, onRight: () => "no error" })
const id = (kind: string, canvasId: string) => canvasEntityId(contentSeed(text), kind, canvasId)

describe("canvasToSpace: a canvas another tool wrote", () => {
  const space = imported()
  const spaceId = id("space", "")
  const card = (canvasId: string) => space.cards.find((c) => c["id"] === id("card", canvasId))
  const connection = (canvasId: string) => space.connections.find((c) => c["id"] === id("connection", canvasId))

  it("makes one private space named after the file, its groups boxes", () => {
    expect(space.space).toEqual({
      id: spaceId,
      name: "foreign",
      privacy: "private",
      boxes: [
        {
          id: id("box", "g-outer"), spaceId, name: "Outer group", x: -100, y: -100, z: 0, resizeWidth: 1000, resizeHeight: 800,
          color: "#08b94e" // preset "4"
        },
        {
          id: id("box", "g-inner"), spaceId, name: "Inner ✨", x: 0, y: 0, z: 1, resizeWidth: 500, resizeHeight: 300, color: "#FFAA00",
          background: "https://example.com/bg.png", backgroundIsStretch: false
        },
        { id: id("box", "g-bare"), spaceId, name: "", x: 1200, y: 0, z: 2, resizeWidth: 200, resizeHeight: 100 }
      ],
      lists: [],
      lines: [],
      drawingStrokes: []
    })
  })

  it("makes a card of every text, file and link node, geometry and colours kept", () => {
    expect(space.cards.map((c) => c["name"])).toEqual([
      "# Plan\n\nSome **markdown**, <b>html</b> & a [[wiki link]]",
      "",
      "colour by name is not a canvas colour",
      "notes/Plan.md#Goals",
      "attachments/photo.png",
      "https://obsidian.md/canvas"
    ])
    expect(card("t1")).toEqual({ id: id("card", "t1"), spaceId, name: expect.any(String), x: 20, y: 20, z: 3, width: 250, height: 60, resizeWidth: 250 })
    expect(card("t2")).toMatchObject({ backgroundColor: "#e93147" }) // preset "1"
    expect(card("t3")).toMatchObject({ x: 40.5 })
    expect(card("t3")).not.toHaveProperty("backgroundColor")
    expect(card("l1")).toMatchObject({ backgroundColor: "#00ff00", width: 400, height: 300 })
    expect(space.tags).toEqual([])
    expect(space.removedCards).toEqual([])
  })

  it("makes a connection of every edge between imported nodes, one type per label and colour", () => {
    expect(space.connections.map((c) => c["id"])).toEqual(["e1", "e2", "e3", "e4", "e7"].map((e) => id("connection", e)))
    expect(connection("e1")).toEqual({
      id: id("connection", "e1"),
      spaceId,
      startItemId: id("card", "t1"),
      endItemId: id("card", "t2"),
      connectionTypeId: expect.any(String),
      directionIsVisible: true, // toEnd defaults to an arrow
      labelIsVisible: true,
      name: "leads to",
      color: "#e93147",
      point1Cardinal: "right",
      point2Cardinal: "left"
    })
    expect(connection("e2")).toMatchObject({ directionIsVisible: false, name: "depends on", color: "#00FF00", point1Cardinal: "bottom", point2Cardinal: "top" })
    expect(connection("e3")).toMatchObject({ directionIsVisible: true, labelIsVisible: false })
    expect(connection("e3")).not.toHaveProperty("name")
    expect(connection("e4")).toMatchObject({ endItemId: id("box", "g-inner") })
    expect(connection("e7")).toMatchObject({ startItemId: id("card", "t3"), endItemId: id("card", "t3") })
    const types = new Map(space.connectionTypes.map((t) => [t["id"], t]))
    expect(space.connectionTypes.map((t) => [t["name"], t["color"]])).toEqual([
      ["leads to", "#e93147"],
      ["depends on", "#00FF00"],
      ["Connection", "#9e9e9e"]
    ])
    expect(types.get(connection("e1")?.["connectionTypeId"])).toBe(types.get(connection("e4")?.["connectionTypeId"]))
    expect(types.get(connection("e3")?.["connectionTypeId"])).toBe(types.get(connection("e7")?.["connectionTypeId"]))
    for (const t of space.connectionTypes) expect(t["spaceId"]).toBe(spaceId)
  })

  it("lists everything it did not import, and why", () => {
    expect(space.notImported.map((r) => [r.collection, r.id, r.field])).toEqual([
      ["nodes", "t3", "color"],
      ["nodes", "u1", "type"],
      ["nodes", "g-outer", "background"],
      ["nodes", "g-inner", "backgroundStyle"],
      ["nodes", "f1", "file"],
      ["nodes", "f2", "file"],
      ["edges", "e2", "fromEnd"],
      ["edges", "e5", "toNode"],
      ["edges", "e6", "toNode"]
    ])
    expect(space.notImported.find((r) => r.id === "u1")?.reason).toContain(`"frame"`)
  })

  it("gives Kinopio-shaped ids that are the same every time the same file is imported, wherever it lies and whatever its name", () => {
    const all = [space.space, ...space.space["boxes"] as Array<Entity>, ...space.cards, ...space.connections, ...space.connectionTypes]
    for (const e of all) expect(String(e["id"])).toMatch(/^[A-Za-z0-9_-]{21}$/)
    expect(new Set(all.map((e) => e["id"])).size).toBe(all.length)
    expect(imported()).toEqual(space)
    expect(imported(JSON.parse(text), FILE, contentSeed(text))).toEqual(space)
    expect(imported(text, FILE, contentSeed(new TextEncoder().encode(text)))).toEqual(space) // the bytes of the file
    expect(imported(text, "moved/elsewhere/foreign.canvas")).toEqual(space)
    const renamed = imported(text, "renamed.canvas")
    expect(renamed).toEqual({ ...space, space: { ...space.space, name: "renamed" } })
  })

  it("gives two different files of the same name different ids, so that they become two spaces", () => {
    const plan = (text: string) => JSON.stringify({ nodes: [{ id: "a", type: "text", x: 0, y: 0, width: 100, height: 50, text }] })
    // As `ferry import a/plan.canvas b/plan.canvas` names them: by their base name.
    const first = imported(plan("first plan"), "plan.canvas")
    const second = imported(plan("second plan"), "plan.canvas")
    expect(first.space["name"]).toBe("plan")
    expect(second.space["name"]).toBe("plan")
    expect(first.space["id"]).not.toBe(second.space["id"])
    expect(first.cards[0]!["id"]).not.toBe(second.cards[0]!["id"])
  })

  it("takes what is optional as absent: an empty canvas, a canvas with nodes only", () => {
    expect(imported("{}", "empty.canvas")).toMatchObject({ cards: [], connections: [], connectionTypes: [], notImported: [] })
    expect(imported({ nodes: [{ id: "a", type: "text", x: 0, y: 0, width: 1, height: 1, text: "hi" }] }).cards).toHaveLength(1)
  })
})

describe("canvasToSpace: input that is not a canvas", () => {
  const node = { id: "a", type: "text", x: 0, y: 0, width: 10, height: 10, text: "t" }
  it.each([
    ["{not json", /^plan\.canvas: not JSON \(/],
    [[], /^plan\.canvas: the top level is an array, not an object with nodes and edges$/],
    [{ nodes: {} }, /^plan\.canvas: nodes is an object, not an array$/],
    [{ name: "package", version: "1.0.0" }, /^plan\.canvas: has neither nodes nor edges; not a JSON Canvas file$/],
    [{ nodes: [node, node, node, { ...node, id: "d", x: "12" }] }, /^plan\.canvas: nodes\[3\]\.x is not a number$/],
    [{ nodes: [{ ...node, id: 7 }] }, /^plan\.canvas: nodes\[0\]\.id is number, not a string$/],
    [{ nodes: [{ ...node, text: undefined }] }, /^plan\.canvas: nodes\[0\]\.text is missing \(required in a text node\)$/],
    [{ nodes: [node], edges: [{ id: "e", fromNode: "a" }] }, /^plan\.canvas: edges\[0\]\.toNode is missing$/],
    [{ nodes: [node], edges: [3] }, /^plan\.canvas: edges\[0\] is number, not an object$/]
  ])("%j is refused in one line naming where", (input, message) => {
    expect(error(typeof input === "string" ? input : JSON.stringify(input))).toMatch(message)
  })

  it("keeps the first of two nodes with one id and lists the other", () => {
    const space = imported({ nodes: [{ ...node, text: "first" }, { ...node, text: "second" }] })
    expect(space.cards.map((c) => c["name"])).toEqual(["first"])
    expect(space.notImported).toEqual([expect.objectContaining({ collection: "nodes", id: "a", field: "id" })])
  })
})

describe("canvasToSpace: a canvas Ferry wrote", () => {
  const input = seedSpaceInputs().find((i) => i.space["id"] === demoIds.spaces.open)!
  const written = () => JSON.parse(JSON.stringify(spaceToCanvas(input).canvas)) as { nodes: Array<Record<string, unknown>>; edges: Array<Record<string, unknown>>; ferry: unknown }

  it("comes back exactly, whatever order another tool saved the nodes and keys in", () => {
    const canvas = written()
    canvas.nodes.reverse()
    canvas.nodes = canvas.nodes.map((n) => Object.fromEntries(Object.entries(n).reverse()))
    const back = imported(canvas, "garden.canvas")
    expect(back.notImported).toEqual([])
    expect(back.space).toStrictEqual(input.space)
    expect(back.cards).toStrictEqual(input.cards)
    expect(back.connections).toStrictEqual(input.connections)
    expect(back.connectionTypes).toStrictEqual(input.connectionTypes)
    expect(back.tags).toStrictEqual(input.tags)
    expect(back.removedCards).toStrictEqual(input.removedCards)
  })

  it("applies what was changed in another tool on top of the archived entities", () => {
    const canvas = written()
    const welcome = canvas.nodes.find((n) => n["id"] === demoIds.cards.welcome)!
    welcome["x"] = 500
    welcome["text"] = "# Welcome, edited"
    welcome["color"] = "2"
    canvas.nodes.push({ id: "new-node", type: "text", x: 1, y: 2, width: 100, height: 50, text: "added in Obsidian" })
    canvas.edges.push({ id: "new-edge", fromNode: "new-node", toNode: demoIds.cards.welcome, label: "Leads to", color: "#c9a6ff" })
    canvas.nodes = canvas.nodes.filter((n) => n["id"] !== demoIds.cards.code) // and its connection with it
    canvas.edges = canvas.edges.filter((e) => e["toNode"] !== demoIds.cards.code)
    const group = canvas.nodes.find((n) => n["type"] === "group")!
    group["label"] = "Ideas, renamed"
    const back = imported(canvas, "garden.canvas")

    const original = input.cards.find((c) => c["id"] === demoIds.cards.welcome)!
    expect(back.cards.find((c) => c["id"] === demoIds.cards.welcome)).toEqual({
      ...original,
      x: 500,
      name: "# Welcome, edited",
      backgroundColor: "#ec7500"
    })
    // untouched cards are the archived records, every field kept
    const todo = input.cards.find((c) => c["id"] === demoIds.cards.todoDone)
    expect(back.cards.find((c) => c["id"] === demoIds.cards.todoDone)).toStrictEqual(todo)
    expect(back.cards.some((c) => c["id"] === demoIds.cards.code)).toBe(false)
    const added = back.cards.find((c) => c["name"] === "added in Obsidian")!
    // Its id derives from the archived space's: edited again and imported again, it is the same card.
    expect(added).toMatchObject({ id: canvasEntityId(spaceSeed(demoIds.spaces.open), "card", "new-node"), spaceId: demoIds.spaces.open })
    welcome["y"] = 1234
    const edited = imported(canvas, "garden (edited).canvas")
    expect(edited.cards.find((c) => c["name"] === "added in Obsidian")?.["id"]).toBe(added["id"])
    const link = back.connections.find((c) => c["startItemId"] === added["id"])!
    // an edge matching an archived type joins it
    expect(link).toMatchObject({ endItemId: demoIds.cards.welcome, connectionTypeId: demoIds.connectionTypes.leadsTo })
    expect(back.connections).toHaveLength(input.connections.length) // one deleted, one added
    expect((back.space["boxes"] as Array<Entity>)[0]).toMatchObject({ id: demoIds.boxes.ideas, name: "Ideas, renamed", fill: "empty" })
    expect(back.space["lists"]).toStrictEqual(input.space["lists"])
    expect(back.space["drawingStrokes"]).toStrictEqual(input.space["drawingStrokes"])
    expect(back.notImported.map((r) => [r.collection, r.id])).toEqual([
      ["cards", demoIds.cards.code],
      ["connections", expect.any(String)]
    ])
    // and what comes out of that is again a valid canvas
    expect(specProblems(spaceToCanvas(back).canvas)).toEqual([])
  })

  it("moves a connection's end, relabels and redirects it, in whichever generation of fields it has", () => {
    const canvas = written()
    const legacy = canvas.edges.find((e) => e["id"] === demoIds.connections.legacy)!
    legacy["toNode"] = demoIds.boxes.ideas
    legacy["label"] = "Now a box"
    legacy["toEnd"] = "arrow"
    delete legacy["color"]
    const back = imported(canvas, "garden.canvas")
    const original = input.connections.find((c) => c["id"] === demoIds.connections.legacy)!
    const moved = back.connections.find((c) => c["id"] === demoIds.connections.legacy)!
    const type = back.connectionTypes.find((t) => t["id"] === moved["connectionTypeId"])!
    expect(type).toEqual({ id: canvasEntityId(spaceSeed(demoIds.spaces.open), "connectionType", `["Now a box",null]`), spaceId: demoIds.spaces.open, name: "Now a box", color: "#9e9e9e" })
    expect(moved).toEqual({
      ...original,
      endCardId: demoIds.boxes.ideas, // the documented generation's field, as the connection had
      directionIsVisible: true,
      connectionTypeId: type["id"],
      name: "Now a box",
      color: null,
      labelIsVisible: true
    })
    expect(back.connectionTypes.slice(0, input.connectionTypes.length)).toStrictEqual(input.connectionTypes)
    expect(back.notImported).toEqual([])
    expect(spaceToCanvas(back).canvas.edges.find((e) => e.id === demoIds.connections.legacy)).toMatchObject({ toNode: demoIds.boxes.ideas, label: "Now a box", toEnd: "arrow" })
  })

  it("imports a canvas whose ferry key it cannot use as one from another tool, and says so", () => {
    const canvas = { ...written(), ferry: { version: 99, service: "kinopio" } }
    const back = imported(canvas, "garden.canvas")
    expect(back.notImported[0]).toMatchObject({ field: "ferry", reason: expect.stringContaining("version 99") })
    expect(back.space["id"]).toBe(canvasEntityId(contentSeed(JSON.stringify(canvas)), "space", ""))
    expect(back.cards).toHaveLength(spaceToCanvas(input).canvas.nodes.filter((n) => n.type !== "group").length)
  })
})

describe("the spec validator the tests use", () => {
  const ok = { nodes: [{ id: "g", type: "group", x: 0, y: 0, width: 100, height: 100 }, { id: "a", type: "text", x: 10, y: 10, width: 10, height: 10, text: "" }], edges: [] }
  it("accepts a valid canvas and refuses each kind of mistake", () => {
    expect(specProblems(ok)).toEqual([])
    const broken: Array<unknown> = [
      { nodes: [{ ...ok.nodes[1], x: 1.5 }] },
      { nodes: [{ ...ok.nodes[1], color: "rgb(1, 2, 3)" }] },
      { nodes: [{ ...ok.nodes[1], color: "7" }] },
      { nodes: [{ ...ok.nodes[1], text: undefined }] },
      { nodes: [{ id: "f", type: "file", x: 0, y: 0, width: 1, height: 1, file: "a.md", subpath: "Goals" }] },
      { nodes: [{ ...ok.nodes[1], type: "frame" }] },
      { nodes: ok.nodes, edges: [{ id: "a", fromNode: "a", toNode: "g" }] },
      { nodes: ok.nodes, edges: [{ id: "e", fromNode: "a", toNode: "nowhere" }] },
      { nodes: [...ok.nodes].reverse() },
      { nodes: ok.nodes, edges: [{ id: "e", fromNode: "a", toNode: "g", toEnd: "circle" }] }
    ]
    for (const canvas of broken) expect(specProblems(canvas), JSON.stringify(canvas)).not.toEqual([])
  })
})
