/**
 * A JSON Canvas file as a Kinopio space to create. A canvas Ferry wrote comes back exactly as it
 * was archived (its `ferry` key), with whatever was changed in another tool since applied on
 * top; any other canvas becomes cards, boxes and connections. Reading is tolerant: only what
 * makes the file no canvas at all is an error, anything else is imported or listed.
 */
import { createHash } from "node:crypto"
import { Either } from "effect"
import type { Entity, NotRestored } from "../connector.ts"
import { BadInput } from "../errors.ts"
import { asArray, isEntity } from "../shared/entity.ts"
import { fromCanvasColour } from "./colour.ts"
import { cardColourField, layoutSpace, type SpaceInput } from "./export.ts"
import { type CanvasEdge, type CanvasNode, FERRY_KEY, FERRY_VERSION } from "./schema.ts"

/** One space to create, as a Kinopio archive would hold it. */
export interface ImportedSpace {
  /** The space record, boxes inside it (as in `spaces.jsonl`). */
  readonly space: Entity
  readonly cards: ReadonlyArray<Entity>
  readonly connections: ReadonlyArray<Entity>
  readonly connectionTypes: ReadonlyArray<Entity>
  readonly tags: ReadonlyArray<Entity>
  readonly removedCards: ReadonlyArray<Entity>
  /** What of the canvas does not become part of the space, and why. */
  readonly notImported: ReadonlyArray<NotRestored>
}

/** Names for connections whose edge has no label. */
export const DEFAULT_CONNECTION_TYPE_NAME = "Connection"
/** Kinopio draws a connection type in a colour; an edge without one gets a neutral grey. */
export const DEFAULT_CONNECTION_TYPE_COLOUR = "#9e9e9e"

const NODE_TYPES = ["text", "file", "link", "group"] as const
type NodeType = (typeof NODE_TYPES)[number]
const SIDES: ReadonlyArray<unknown> = ["top", "right", "bottom", "left"]
const ENDS: ReadonlyArray<unknown> = ["none", "arrow"]
const STYLES: ReadonlyArray<unknown> = ["cover", "ratio", "repeat"]
/** A background Kinopio can show is on the web; a canvas's may be a file beside it. */
const WEB = /^https?:\/\//i

interface ReadNode {
  readonly index: number
  readonly id: string
  readonly type: NodeType
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
  /** As written (compared with what Ferry wrote), and as Kinopio will store it. */
  readonly color: unknown
  readonly colour: string | undefined
  readonly text: string | undefined
  readonly file: string | undefined
  readonly subpath: string | undefined
  readonly url: string | undefined
  readonly label: string | undefined
  readonly background: string | undefined
  readonly backgroundStyle: string | undefined
}

interface ReadEdge {
  readonly index: number
  readonly id: string
  readonly fromNode: string
  readonly toNode: string
  readonly fromSide: string | undefined
  readonly toSide: string | undefined
  readonly fromEnd: string | undefined
  readonly toEnd: string | undefined
  readonly color: unknown
  readonly colour: string | undefined
  readonly label: string | undefined
}

/** Thrown inside this module only, for what makes the input no canvas; never escapes. */
class NotACanvas {
  constructor(readonly message: string) {}
}

const describe = (value: unknown) =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : typeof value

/**
 * What the ids of a canvas from another tool derive from: the file's content (the sha256 of its
 * bytes; of its text as UTF-8 when only the text is at hand). Importing the same file again, from
 * anywhere and under any name, plans the same entities; two different files never share one.
 */
export const contentSeed = (content: string | Uint8Array): string => `sha256:${createHash("sha256").update(content).digest("hex")}`

/**
 * What the ids of nodes and edges added in another tool to a canvas Ferry wrote derive from: the
 * archived space's id, so they stay the same however often the canvas is edited and imported again.
 */
export const spaceSeed = (spaceId: unknown): string => `space:${String(spaceId)}`

/** A Kinopio-shaped id (21 characters of nanoid's alphabet), the same for the same seed, kind and canvas id. */
export const canvasEntityId = (seed: string, kind: string, canvasId: string): string =>
  createHash("sha256").update(`ferry-canvas\u0000${seed}\u0000${kind}\u0000${canvasId}`).digest("base64url").slice(0, 21)

/** The space's name: the file's, without folders and extension. */
const spaceNameOf = (fileName: string) => (fileName.split(/[\\/]/).pop() ?? fileName).replace(/\.canvas$/i, "")

// ---------------------------------------------------------------------------------------------
// Reading: what is fatal throws NotACanvas, what is merely odd becomes a row

interface Read {
  readonly nodes: ReadonlyArray<ReadNode>
  readonly edges: ReadonlyArray<ReadEdge>
  readonly ferry: unknown
  readonly rows: Array<NotRestored>
}

const readCanvas = (value: unknown): Read => {
  if (!isEntity(value)) throw new NotACanvas(`the top level is ${describe(value)}, not an object with nodes and edges`)
  const rows: Array<NotRestored> = []
  const { edges: rawEdges, nodes: rawNodes } = value
  if (rawNodes === undefined && rawEdges === undefined && value[FERRY_KEY] === undefined && Object.keys(value).length > 0) {
    throw new NotACanvas("has neither nodes nor edges; not a JSON Canvas file")
  }
  if (rawNodes !== undefined && !Array.isArray(rawNodes)) throw new NotACanvas(`nodes is ${describe(rawNodes)}, not an array`)
  if (rawEdges !== undefined && !Array.isArray(rawEdges)) throw new NotACanvas(`edges is ${describe(rawEdges)}, not an array`)

  const nodes: Array<ReadNode> = []
  const seen = new Set<string>()
  ;(rawNodes ?? []).forEach((raw: unknown, index: number) => {
    const at = `nodes[${index}]`
    if (!isEntity(raw)) throw new NotACanvas(`${at} is ${describe(raw)}, not an object`)
    const id = raw["id"]
    if (typeof id !== "string") throw new NotACanvas(`${at}.id is ${id === undefined ? "missing" : `${describe(id)}, not a string`}`)
    const type = raw["type"]
    if (typeof type !== "string") throw new NotACanvas(`${at}.type is ${type === undefined ? "missing" : `${describe(type)}, not a string`}`)
    if (!(NODE_TYPES as ReadonlyArray<string>).includes(type)) {
      rows.push({ collection: "nodes", id, field: "type", reason: `${at} is of type ${JSON.stringify(type)}, which JSON Canvas 1.0 does not define; not imported` })
      return
    }
    const number = (field: string) => {
      const n = raw[field]
      if (typeof n !== "number" || !Number.isFinite(n)) throw new NotACanvas(`${at}.${field} is not a number`)
      return n
    }
    const string = (field: string, required: boolean) => {
      const s = raw[field]
      if (typeof s === "string") return s
      if (s === undefined || s === null) {
        if (required) throw new NotACanvas(`${at}.${field} is missing (required in a ${type} node)`)
        return undefined
      }
      if (required) throw new NotACanvas(`${at}.${field} is ${describe(s)}, not a string`)
      rows.push({ collection: "nodes", id, field, reason: `${at}.${field} is ${describe(s)}, not a string; ignored` })
      return undefined
    }
    const geometry = { x: number("x"), y: number("y"), width: number("width"), height: number("height") }
    const colour = fromCanvasColour(raw["color"])
    if (colour !== undefined && "invalid" in colour) {
      rows.push({ collection: "nodes", id, field: "color", reason: `${at}.color ${colour.invalid} is not a canvas colour; imported without colour` })
    }
    let backgroundStyle = type === "group" ? string("backgroundStyle", false) : undefined
    if (backgroundStyle !== undefined && !STYLES.includes(backgroundStyle)) {
      rows.push({ collection: "nodes", id, field: "backgroundStyle", reason: `${at}.backgroundStyle ${JSON.stringify(backgroundStyle)} is not cover, ratio or repeat; ignored` })
      backgroundStyle = undefined
    }
    if (seen.has(id)) {
      rows.push({ collection: "nodes", id, field: "id", reason: `${at}.id is used by an earlier node too; this one is not imported` })
      return
    }
    seen.add(id)
    nodes.push({
      index,
      id,
      type: type as NodeType,
      ...geometry,
      color: raw["color"],
      colour: colour !== undefined && "colour" in colour ? colour.colour : undefined,
      text: type === "text" ? string("text", true) : undefined,
      file: type === "file" ? string("file", true) : undefined,
      subpath: type === "file" ? string("subpath", false) : undefined,
      url: type === "link" ? string("url", true) : undefined,
      label: type === "group" ? string("label", false) : undefined,
      background: type === "group" ? string("background", false) : undefined,
      backgroundStyle
    })
  })

  const edges: Array<ReadEdge> = []
  const seenEdges = new Set<string>()
  ;(rawEdges ?? []).forEach((raw: unknown, index: number) => {
    const at = `edges[${index}]`
    if (!isEntity(raw)) throw new NotACanvas(`${at} is ${describe(raw)}, not an object`)
    const required = (field: string) => {
      const s = raw[field]
      if (typeof s !== "string") throw new NotACanvas(`${at}.${field} is ${s === undefined ? "missing" : `${describe(s)}, not a string`}`)
      return s
    }
    const id = required("id")
    const fromNode = required("fromNode")
    const toNode = required("toNode")
    const oneOf = (field: string, allowed: ReadonlyArray<unknown>) => {
      const v = raw[field]
      if (v === undefined || v === null) return undefined
      if (allowed.includes(v)) return v as string
      rows.push({ collection: "edges", id, field, reason: `${at}.${field} ${JSON.stringify(v)} is not one of ${allowed.join(", ")}; ignored` })
      return undefined
    }
    const colour = fromCanvasColour(raw["color"])
    if (colour !== undefined && "invalid" in colour) {
      rows.push({ collection: "edges", id, field: "color", reason: `${at}.color ${colour.invalid} is not a canvas colour; imported without colour` })
    }
    let label: string | undefined
    if (typeof raw["label"] === "string") label = raw["label"]
    else if (raw["label"] !== undefined && raw["label"] !== null) {
      rows.push({ collection: "edges", id, field: "label", reason: `${at}.label is ${describe(raw["label"])}, not a string; ignored` })
    }
    if (seenEdges.has(id)) {
      rows.push({ collection: "edges", id, field: "id", reason: `${at}.id is used by an earlier edge too; this one is not imported` })
      return
    }
    seenEdges.add(id)
    edges.push({
      index,
      id,
      fromNode,
      toNode,
      fromSide: oneOf("fromSide", SIDES),
      toSide: oneOf("toSide", SIDES),
      fromEnd: oneOf("fromEnd", ENDS),
      toEnd: oneOf("toEnd", ENDS),
      color: raw["color"],
      colour: colour !== undefined && "colour" in colour ? colour.colour : undefined,
      label
    })
  })
  return { nodes, edges, ferry: value[FERRY_KEY], rows }
}

// ---------------------------------------------------------------------------------------------
// Nodes and edges as Kinopio entities

/** The name a node shows, to tell whether its text was edited. */
const readName = (node: ReadNode) =>
  node.type === "text" ? node.text ?? "" : node.type === "link" ? node.url ?? "" : `${node.file ?? ""}${node.subpath ?? ""}`
const drawnName = (node: CanvasNode) =>
  node.type === "text" ? node.text : node.type === "link" ? node.url : node.type === "file" ? `${node.file}${node.subpath ?? ""}` : ""
const drawnGroup = (node: CanvasNode) => (node.type === "group" ? node : undefined)

/** Builds entities for canvas items that Ferry did not write (a whole foreign canvas, or what was added to a Ferry canvas). */
const foreignBuilder = (seed: string, spaceId: unknown, rows: Array<NotRestored>) => {
  const id = (kind: string, canvasId: string) => canvasEntityId(seed, kind, canvasId)
  const types = new Map<string, Entity>()

  const card = (node: ReadNode): Entity => {
    if (node.type === "file") {
      rows.push({ collection: "nodes", id: node.id, field: "file", reason: `${node.file ?? ""}: the file itself is not imported, its card names the path` })
    }
    const name = readName(node)
    return {
      id: id("card", node.id),
      spaceId,
      name,
      x: node.x,
      y: node.y,
      z: node.index,
      width: node.width,
      height: node.height,
      // Kinopio sizes a card to its text unless it was resized: the canvas's width is kept that way.
      resizeWidth: node.width,
      ...(node.colour === undefined ? {} : { backgroundColor: node.colour })
    }
  }

  const box = (node: ReadNode): Entity => {
    let background: Entity = {}
    if (node.background !== undefined && node.background !== "") {
      if (!WEB.test(node.background)) {
        rows.push({ collection: "nodes", id: node.id, field: "background", reason: `${node.background} is a file beside the canvas, not a web address Kinopio can show; not imported` })
      } else {
        if (node.backgroundStyle === "ratio") {
          rows.push({ collection: "nodes", id: node.id, field: "backgroundStyle", reason: "Kinopio stretches or tiles a box background; ratio is imported as tiled" })
        }
        background = { background: node.background, backgroundIsStretch: node.backgroundStyle === "cover" }
      }
    }
    return {
      id: id("box", node.id),
      spaceId,
      name: node.label ?? "",
      x: node.x,
      y: node.y,
      z: node.index,
      resizeWidth: node.width,
      resizeHeight: node.height,
      ...(node.colour === undefined ? {} : { color: node.colour }),
      ...background
    }
  }

  /** One type per distinct (label, colour) pair, as the canvas has no types of its own. */
  const typeFor = (label: string | undefined, colour: string | undefined, existing: ReadonlyArray<Entity>): Entity => {
    const name = label === undefined || label === "" ? DEFAULT_CONNECTION_TYPE_NAME : label
    const color = colour ?? DEFAULT_CONNECTION_TYPE_COLOUR
    const same = existing.find((t) => t["name"] === name && typeof t["color"] === "string" && t["color"].toLowerCase() === color.toLowerCase())
    if (same !== undefined) return same
    const key = JSON.stringify([label ?? null, colour ?? null])
    const found = types.get(key)
    if (found !== undefined) return found
    const type = { id: id("connectionType", key), spaceId, name, color }
    types.set(key, type)
    return type
  }

  const connection = (edge: ReadEdge, start: string, end: string, existingTypes: ReadonlyArray<Entity>): Entity => {
    if (edge.fromEnd === "arrow") {
      rows.push({ collection: "edges", id: edge.id, field: "fromEnd", reason: "Kinopio draws an arrow only at a connection's end; the arrow at its start is not imported" })
    }
    return {
      id: id("connection", edge.id),
      spaceId,
      startItemId: start,
      endItemId: end,
      connectionTypeId: typeFor(edge.label, edge.colour, existingTypes)["id"],
      directionIsVisible: edge.toEnd !== "none",
      labelIsVisible: edge.label !== undefined && edge.label !== "",
      ...(edge.label === undefined ? {} : { name: edge.label }),
      ...(edge.colour === undefined ? {} : { color: edge.colour }),
      ...(edge.fromSide === undefined ? {} : { point1Cardinal: edge.fromSide }),
      ...(edge.toSide === undefined ? {} : { point2Cardinal: edge.toSide })
    }
  }

  return { card, box, typeFor, connection, newTypes: () => [...types.values()] }
}

const missingEnd = (edge: ReadEdge, field: "fromNode" | "toNode", rows: Array<NotRestored>) =>
  rows.push({ collection: "edges", id: edge.id, field, reason: `ends at node ${JSON.stringify(edge[field])}, which is not imported (absent or of an unknown type); not imported` })

/** A canvas no Ferry wrote (or whose Ferry data cannot be used). */
const fromForeign = (read: Read, fileName: string, seed: string): ImportedSpace => {
  const rows = read.rows
  const spaceId = canvasEntityId(seed, "space", "")
  const build = foreignBuilder(seed, spaceId, rows)
  const cards: Array<Entity> = []
  const boxes: Array<Entity> = []
  const entityOf = new Map<string, string>()
  for (const node of read.nodes) {
    const entity = node.type === "group" ? build.box(node) : build.card(node)
    ;(node.type === "group" ? boxes : cards).push(entity)
    entityOf.set(node.id, String(entity["id"]))
  }
  const connections: Array<Entity> = []
  for (const edge of read.edges) {
    const start = entityOf.get(edge.fromNode)
    const end = entityOf.get(edge.toNode)
    if (start === undefined) missingEnd(edge, "fromNode", rows)
    else if (end === undefined) missingEnd(edge, "toNode", rows)
    else connections.push(build.connection(edge, start, end, []))
  }
  return {
    space: { id: spaceId, name: spaceNameOf(fileName), privacy: "private", boxes, lists: [], lines: [], drawingStrokes: [] },
    cards,
    connections,
    connectionTypes: build.newTypes(),
    tags: [],
    removedCards: [],
    notImported: rows
  }
}

// ---------------------------------------------------------------------------------------------
// A canvas Ferry wrote: the archived space, with the changes made since on top

interface FerryData extends Required<SpaceInput> {}

const ferryData = (value: unknown): FerryData | string => {
  if (!isEntity(value)) return `is ${describe(value)}, not an object`
  if (value["version"] !== FERRY_VERSION) return `has version ${JSON.stringify(value["version"])}; this Ferry reads version ${FERRY_VERSION}`
  if (value["service"] !== "kinopio") return `holds a ${JSON.stringify(value["service"])} space, not a Kinopio one`
  const space = value["space"]
  if (!isEntity(space) || (typeof space["id"] !== "string" && typeof space["id"] !== "number")) return "has no space record with an id"
  const lists: Record<string, ReadonlyArray<Entity>> = {}
  for (const key of ["cards", "connections", "connectionTypes", "tags", "removedCards"]) {
    const list = value[key] ?? []
    if (!Array.isArray(list) || !list.every(isEntity)) return `${key} is not a list of objects`
    lists[key] = list
  }
  return {
    space,
    cards: lists["cards"] ?? [],
    connections: lists["connections"] ?? [],
    connectionTypes: lists["connectionTypes"] ?? [],
    tags: lists["tags"] ?? [],
    removedCards: lists["removedCards"] ?? []
  }
}

/** The card with what was changed on the canvas applied; the very same object when nothing was. */
const patchCard = (card: Entity, drawn: CanvasNode, node: ReadNode): Entity => {
  const patch: Record<string, unknown> = {}
  if (readName(node) !== drawnName(drawn)) patch["name"] = readName(node)
  if (node.x !== drawn.x) patch["x"] = node.x
  if (node.y !== drawn.y) patch["y"] = node.y
  if (node.width !== drawn.width) {
    patch["width"] = node.width
    patch["resizeWidth"] = node.width
  }
  if (node.height !== drawn.height) patch["height"] = node.height
  if (node.color !== drawn.color) {
    patch[cardColourField(card) ?? "backgroundColor"] = node.colour ?? null
  }
  return Object.keys(patch).length === 0 ? card : { ...card, ...patch }
}

const patchBox = (box: Entity, drawn: CanvasNode, node: ReadNode, rows: Array<NotRestored>): Entity => {
  const patch: Record<string, unknown> = {}
  const group = drawnGroup(drawn)
  if ((node.label ?? "") !== (group?.label ?? "")) patch["name"] = node.label ?? ""
  if (node.x !== drawn.x) patch["x"] = node.x
  if (node.y !== drawn.y) patch["y"] = node.y
  if (node.width !== drawn.width) patch["resizeWidth"] = node.width
  if (node.height !== drawn.height) patch["resizeHeight"] = node.height
  if (node.color !== drawn.color) patch["color"] = node.colour ?? null
  if (node.background !== group?.background || node.backgroundStyle !== group?.backgroundStyle) {
    if (node.background !== undefined && node.background !== "" && !WEB.test(node.background)) {
      rows.push({ collection: "nodes", id: node.id, field: "background", reason: `${node.background} is a file beside the canvas, not a web address Kinopio can show; not imported` })
    } else {
      patch["background"] = node.background ?? null
      patch["backgroundIsStretch"] = node.backgroundStyle === "cover"
    }
  }
  return Object.keys(patch).length === 0 ? box : { ...box, ...patch }
}

const fromFerry = (read: Read, data: FerryData): ImportedSpace => {
  const rows = read.rows
  // The archived space keeps its ids; what was added in another tool gets ids from the space's.
  const spaceId = data.space["id"]
  const layout = layoutSpace(data)
  const drawnNodes = new Map(layout.nodes.map((n) => [n.node.id, n]))
  const drawnEdges = new Map(layout.edges.map((e) => [e.edge.id, e]))
  const build = foreignBuilder(spaceSeed(spaceId), spaceId, rows)
  const boxes = asArray(data.space["boxes"])

  const cards = new Map<number, Entity>()
  const keptBoxes = new Map<number, Entity>()
  const addedCards: Array<Entity> = []
  const addedBoxes: Array<Entity> = []
  const entityOf = new Map<string, string>()
  for (const node of read.nodes) {
    const drawn = drawnNodes.get(node.id)
    const kind = node.type === "group" ? "box" : "card"
    if (drawn !== undefined && drawn.from.kind === kind) {
      drawnNodes.delete(node.id)
      const source = kind === "card" ? data.cards[drawn.from.index] : boxes[drawn.from.index]
      if (isEntity(source)) {
        const patched = kind === "card" ? patchCard(source, drawn.node, node) : patchBox(source, drawn.node, node, rows)
        ;(kind === "card" ? cards : keptBoxes).set(drawn.from.index, patched)
        entityOf.set(node.id, String(source["id"]))
        continue
      }
    }
    const entity = kind === "box" ? build.box(node) : build.card(node)
    ;(kind === "box" ? addedBoxes : addedCards).push(entity)
    entityOf.set(node.id, String(entity["id"]))
  }
  // What Ferry drew that is gone from the canvas was deleted there: it is not created again.
  const deletedCards = new Set<string>()
  for (const [nodeId, { from }] of drawnNodes) {
    const source = from.kind === "card" ? data.cards[from.index] : boxes[from.index]
    const id = isEntity(source) ? String(source["id"]) : nodeId
    if (from.kind === "card") deletedCards.add(id)
    rows.push({ collection: from.kind === "card" ? "cards" : "boxes", id, field: "*", reason: "deleted from the canvas since Ferry wrote it; not imported" })
  }

  const connections = new Map<number, Entity>()
  const added: Array<Entity> = []
  let types: ReadonlyArray<Entity> = data.connectionTypes
  for (const edge of read.edges) {
    const start = entityOf.get(edge.fromNode)
    const end = entityOf.get(edge.toNode)
    if (start === undefined) {
      missingEnd(edge, "fromNode", rows)
      continue
    }
    if (end === undefined) {
      missingEnd(edge, "toNode", rows)
      continue
    }
    const drawn = drawnEdges.get(edge.id)
    const source = drawn === undefined ? undefined : data.connections[drawn.index]
    if (drawn === undefined || source === undefined) {
      added.push(build.connection(edge, start, end, types))
      continue
    }
    drawnEdges.delete(edge.id)
    connections.set(drawn.index, patchConnection(source, drawn.edge, edge, start, end, (label, colour) => {
      const type = build.typeFor(label, colour, types)
      if (!types.includes(type)) types = [...types, type]
      return type
    }))
  }
  for (const { index } of drawnEdges.values()) {
    rows.push({ collection: "connections", id: String(data.connections[index]?.["id"] ?? index), field: "*", reason: "deleted from the canvas since Ferry wrote it; not imported" })
  }
  const drawnConnection = new Set(layout.edges.map((e) => e.index))
  const drawnCard = new Set(layout.nodes.flatMap((n) => (n.from.kind === "card" ? [n.from.index] : [])))
  const drawnBox = new Set(layout.nodes.flatMap((n) => (n.from.kind === "box" ? [n.from.index] : [])))

  // Entities never drawn (removed cards, connections to lists...) are kept as they were.
  const keep = <A>(list: ReadonlyArray<A>, drawnSet: ReadonlySet<number>, kept: ReadonlyMap<number, A>) =>
    list.flatMap((item, index) => (!drawnSet.has(index) ? [item] : kept.has(index) ? [kept.get(index) as A] : []))
  const finalBoxes = [...keep(boxes, drawnBox, keptBoxes), ...addedBoxes]
  const boxesChanged = finalBoxes.length !== boxes.length || finalBoxes.some((b, i) => b !== boxes[i])
  return {
    space: boxesChanged ? { ...data.space, boxes: finalBoxes } : data.space,
    cards: [...keep(data.cards, drawnCard, cards), ...addedCards],
    connections: [...keep(data.connections, drawnConnection, connections), ...added],
    connectionTypes: [...types, ...build.newTypes().filter((t) => !types.includes(t))],
    tags: deletedCards.size === 0 ? data.tags : data.tags.filter((t) => !deletedCards.has(String(t["cardId"]))),
    removedCards: data.removedCards,
    notImported: rows
  }
}

/** The connection with what was changed on the canvas applied; the very same object when nothing was. */
const patchConnection = (
  connection: Entity,
  drawn: CanvasEdge,
  edge: ReadEdge,
  start: string,
  end: string,
  typeFor: (label: string | undefined, colour: string | undefined) => Entity
): Entity => {
  const patch: Record<string, unknown> = {}
  const moveEnd = (which: "start" | "end", to: string) => {
    const item = `${which}ItemId`
    const card = `${which}CardId`
    const has = (k: string) => connection[k] !== undefined && connection[k] !== null
    if (has(item) || !has(card)) patch[item] = to
    if (has(card)) patch[card] = to
  }
  if (edge.fromNode !== drawn.fromNode) moveEnd("start", start)
  if (edge.toNode !== drawn.toNode) moveEnd("end", end)
  if ((edge.toEnd ?? "arrow") !== (drawn.toEnd ?? "arrow")) patch["directionIsVisible"] = edge.toEnd !== "none"
  if (edge.fromSide !== drawn.fromSide) patch["point1Cardinal"] = edge.fromSide ?? null
  if (edge.toSide !== drawn.toSide) patch["point2Cardinal"] = edge.toSide ?? null
  if (edge.label !== drawn.label || edge.color !== drawn.color) {
    // Both generations: the type for the documented API, the connection's own fields for the current client.
    patch["connectionTypeId"] = typeFor(edge.label, edge.colour)["id"]
    patch["name"] = edge.label ?? null
    patch["color"] = edge.colour ?? null
    patch["labelIsVisible"] = edge.label !== undefined && edge.label !== ""
  }
  return Object.keys(patch).length === 0 ? connection : { ...connection, ...patch }
}

// ---------------------------------------------------------------------------------------------

/**
 * The space a canvas file describes. `canvas` is the parsed JSON (or its text); `fileName`
 * names the file in messages and names the space. A canvas Ferry wrote keeps the archived ids;
 * the ids of any other canvas derive from `seed`, by default `contentSeed` of the text (of the
 * JSON for a parsed value): pass `contentSeed` of the file's bytes, so that the same file
 * imported twice plans the same entities, and two files of one name plan different ones.
 */
export const canvasToSpace = (
  canvas: unknown,
  fileName: string,
  seed: string = contentSeed(typeof canvas === "string" ? canvas : JSON.stringify(canvas) ?? "")
): Either.Either<ImportedSpace, BadInput> => {
  let value = canvas
  if (typeof canvas === "string") {
    try {
      value = JSON.parse(canvas)
    } catch (e) {
      return Either.left(new BadInput({ message: `${fileName}: not JSON (${e instanceof Error ? e.message : String(e)})` }))
    }
  }
  try {
    const read = readCanvas(value)
    if (read.ferry === undefined) return Either.right(fromForeign(read, fileName, seed))
    const data = ferryData(read.ferry)
    if (typeof data !== "string") return Either.right(fromFerry(read, data))
    read.rows.push({ collection: "spaces", id: "*", field: FERRY_KEY, reason: `the ${FERRY_KEY} key ${data}; imported as a canvas from another tool` })
    return Either.right(fromForeign(read, fileName, seed))
  } catch (e) {
    if (e instanceof NotACanvas) return Either.left(new BadInput({ message: `${fileName}: ${e.message}` }))
    throw e
  }
}
