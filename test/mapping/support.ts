/**
 * Generators of hostile archives for both services, views of a Kinopio archive "modulo ids",
 * and the integrity checks the mapping properties share.
 */
import fc from "fast-check"
import type { Entity, NotRestored } from "../../src/connector.ts"
import { boxRect, cardRect, innermostBox, type Rect } from "../../src/mapping/layout.ts"
import type { InfinityArchive } from "../../src/mapping/infinity-to-kinopio.ts"
import { holdsSomething } from "../../src/shared/entity.ts"
import { tagNamesIn } from "../../src/kinopio/sandbox-seed.ts"

type Mutable = Record<string, unknown>
export type Collections = Readonly<Record<string, ReadonlyArray<Entity>>>

// ---------------------------------------------------------------------------------------------
// Hostile values

export const hostileText = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 24 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.constantFrom(
    "", " ", "[x] done", "[] todo [[seeds]]", "[ ] spaced [[compost]]", "[X] caps", "[]", "# Heading\n> quote **b** *i*",
    "<script>alert(1)</script> & \"q\" 'a'", "((a comment))", "line one\nline two\n\nline four", "[[a]] [[b]] [[a]]",
    "`code` ~~s~~ [t](https://x.test/?a=1&b=2)", "🚀👩🏽‍🚀 🇯🇵 مرحبا", "]]> \u0000 \u202E\u0007", "Tags: [[x]]", "Name", "Kinopio x"
  )
)
const coordinate = fc.double({ min: -100, max: 700, noNaN: true, noDefaultInfinity: true })
const extent = fc.double({ min: 0, max: 300, noNaN: true, noDefaultInfinity: true })
const color = fc.option(fc.constantFrom("#ff0000", "rgb(1, 2, 3)", "#c9a6ff", "red", ""), { nil: null })
const tagColor = fc.constantFrom("#a5d6a7", "rgb(206, 147, 216)", null)

// ---------------------------------------------------------------------------------------------
// Kinopio archives

const boxSpec = fc.record({
  nested: fc.boolean(),
  x: coordinate, y: coordinate, w: fc.double({ min: 20, max: 600, noNaN: true, noDefaultInfinity: true }),
  h: fc.double({ min: 20, max: 600, noNaN: true, noDefaultInfinity: true }),
  name: hostileText, color, fill: fc.constantFrom("filled", "empty"), isTodo: fc.boolean()
})
const cardSpec = fc.record({
  name: hostileText,
  placed: fc.constantFrom("free", "in-box", "nowhere"),
  box: fc.nat(), fx: fc.double({ min: 0, max: 1, noNaN: true }), fy: fc.double({ min: 0, max: 1, noNaN: true }),
  x: coordinate, y: coordinate, z: fc.option(fc.integer({ min: -5, max: 50 }), { nil: undefined }),
  width: fc.option(extent, { nil: null }), height: fc.option(extent, { nil: null }),
  resizeWidth: fc.option(extent, { nil: undefined }), color, backgroundColor: color,
  tagColors: fc.array(tagColor, { maxLength: 4 }), duplicateTag: fc.boolean(),
  tilt: fc.option(fc.double({ min: -5, max: 5, noNaN: true }), { nil: undefined }),
  isLocked: fc.boolean(), urlPreviewUrl: fc.option(fc.constant("https://example.com/a?b=<1>"), { nil: undefined }),
  unknownField: fc.option(hostileText, { nil: undefined })
})
const typeSpec = fc.record({ name: hostileText, color, defaultPathCurve: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }) })
const connectionSpec = fc.record({
  kind: fc.constantFrom("legacy", "current", "current", "to-box", "missing-type", "to-removed"),
  start: fc.nat(), end: fc.nat(), self: fc.boolean(), type: fc.nat(),
  name: fc.option(hostileText, { nil: null }), color,
  directionIsVisible: fc.boolean(), path: fc.option(fc.constant("m1,2 q3,4 5,6"), { nil: undefined })
})
const spaceSpec = fc.record({
  suffix: fc.string({ unit: "grapheme-ascii", maxLength: 6 }),
  name: hostileText,
  privacy: fc.constantFrom("open", "closed", "private"),
  boxes: fc.array(boxSpec, { maxLength: 3 }),
  cards: fc.array(cardSpec, { maxLength: 6 }),
  types: fc.array(typeSpec, { maxLength: 2 }),
  connections: fc.array(connectionSpec, { maxLength: 5 }),
  removedCard: fc.boolean(),
  lists: fc.boolean()
})

export interface KinopioSource {
  readonly user: ReadonlyArray<Entity>
  readonly spaces: ReadonlyArray<Entity>
  readonly removedSpaces: ReadonlyArray<Entity>
  readonly cards: ReadonlyArray<Entity>
  readonly removedCards: ReadonlyArray<Entity>
  readonly connections: ReadonlyArray<Entity>
  readonly connectionTypes: ReadonlyArray<Entity>
  readonly tags: ReadonlyArray<Entity>
}

/** A Kinopio archive: empty spaces, overlapping and nested boxes, self connections, connections to boxes and removed cards, hostile text. */
export const kinopioArchive: fc.Arbitrary<KinopioSource> = fc.record({
  spaces: fc.array(spaceSpec, { maxLength: 3 }),
  removedSpace: fc.boolean()
}).map(({ removedSpace, spaces: specs }) => {
  const spaces: Array<Entity> = [], cards: Array<Entity> = [], removedCards: Array<Entity> = [], connections: Array<Entity> = []
  const connectionTypes: Array<Entity> = [], tags: Array<Entity> = []
  specs.forEach((spec, s) => {
    const spaceId = `sp${s}-${spec.suffix}`
    const boxes: Array<Mutable> = []
    spec.boxes.forEach((b, k) => {
      const outer = boxes[k - 1]
      // A nested box sits inside the one before it.
      const geometry = b.nested && outer !== undefined
        ? { x: (outer["x"] as number) + 5, y: (outer["y"] as number) + 5, resizeWidth: (outer["resizeWidth"] as number) / 2, resizeHeight: (outer["resizeHeight"] as number) / 2 }
        : { x: b.x, y: b.y, resizeWidth: b.w, resizeHeight: b.h }
      boxes.push({
        id: `${spaceId}-box${k}`, spaceId, userId: "u1", name: b.name, ...geometry, z: k, color: b.color, fill: b.fill,
        isTodo: b.isTodo, headerFontSize: "m", createdAt: "2024-01-01T00:00:00.000Z"
      })
    })
    spaces.push({
      id: spaceId, name: spec.name, privacy: spec.privacy, ownerUserId: "u1", url: "x", createdAt: "2024-01-01T00:00:00.000Z",
      boxes, lists: spec.lists ? [{ id: `${spaceId}-list`, name: "a list" }] : [], lines: [], drawingStrokes: []
    })
    const cardIds: Array<string> = []
    spec.cards.forEach((c, j) => {
      const id = `${spaceId}-card${j}`
      const box = boxes.length === 0 ? undefined : boxes[c.box % boxes.length]
      const width = c.width ?? 0, height = c.height ?? 0
      const at = c.placed === "nowhere"
        ? { x: null, y: null }
        : c.placed === "in-box" && box !== undefined
        ? {
          x: (box["x"] as number) + c.fx * Math.max(0, (box["resizeWidth"] as number) - width),
          y: (box["y"] as number) + c.fy * Math.max(0, (box["resizeHeight"] as number) - height)
        }
        : { x: c.x, y: c.y }
      const card: Mutable = {
        id, spaceId, userId: "u1", name: c.name, ...at, width: c.width, height: c.height, color: c.color, backgroundColor: c.backgroundColor,
        isRemoved: false, isLocked: c.isLocked, createdAt: "2024-01-01T00:00:00.000Z"
      }
      for (const [field, value] of Object.entries({ z: c.z, resizeWidth: c.resizeWidth, tilt: c.tilt, urlPreviewUrl: c.urlPreviewUrl, "weird field": c.unknownField })) {
        if (value !== undefined) card[field] = value
      }
      cards.push(card)
      cardIds.push(id)
      tagNamesIn(c.name).forEach((name, t) => {
        const tag = { id: `${id}-tag${t}`, name, color: c.tagColors[t] ?? "#a5d6a7", cardId: id, spaceId, userId: "u1" }
        tags.push(tag)
        if (c.duplicateTag && t === 0) tags.push({ ...tag, id: `${id}-tag${t}-again` })
      })
    })
    if (spec.removedCard) {
      removedCards.push({ id: `${spaceId}-removed`, spaceId, name: "gone [[seeds]]", x: 1, y: 1, isRemoved: true })
      tags.push({ id: `${spaceId}-removed-tag`, name: "seeds", color: "#a5d6a7", cardId: `${spaceId}-removed`, spaceId })
    }
    const typeIds = spec.types.map((t, k) => {
      const id = `${spaceId}-type${k}`
      connectionTypes.push({ id, spaceId, name: t.name, color: t.color, userId: "u1", ...(t.defaultPathCurve === undefined ? {} : { defaultPathCurve: t.defaultPathCurve }) })
      return id
    })
    spec.connections.forEach((c, k) => {
      if (cardIds.length === 0) return
      const start = cardIds[c.start % cardIds.length]!
      const end = c.kind === "to-box" && boxes.length > 0
        ? String(boxes[c.end % boxes.length]!["id"])
        : c.kind === "to-removed"
        ? `${spaceId}-removed`
        : c.self ? start : cardIds[c.end % cardIds.length]!
      const id = `${spaceId}-conn${k}`
      const extra = { directionIsVisible: c.directionIsVisible, ...(c.path === undefined ? {} : { path: c.path }), userId: "u1" }
      const typeId = typeIds.length === 0 ? undefined : typeIds[c.type % typeIds.length]
      if (c.kind === "legacy" && typeId !== undefined) connections.push({ id, spaceId, startCardId: start, endCardId: end, connectionTypeId: typeId, ...extra })
      else if (c.kind === "missing-type") connections.push({ id, spaceId, startCardId: start, endCardId: end, connectionTypeId: "no-such-type", ...extra })
      else connections.push({ id, spaceId, startItemId: start, endItemId: end, name: c.name, color: c.color, ...extra })
    })
  })
  const removedSpaces: Array<Entity> = []
  if (removedSpace) {
    removedSpaces.push({ id: "removed-space", name: "Old", isRemoved: true, boxes: [] })
    cards.push({ id: "removed-space-card", spaceId: "removed-space", name: "in a removed space", x: 0, y: 0 })
  }
  return { user: [{ id: "u1", name: "zoë", apiKey: "secret" }], spaces, removedSpaces, cards, removedCards, connections, connectionTypes, tags }
})

// ---------------------------------------------------------------------------------------------
// A Kinopio archive "modulo ids"

const j = (v: unknown) => JSON.stringify(v) ?? "undefined"
const orNull = (v: unknown) => (v === undefined ? null : v)
const sorted = (list: ReadonlyArray<string>) => [...list].sort()

/** What is listed as not carried: whole entities by collection, fields by collection and id. */
export const listed = (rows: ReadonlyArray<NotRestored>) => {
  const whole = new Set(rows.filter((r) => r.field === "*").map((r) => `${r.collection}\u0000${r.id}`))
  const has = (collection: string, id: string, field = "*") =>
    whole.has(`${collection}\u0000${id}`) || rows.some((r) => r.collection === collection && (r.id === id || r.id === "*") && (r.field === field || r.field === "*"))
  return { whole: (collection: string, id: unknown) => whole.has(`${collection}\u0000${String(id)}`), has }
}

const CARD_FIELDS = ["name", "x", "y", "z", "width", "height", "resizeWidth", "color", "backgroundColor"] as const
const BOX_SERVER = new Set(["id", "spaceId", "userId", "createdAt", "updatedAt"])

/** A card as plain values: what it is (`key`: text, size, colours) and where (`at`: position, and the box it sits in). */
export interface CardView {
  readonly key: string
  /** Undefined for a card with no position: the way back may give it any place outside the boxes. */
  readonly at: string | undefined
}

/**
 * Each space as plain values: its name, boxes, cards (with the box they sit in), connections
 * (ends, type or label and colour, generation), connection types and tags. Ids only link things.
 */
export const kinopioView = (a: Collections, skip: ReturnType<typeof listed> = listed([])) =>
  (a["spaces"] ?? []).map((space) => {
    const spaceId = space["id"]
    const boxes = ((space["boxes"] ?? []) as ReadonlyArray<Entity>).map((b) => {
      const fields = Object.fromEntries(Object.entries(b).filter(([k]) => !BOX_SERVER.has(k)).sort(([x], [y]) => (x < y ? -1 : 1)))
      return { id: b["id"], view: j({ ...fields, color: orNull(b["color"]) }), rect: boxRect(b) }
    })
    const geometric = boxes.flatMap((b) => (b.rect === undefined ? [] : [{ view: b.view, rect: b.rect as Rect }]))
    const cards = (a["cards"] ?? []).filter((c) => c["spaceId"] === spaceId && c["isRemoved"] !== true && !skip.whole("cards", c["id"]))
    // An empty colour is no colour: either service may leave it out.
    const field = (c: Entity, f: (typeof CARD_FIELDS)[number]) => (f === "name" ? (c[f] ?? "") : c[f] === "" ? null : orNull(c[f]))
    const cardView = new Map(cards.map((c): [unknown, CardView] => {
      const rect = cardRect(c)
      const box = rect === undefined ? undefined : innermostBox(rect, geometric)
      return [c["id"], {
        key: j(CARD_FIELDS.filter((f) => f !== "x" && f !== "y").map((f) => field(c, f))),
        at: rect === undefined ? undefined : j([rect.x, rect.y, box?.view ?? null])
      }]
    }))
    const spaceConnections = (a["connections"] ?? []).filter((c) => c["spaceId"] === spaceId && !skip.whole("connections", c["id"]))
    // A connection that carries its own name or colour (the current generation) shows those, whatever type it also names.
    const labelled = (c: Entity) => "name" in c || "color" in c
    // A type that only such connections name stands in for their label (the docs require a type): not a type of its own.
    const standIns = new Set([...new Set(spaceConnections.map((c) => c["connectionTypeId"]))].filter((id) =>
      id !== undefined && spaceConnections.every((c) => c["connectionTypeId"] !== id || labelled(c))))
    const types = new Map((a["connectionTypes"] ?? []).filter((t) => t["spaceId"] === spaceId && !skip.whole("connectionTypes", t["id"]) && !standIns.has(t["id"])).map((t) => [t["id"], t]))
    const end = (id: unknown) => cardView.get(id)?.key ?? boxes.find((b) => b.id === id)?.view ?? `missing ${String(id)}`
    const connections = spaceConnections.map((c) => {
      const type = labelled(c) ? undefined : types.get(c["connectionTypeId"])
      return j([
        end(c["startCardId"] ?? c["startItemId"]),
        end(c["endCardId"] ?? c["endItemId"]),
        type === undefined ? ["connection", orNull(c["name"]), orNull(c["color"])] : ["type", orNull(type["name"]), orNull(type["color"])]
      ])
    })
    const tags = (a["tags"] ?? []).filter((t) => t["spaceId"] === spaceId && cardView.has(t["cardId"]) && !skip.whole("tags", t["id"]))
      .map((t) => j([cardView.get(t["cardId"])?.key, t["name"], orNull(t["color"])]))
    return {
      name: skip.has("spaces", String(spaceId), "name") ? "(listed)" : space["name"],
      boxes: sorted(boxes.map((b) => b.view)),
      cards: [...cardView.values()],
      connections: sorted(connections),
      connectionTypes: sorted([...types.values()].map((t) => j([orNull(t["name"]), orNull(t["color"])]))),
      tags: sorted(tags)
    }
  })

/**
 * The cards of the source found in the result: a placed card at the same place in the same
 * box; a card with no place anywhere outside the boxes. What is left over on either side.
 */
export const unmatchedCards = (source: ReadonlyArray<CardView>, result: ReadonlyArray<CardView>) => {
  const left = [...result]
  const missing: Array<CardView> = []
  const take = (found: number, card: CardView) => (found < 0 ? missing.push(card) : left.splice(found, 1))
  for (const card of source.filter((c) => c.at !== undefined)) take(left.findIndex((r) => r.key === card.key && r.at === card.at), card)
  for (const card of source.filter((c) => c.at === undefined)) {
    take(left.findIndex((r) => r.key === card.key && r.at !== undefined && (JSON.parse(r.at) as Array<unknown>)[2] === null), card)
  }
  return { missing, extra: left }
}

/**
 * Fields of the source's carried entities that hold something and are neither part of the view
 * (so compared) nor listed: dropped silently. Should be none.
 */
export const silentlyDropped = (source: KinopioSource, rows: ReadonlyArray<NotRestored>): Array<string> => {
  const l = listed(rows)
  const out: Array<string> = []
  const check = (collection: string, list: ReadonlyArray<Entity>, compared: (e: Entity) => ReadonlySet<string>) => {
    for (const e of list) {
      if (l.whole(collection, e["id"])) continue
      for (const [field, value] of Object.entries(e)) {
        if (holdsSomething(value) && !compared(e).has(field) && !l.has(collection, String(e["id"]), field)) out.push(`${collection} ${String(e["id"])} ${field}`)
      }
    }
  }
  const typed = new Set(source.connectionTypes.map((t) => t["id"]))
  check("spaces", source.spaces, () => new Set(["id", "name", "boxes"]))
  check("cards", source.cards, () => new Set(["id", "spaceId", ...CARD_FIELDS]))
  check("connectionTypes", source.connectionTypes, () => new Set(["id", "spaceId", "name", "color"]))
  check("tags", source.tags, () => new Set(["id", "spaceId", "cardId", "name", "color"]))
  check("connections", source.connections, (c) =>
    new Set(["id", "spaceId", "startCardId", "endCardId", "startItemId", "endItemId", ...(typed.has(c["connectionTypeId"]) ? ["connectionTypeId"] : ["name", "color"])]))
  check("boxes", source.spaces.flatMap((s) => (s["boxes"] ?? []) as ReadonlyArray<Entity>), (b) => new Set(Object.keys(b).filter((k) => !BOX_SERVER.has(k) || k === "id" || k === "spaceId")))
  return out
}

// ---------------------------------------------------------------------------------------------
// Integrity

const duplicates = (list: ReadonlyArray<unknown>) => list.filter((x, i) => list.indexOf(x) !== i)

/** Every id once per collection, and every link pointing at something of the same board. */
export const infinityProblems = (c: Collections): Array<string> => {
  const problems: Array<string> = []
  for (const [collection, list] of Object.entries(c)) {
    for (const id of duplicates(list.map((e) => e["id"]))) problems.push(`${collection}: id ${String(id)} twice`)
  }
  const boards = new Set((c["boards"] ?? []).map((b) => b["id"]))
  const at = (collection: string) => new Map((c[collection] ?? []).map((e) => [e["id"], e]))
  const folders = at("folders"), attributes = at("attributes"), items = at("items")
  const sameBoard = (what: string, e: Entity, other: Entity | undefined) => {
    if (other === undefined) problems.push(`${what}: missing`)
    else if (other["board_id"] !== e["board_id"]) problems.push(`${what}: on another board`)
  }
  for (const f of folders.values()) {
    if (!boards.has(f["board_id"]) || f["parent_id"] !== f["board_id"]) problems.push(`folder ${String(f["id"])}: not on its board`)
    for (const a of f["attribute_ids"] as ReadonlyArray<string>) sameBoard(`folder ${String(f["id"])} attribute ${a}`, f, attributes.get(a))
  }
  for (const a of attributes.values()) {
    if (!boards.has(a["board_id"])) problems.push(`attribute ${String(a["id"])}: no board`)
    const labels = (((a["settings"] as Entity | undefined)?.["labels"] ?? []) as ReadonlyArray<Entity>).map((l) => l["id"])
    for (const id of duplicates(labels)) problems.push(`attribute ${String(a["id"])}: label ${String(id)} twice`)
  }
  const valueIds: Array<unknown> = []
  for (const i of items.values()) {
    sameBoard(`item ${String(i["id"])} folder`, i, folders.get(i["folder_id"]))
    const values = i["values"] as ReadonlyArray<Entity>
    for (const id of duplicates(values.map((v) => v["attribute_id"]))) problems.push(`item ${String(i["id"])}: two values of ${String(id)}`)
    for (const v of values) {
      valueIds.push(v["id"])
      const a = attributes.get(v["attribute_id"])
      sameBoard(`item ${String(i["id"])} value attribute`, i, a)
      if (v["item_id"] !== i["id"]) problems.push(`value ${String(v["id"])}: item_id is not its item`)
      if (a?.["type"] === "label") {
        const labels = new Set((((a["settings"] as Entity)["labels"]) as ReadonlyArray<Entity>).map((l) => l["id"]))
        for (const l of v["data"] as ReadonlyArray<unknown>) if (!labels.has(l)) problems.push(`item ${String(i["id"])}: unknown label ${String(l)}`)
      }
      if (a?.["type"] === "number" && (typeof v["data"] !== "number" || !Number.isFinite(v["data"]))) problems.push(`item ${String(i["id"])}: number value ${String(v["data"])}`)
      if (a?.["type"] === "checkbox" && typeof v["data"] !== "boolean") problems.push(`item ${String(i["id"])}: checkbox value ${String(v["data"])}`)
      if (a?.["type"] === "text" && typeof v["data"] !== "string") problems.push(`item ${String(i["id"])}: text value ${String(v["data"])}`)
    }
  }
  for (const id of duplicates(valueIds)) problems.push(`value id ${String(id)} twice`)
  for (const r of c["references"] ?? []) {
    const a = attributes.get(r["attribute_id"])
    sameBoard(`reference ${String(r["id"])} attribute`, r, a)
    if (a !== undefined && a["type"] !== "reference") problems.push(`reference ${String(r["id"])}: attribute is not a reference`)
    sameBoard(`reference ${String(r["id"])} from`, r, items.get(r["from_item_id"]))
    sameBoard(`reference ${String(r["id"])} to`, r, items.get(r["to_item_id"]))
  }
  // Names Infinity refuses blank.
  for (const e of [...(c["boards"] ?? []), ...folders.values(), ...attributes.values()]) {
    if (typeof e["name"] !== "string" || e["name"].trim() === "") problems.push(`${String(e["object"])} ${String(e["id"])}: blank name`)
  }
  return problems
}

export const kinopioProblems = (c: Collections): Array<string> => {
  const problems: Array<string> = []
  for (const [collection, list] of Object.entries(c)) {
    for (const id of duplicates(list.map((e) => e["id"]))) problems.push(`${collection}: id ${String(id)} twice`)
  }
  const spaces = new Map((c["spaces"] ?? []).map((s) => [s["id"], s]))
  const boxIds = new Map([...spaces.values()].flatMap((s) => ((s["boxes"] ?? []) as ReadonlyArray<Entity>).map((b) => [b["id"], s["id"]] as const)))
  for (const id of duplicates([...spaces.values()].flatMap((s) => ((s["boxes"] ?? []) as ReadonlyArray<Entity>).map((b) => b["id"])))) problems.push(`box ${String(id)} twice`)
  const cards = new Map((c["cards"] ?? []).map((card) => [card["id"], card]))
  const types = new Map((c["connectionTypes"] ?? []).map((t) => [t["id"], t]))
  for (const card of cards.values()) {
    if (!spaces.has(card["spaceId"])) problems.push(`card ${String(card["id"])}: no space`)
    if (typeof card["name"] !== "string") problems.push(`card ${String(card["id"])}: name is not text`)
    if ((card["name"] as string).length > 4000) problems.push(`card ${String(card["id"])}: name over 4,000 characters`)
    if (!Number.isFinite(card["x"]) || !Number.isFinite(card["y"])) problems.push(`card ${String(card["id"])}: no position`)
  }
  for (const t of types.values()) if (!spaces.has(t["spaceId"])) problems.push(`type ${String(t["id"])}: no space`)
  for (const conn of c["connections"] ?? []) {
    for (const key of ["startCardId", "endCardId", "startItemId", "endItemId"]) {
      const id = conn[key]
      if (id === undefined) continue
      const space = cards.get(id)?.["spaceId"] ?? boxIds.get(id)
      if (space !== conn["spaceId"]) problems.push(`connection ${String(conn["id"])}: ${key} ${String(id)} is not a card or box of its space`)
    }
    if ((conn["startCardId"] ?? conn["startItemId"]) === undefined || (conn["endCardId"] ?? conn["endItemId"]) === undefined) {
      problems.push(`connection ${String(conn["id"])}: an end is missing`)
    }
    if (conn["connectionTypeId"] !== undefined && types.get(conn["connectionTypeId"])?.["spaceId"] !== conn["spaceId"]) {
      problems.push(`connection ${String(conn["id"])}: type is not of its space`)
    }
  }
  for (const tag of c["tags"] ?? []) {
    if (cards.get(tag["cardId"])?.["spaceId"] !== tag["spaceId"]) problems.push(`tag ${String(tag["id"])}: card is not of its space`)
  }
  for (const s of spaces.values()) if (!["open", "closed", "private"].includes(String(s["privacy"]))) problems.push(`space ${String(s["id"])}: privacy`)
  return problems
}

// ---------------------------------------------------------------------------------------------
// Infinity archives (boards not made from Kinopio)

/** Deleted now and then, not half the time: a generated board should mostly hold something. */
const sometimes = fc.integer({ min: 0, max: 5 }).map((n) => n === 0)

const itemSpec = fc.record({
  folder: fc.nat(), parent: fc.option(fc.nat(), { nil: null }), deleted: sometimes, order: fc.oneof(fc.integer(), fc.constant(null)),
  title: fc.option(hostileText, { nil: undefined }), notes: fc.option(hostileText, { nil: undefined }),
  done: fc.option(fc.boolean(), { nil: undefined }), amount: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
  labels: fc.subarray([0, 1, 2]), files: fc.boolean(), deletedValue: sometimes, extra: fc.option(hostileText, { nil: undefined })
})
const boardSpec = fc.record({
  name: hostileText.filter((n) => n.trim() !== ""),
  description: fc.option(hostileText, { nil: null }),
  deleted: sometimes,
  folders: fc.array(fc.record({ name: hostileText, nested: fc.boolean(), deleted: sometimes, color: color }), { minLength: 1, maxLength: 4 }),
  items: fc.array(itemSpec, { maxLength: 7 }),
  references: fc.array(fc.record({ from: fc.nat(), to: fc.nat() }), { maxLength: 5 }),
  comments: fc.array(fc.record({ item: fc.nat(), text: hostileText, deleted: sometimes, reply: fc.boolean() }), { maxLength: 5 }),
  labelNames: fc.tuple(hostileText, hostileText, hostileText)
})

/** Boards of every value type: nested and deleted folders, sub-items, cycles of parents, references, comments. */
export const infinityArchive: fc.Arbitrary<InfinityArchive> = fc.array(boardSpec, { maxLength: 3 }).map((specs) => {
  const boards: Array<Entity> = [], folders: Array<Entity> = [], attributes: Array<Entity> = [], items: Array<Entity> = []
  const references: Array<Entity> = [], comments: Array<Entity> = []
  specs.forEach((spec, b) => {
    const boardId = `board${b}`
    const scope = { board_id: boardId, workspace_id: 1 }
    boards.push({ id: boardId, object: "board", name: spec.name, description: spec.description, color: "#4eb4f9", sort_order: "65536.000", user_ids: [], deleted: spec.deleted, workspace_id: 1 })
    const attribute = (key: string, name: string, type: string, settings: unknown = []) => {
      attributes.push({ id: `${boardId}-${key}`, object: "attribute", name, type, default_data: null, settings, deleted: false, ...scope })
      return `${boardId}-${key}`
    }
    const title = attribute("title", "Title", "text")
    const notes = attribute("notes", "Notes", "longtext")
    const done = attribute("done", "Done", "checkbox")
    const amount = attribute("amount", "Amount", "number", { delimiter: "." })
    const labels = spec.labelNames.map((name, k) => ({ id: `${boardId}-label${k}`, name, color: "#92F3EC" }))
    const priority = attribute("priority", "Priority", "label", { multiple: true, labels })
    const files = attribute("files", "Files", "attachments")
    const related = attribute("related", "Related", "reference", { folderId: null })
    attributes.push({ id: `${boardId}-gone`, object: "attribute", name: "Gone", type: "text", deleted: true, ...scope })
    const folderIds: Array<string> = []
    spec.folders.forEach((f, k) => {
      const id = `${boardId}-folder${k}`
      const parent = f.nested && k > 0 ? folderIds[k - 1]! : boardId
      folders.push({
        id, object: "folder", name: f.name, color: f.color, sort_order: String(k * 1000), settings: [], parent_id: parent,
        attribute_ids: [title, done, priority, notes, amount, files, related], deleted: f.deleted, ...scope
      })
      folderIds.push(id)
    })
    const itemIds: Array<string> = []
    spec.items.forEach((i, k) => {
      if (folderIds.length === 0) return
      const id = `${boardId}-item${k}`
      const values: Array<Entity> = []
      const value = (attributeId: string, data: unknown, deleted = false) =>
        values.push({ id: `${id}-${attributeId}`, object: "value", data, attribute_id: attributeId, item_id: id, deleted })
      if (i.title !== undefined) value(title, i.title)
      if (i.notes !== undefined) value(notes, i.notes)
      if (i.done !== undefined) value(done, i.done)
      if (i.amount !== undefined) value(amount, i.amount)
      if (i.labels.length > 0) value(priority, i.labels.map((l) => labels[l]!.id))
      if (i.files) value(files, [{ id: 7 }])
      if (i.deletedValue) value(`${boardId}-gone`, "old")
      items.push({
        id, object: "item", folder_id: folderIds[i.folder % folderIds.length], parent_id: i.parent === null || itemIds.length === 0 ? null : itemIds[i.parent % itemIds.length],
        sort_order: i.order, values, deleted: i.deleted, created_at: "2024-01-01T00:00:00.000000Z",
        ...(i.extra === undefined ? {} : { icon: i.extra }), ...scope
      })
      itemIds.push(id)
    })
    // A cycle of parents, which the API would refuse but an archive may still hold.
    if (items.length >= 2 && specs.length % 2 === 1) {
      const [first, second] = [items[items.length - 2]!, items[items.length - 1]!]
      if (first["board_id"] === boardId && second["board_id"] === boardId) {
        items[items.length - 2] = { ...first, parent_id: second["id"] }
        items[items.length - 1] = { ...second, parent_id: first["id"] }
      }
    }
    spec.references.forEach((r, k) => {
      if (itemIds.length === 0) return
      references.push({ id: `${boardId}-ref${k}`, object: "reference", attribute_id: related, from_item_id: itemIds[r.from % itemIds.length], to_item_id: itemIds[r.to % itemIds.length], ...scope })
    })
    spec.comments.forEach((c, k) => {
      if (itemIds.length === 0) return
      comments.push({
        id: `${boardId}-comment${k}`, object: "comment", parent_id: c.reply && k > 0 ? `${boardId}-comment${k - 1}` : null, text: `<p>${c.text}</p>`,
        created_at: `2024-01-0${1 + (k % 9)}T00:00:00.000000Z`, created_by: 1302, deleted: c.deleted, item_id: itemIds[c.item % itemIds.length], ...scope
      })
    })
  })
  return {
    boards, folders, attributes, items, references, comments,
    users: [{ id: 1302, object: "user", name: "Damian <b>Peterson</b>", email: "d@example.com" }],
    attachments: [{ id: 7, original_name: "beach.png" }]
  }
})
