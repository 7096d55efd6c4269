/**
 * A Kinopio space as a JSON Canvas 1.0 file. What a canvas can show is drawn the way the spec
 * wants it (integer geometry, hex colours, groups under what they hold); the space itself, every
 * field of every entity, rides along in one extra key so a round trip through Ferry loses
 * nothing; what a plain canvas reader will not see is listed, never dropped silently.
 */
import type { Entity, NotRestored } from "../connector.ts"
import { redact } from "../shared/redact.ts"
import { asArray, holdsSomething, isEntity, num, str } from "../shared/entity.ts"
import { type Converted, toCanvasHex } from "./colour.ts"
import {
  type Canvas,
  type CanvasEdge,
  type CanvasNode,
  type FerryExtra,
  FERRY_VERSION,
  type GroupNode,
  type Side
} from "./schema.ts"

/** One space as the archive holds it: the record from `spaces.jsonl` and its children. */
export interface SpaceInput {
  readonly space: Entity
  readonly cards: ReadonlyArray<Entity>
  readonly connections: ReadonlyArray<Entity>
  readonly connectionTypes: ReadonlyArray<Entity>
  readonly tags: ReadonlyArray<Entity>
  readonly removedCards?: ReadonlyArray<Entity>
}

export interface CanvasExport {
  readonly canvas: Canvas
  /** What a plain canvas reader will not see (it is all in the `ferry` key). */
  readonly notShown: ReadonlyArray<NotRestored>
}

/** Where a node came from: a box of `space.boxes` or a card of `cards`, by position. */
export type NodeSource = { readonly kind: "box" | "card"; readonly index: number }

/** The drawing of a space, each node and edge with its source (import reads Ferry's own canvases back through it). */
export interface Layout {
  readonly nodes: ReadonlyArray<{ readonly node: CanvasNode; readonly from: NodeSource }>
  /** `index`: the connection's position in `connections`. */
  readonly edges: ReadonlyArray<{ readonly edge: CanvasEdge; readonly index: number }>
  readonly notShown: ReadonlyArray<NotRestored>
}

/** Kinopio's card width when nobody resized it; heights grow with the text. */
export const DEFAULT_CARD_WIDTH = 235
export const DEFAULT_BOX_WIDTH = 300
export const DEFAULT_BOX_HEIGHT = 200

/** Fields that are bookkeeping, not content: a reader misses nothing without them. */
const BOOKKEEPING = new Set([
  "id", "spaceId", "userId", "createdAt", "updatedAt", "editedAt", "nameUpdatedAt", "nameUpdatedByUserId",
  "editedByUserId", "z", "isRemoved", "ownerUserId", "url", "updateHash", "visits", "users", "collaborators",
  "collaboratorKey", "readOnlyKey", "removedByUserId", "previewImage", "previewThumbnailImage", "originSpaceId",
  "cardId"
])

/** Fields a canvas draws, per kind of entity (besides the colour, chosen per entity). */
const DRAWN = {
  spaces: new Set(["name", "boxes"]),
  cards: new Set(["name", "x", "y", "width", "height", "resizeWidth"]),
  boxes: new Set(["name", "x", "y", "resizeWidth", "resizeHeight", "color", "background", "backgroundIsStretch"]),
  connections: new Set([
    "startCardId", "endCardId", "startItemId", "endItemId", "connectionTypeId", "name", "color", "directionIsVisible",
    "point1Cardinal", "point2Cardinal", "labelIsVisible"
  ]),
  connectionTypes: new Set(["name", "color"])
} as const

const SIDES: ReadonlyArray<string> = ["top", "right", "bottom", "left"]
const URL_ONLY = /^https?:\/\/\S+$/i

/** Whole pixels within the range every JSON reader holds exactly; `+ 0` turns -0 into 0. */
const whole = (n: number) => Math.min(Number.MAX_SAFE_INTEGER, Math.max(-Number.MAX_SAFE_INTEGER, Math.round(n))) + 0
const position = (value: unknown) => whole(num(value) ?? 0)
const size = (value: unknown, fallback: number) => {
  const n = num(value)
  return n === undefined || n < 0.5 ? fallback : whole(n)
}

/** A rough height for a card whose height Kinopio did not send: enough lines for its text. */
const textHeight = (text: string, width: number) => {
  const perLine = Math.max(8, Math.floor(width / 8))
  const lines = text.split("\n").reduce((n, line) => n + Math.max(1, Math.ceil([...line].length / perLine)), 0)
  return Math.min(4000, 16 + 22 * lines)
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`

const colourRows = (collection: string, id: string, field: string, converted: Converted): ReadonlyArray<NotRestored> =>
  converted._tag === "Unknown"
    ? [{ collection, id, field, reason: `colour ${JSON.stringify(converted.value)} has no canvas equivalent; drawn without colour` }]
    : converted._tag === "Hex" && converted.alpha < 1
    ? [{ collection, id, field, reason: `transparency (alpha ${Number(converted.alpha.toFixed(3))}) is drawn opaque` }]
    : []

const hexOf = (converted: Converted) => (converted._tag === "Hex" ? { color: converted.hex } : {})

/** One row per field no canvas node shows, counting the entities that hold something in it. */
const unshownFields = (
  collection: string,
  id: string,
  entities: ReadonlyArray<Entity>,
  drawn: ReadonlySet<string>,
  alsoDrawn: (e: Entity) => string | undefined = () => undefined
): ReadonlyArray<NotRestored> => {
  const counts = new Map<string, number>()
  for (const e of entities) {
    const extra = alsoDrawn(e)
    for (const [field, value] of Object.entries(e)) {
      if (BOOKKEEPING.has(field) || drawn.has(field) || field === extra || !holdsSomething(value)) continue
      counts.set(field, (counts.get(field) ?? 0) + 1)
    }
  }
  return [...counts].map(([field, n]) => ({
    collection,
    id,
    field,
    reason: `no canvas equivalent${entities.length > 1 || id === "*" ? ` (${n} of ${entities.length})` : ""}; kept in the ferry key`
  }))
}

/** Ids unique among nodes and edges: the first holder keeps its id, a later one gets `id~2`... */
const idAllocator = () => {
  const used = new Set<string>()
  return (wanted: unknown, fallback: string) => {
    const base = typeof wanted === "string" && wanted !== "" ? wanted : typeof wanted === "number" ? String(wanted) : fallback
    let id = base
    for (let n = 2; used.has(id); n++) id = `${base}~${n}`
    used.add(id)
    return id
  }
}

/** A card's colour: `backgroundColor` is what Kinopio fills the card with; older cards carry `color`. */
export const cardColourField = (card: Entity) => (holdsSomething(card["backgroundColor"]) ? "backgroundColor" : holdsSomething(card["color"]) ? "color" : undefined)

export const layoutSpace = (input: SpaceInput): Layout => {
  const { space } = input
  const spaceId = String(space["id"] ?? "")
  const notShown: Array<NotRestored> = []
  const allocate = idAllocator()

  const boxes = asArray(space["boxes"])
  const boxEntities = boxes.flatMap((b, index) => (isEntity(b) ? [{ box: b, index }] : []))
  if (boxEntities.length < boxes.length) {
    notShown.push({ collection: "spaces", id: spaceId, field: "boxes", reason: `${boxes.length - boxEntities.length} box entries are not objects; not drawn` })
  }

  const groups = boxEntities.map(({ box, index }) => {
    const colour = toCanvasHex(box["color"])
    const id = String(box["id"] ?? `box-${index}`)
    notShown.push(...colourRows("boxes", id, "color", colour))
    const background = str(box["background"])
    const node: GroupNode = {
      id: "",
      type: "group",
      x: position(box["x"]),
      y: position(box["y"]),
      width: size(box["resizeWidth"], DEFAULT_BOX_WIDTH),
      height: size(box["resizeHeight"], DEFAULT_BOX_HEIGHT),
      ...hexOf(colour),
      ...(typeof box["name"] === "string" && box["name"] !== "" ? { label: box["name"] } : {}),
      ...(background === undefined || background === ""
        ? {}
        : { background, backgroundStyle: box["backgroundIsStretch"] === true ? "cover" : "repeat" })
    }
    return { node, index, z: num(box["z"]) ?? 0, wanted: box["id"] }
  })
  // Larger groups first: a group listed before a smaller one is drawn beneath it, so nesting shows.
  groups.sort((a, b) => b.node.width * b.node.height - a.node.width * a.node.height || a.z - b.z || a.index - b.index)

  const drawnCards = input.cards.flatMap((card, index) => (card["isRemoved"] === true ? [] : [{ card, index }]))
  const hidden = input.cards.length - drawnCards.length + (input.removedCards?.length ?? 0)
  if (hidden > 0) notShown.push({ collection: "removedCards", id: "*", field: "*", reason: `${count(hidden, "removed card")} not drawn; kept in the ferry key` })
  const cardNodes = drawnCards.map(({ card, index }) => {
    const id = String(card["id"] ?? `card-${index}`)
    const field = cardColourField(card)
    const colour = toCanvasHex(field === undefined ? undefined : card[field])
    if (field !== undefined) notShown.push(...colourRows("cards", id, field, colour))
    const name = typeof card["name"] === "string" ? card["name"] : card["name"] === null || card["name"] === undefined ? "" : String(card["name"])
    // resizeWidth is the width a person gave the card; width is the last one measured.
    const width = size(num(card["resizeWidth"]) ?? card["width"], DEFAULT_CARD_WIDTH)
    const geometry = {
      x: position(card["x"]),
      y: position(card["y"]),
      width,
      height: size(card["height"], textHeight(name, width)),
      ...hexOf(colour)
    }
    const url = name.trim()
    const node: CanvasNode = URL_ONLY.test(url)
      ? { id: "", type: "link", ...geometry, url }
      : { id: "", type: "text", ...geometry, text: name }
    return { node, index, z: num(card["z"]) ?? 0, wanted: card["id"] }
  })
  cardNodes.sort((a, b) => a.z - b.z || a.index - b.index)

  const nodes: Array<{ node: CanvasNode; from: NodeSource }> = []
  // An end id names a box before a card, as the restore reads it.
  const nodeOf = new Map<string, string>()
  for (const g of groups) {
    const id = allocate(g.wanted, `box-${g.index}`)
    nodes.push({ node: { ...g.node, id }, from: { kind: "box", index: g.index } })
    if (g.wanted !== undefined && !nodeOf.has(String(g.wanted))) nodeOf.set(String(g.wanted), id)
  }
  for (const c of cardNodes) {
    const id = allocate(c.wanted, `card-${c.index}`)
    nodes.push({ node: { ...c.node, id }, from: { kind: "card", index: c.index } })
    if (c.wanted !== undefined && !nodeOf.has(String(c.wanted))) nodeOf.set(String(c.wanted), id)
  }

  const types = new Map(input.connectionTypes.map((t) => [String(t["id"]), t]))
  const usedTypes = new Set<string>()
  const typeColours = new Map<string, Converted>()
  const edges: Array<{ edge: CanvasEdge; index: number }> = []
  input.connections.forEach((connection, index) => {
    const id = String(connection["id"] ?? `connection-${index}`)
    const ends = (["start", "end"] as const).map((end) => {
      const field = connection[`${end}ItemId`] !== undefined && connection[`${end}ItemId`] !== null ? `${end}ItemId` : `${end}CardId`
      return { field, value: connection[field], node: nodeOf.get(String(connection[field])) }
    })
    const missing = ends.find((e) => e.node === undefined)
    if (missing !== undefined) {
      notShown.push({
        collection: "connections",
        id,
        field: missing.field,
        reason: `ends at ${JSON.stringify(missing.value) ?? "nothing"}, which is not a card or box on the canvas (removed, a list, or absent); not drawn`
      })
      return
    }
    const typeId = connection["connectionTypeId"]
    const type = typeof typeId === "string" ? types.get(typeId) : undefined
    if (type !== undefined) usedTypes.add(String(typeId))
    const ownName = str(connection["name"])
    const label = ownName !== undefined && ownName !== "" ? ownName : str(type?.["name"])
    let colour: Converted
    if (holdsSomething(connection["color"])) {
      colour = toCanvasHex(connection["color"])
      notShown.push(...colourRows("connections", id, "color", colour))
    } else if (type !== undefined) {
      const key = String(typeId)
      colour = typeColours.get(key) ?? toCanvasHex(type["color"])
      if (!typeColours.has(key)) {
        typeColours.set(key, colour)
        notShown.push(...colourRows("connectionTypes", key, "color", colour))
      }
    } else colour = { _tag: "None" }
    const side = (value: unknown) => (typeof value === "string" && SIDES.includes(value) ? (value as Side) : undefined)
    const fromSide = side(connection["point1Cardinal"])
    const toSide = side(connection["point2Cardinal"])
    const edge: CanvasEdge = {
      id: allocate(connection["id"], `connection-${index}`),
      fromNode: ends[0]?.node ?? "",
      ...(fromSide === undefined ? {} : { fromSide }),
      toNode: ends[1]?.node ?? "",
      ...(toSide === undefined ? {} : { toSide }),
      // The spec's default is an arrow; Kinopio draws one only when asked.
      toEnd: connection["directionIsVisible"] === true ? "arrow" : "none",
      ...hexOf(colour),
      ...(label === undefined || label === "" ? {} : { label })
    }
    edges.push({ edge, index })
  })

  for (const type of input.connectionTypes) {
    if (!usedTypes.has(String(type["id"]))) {
      notShown.push({ collection: "connectionTypes", id: String(type["id"]), field: "*", reason: "no drawn connection uses it; kept in the ferry key" })
    }
  }
  for (const key of ["lists", "lines", "drawingStrokes"]) {
    const n = asArray(space[key]).length
    if (n > 0) notShown.push({ collection: "spaces", id: spaceId, field: key, reason: `${count(n, "item")} with no canvas equivalent; kept in the ferry key` })
  }
  notShown.push(
    ...unshownFields("spaces", spaceId, [space], new Set([...DRAWN.spaces, "lists", "lines", "drawingStrokes"])),
    ...unshownFields("cards", "*", drawnCards.map((c) => c.card), DRAWN.cards, cardColourField),
    ...unshownFields("boxes", "*", boxEntities.map((b) => b.box), DRAWN.boxes),
    ...unshownFields("connections", "*", edges.map((e) => input.connections[e.index] ?? {}), DRAWN.connections),
    ...unshownFields("connectionTypes", "*", input.connectionTypes, DRAWN.connectionTypes)
  )
  if (input.tags.length > 0) {
    notShown.push({ collection: "tags", id: "*", field: "color", reason: `${count(input.tags.length, "tag")}: their colours have no canvas equivalent ([[tags]] stay in the card text); kept in the ferry key` })
  }
  return { nodes, edges, notShown }
}

/**
 * Ferry's extra key. Archives are redacted already; redacting again costs little and keeps a
 * canvas made from live data (or a hand-built input) from ever carrying a key.
 */
export const ferryExtra = (input: SpaceInput): FerryExtra => {
  const clean = (list: ReadonlyArray<Entity> | undefined) => (list ?? []).map((e) => redact(e, []))
  return {
    version: FERRY_VERSION,
    service: "kinopio",
    space: redact(input.space, []),
    cards: clean(input.cards),
    connections: clean(input.connections),
    connectionTypes: clean(input.connectionTypes),
    tags: clean(input.tags),
    removedCards: clean(input.removedCards)
  }
}

/** The canvas of one space, and what a plain canvas reader will not see of it. */
export const spaceToCanvas = (input: SpaceInput): CanvasExport => {
  const layout = layoutSpace(input)
  return {
    canvas: { nodes: layout.nodes.map((n) => n.node), edges: layout.edges.map((e) => e.edge), ferry: ferryExtra(input) },
    notShown: layout.notShown
  }
}
