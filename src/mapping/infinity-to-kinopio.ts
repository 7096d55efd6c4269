/**
 * Infinity → Kinopio: the boards of an Infinity archive as the spaces of a Kinopio archive,
 * entities shaped as a Kinopio backup holds them (space records carry `boxes`; cards,
 * connections, connection types and tags each carry `spaceId`), so Kinopio's restore target
 * re-creates them unchanged. Pure: no request, no clock, no randomness; ids derive from source
 * ids (see ids.ts).
 *
 * | Infinity                                  | Kinopio                                                           |
 * |-------------------------------------------|-------------------------------------------------------------------|
 * | board                                     | space (private), named after it                                   |
 * | board description                         | a card at the top left                                            |
 * | folder (nested ones flattened, "Parent / Child") | box, with the folder's name and colour, boxes side by side |
 * | item                                      | card in its folder's box, in a grid ordered by sort_order, sub-items after their parent |
 * | first text value                          | the card's first line (its title)                                 |
 * | first checkbox value                      | `[x] ` / `[] ` at the start of the card                           |
 * | other values                              | lines "Attribute: value" (displayValue), after the title          |
 * | label values                              | `[[label]]` in that line, and tags (label name and colour)        |
 * | reference                                 | connection, of a connection type named after the reference attribute |
 * | sub-item (parent_id)                      | connection "Sub-item" from the parent's card to the child's        |
 * | positions and sizes                       | whole numbers: Kinopio documents x, y, z, width, height as Integer |
 * | comment                                   | `((comment))` card beside its item's card, "Author: text"         |
 * | text past Kinopio's 4,000 characters (item, comment, description) | cut there, listed in `notCarried` |
 * | deleted entities, views, hooks, attachment files, threading, other fields | listed in `notCarried` |
 *
 * A board made from a Kinopio space (kinopio-board.ts: it has "Kinopio x" and "Kinopio y")
 * comes back as that space: cards at their saved position, size and colours, "Name" as the
 * card's text verbatim, "Checked" setting its checkbox, "Tags" labels as tags, boxes with their
 * saved geometry (or drawn around their cards when the folder lost it), connection types and
 * connections of either generation as they were. Items added on the board in Infinity get the
 * grid, below what has a place.
 *
 * Every connection carries what the documented API requires and reads (`connectionTypeId`, and
 * its ends as `startCardId`/`endCardId`), and the ends again as `startItemId`/`endItemId`, which
 * the current service uses (kinopio-in-practice.md). A connection of the current generation
 * (its own name and colour, no type) also gets a type: one per distinct name and colour in the
 * space, with that name and colour, so a docs-following service takes it too.
 */
import { COLLECTIONS } from "../archive/collections.ts"
import type { Entity, NotRestored } from "../connector.ts"
import { htmlToText } from "../formats/html-text.ts"
import type { BoardContext } from "../infinity/values.ts"
import { asArray, asEntity, holdsSomething, num, str } from "../shared/entity.ts"
import { cardText, cut, type KinopioRoles, MAX_NAME, type Tag } from "./card-text.ts"
import { nanoIdFrom } from "./ids.ts"
import {
  BOX_SETTINGS,
  boxSettingsOf,
  CARD_NUMBERS,
  CARD_TEXTS,
  CHECKED_ATTRIBUTE,
  connectionMarkOf,
  findAttribute,
  isKinopioBoard,
  NAME_ATTRIBUTE,
  OUTSIDE_BOXES,
  TAGS_ATTRIBUTE,
  UNTITLED_BOX
} from "./kinopio-board.ts"
import {
  BOX_GAP,
  BOX_HEADER,
  BOX_PADDING,
  boxAround,
  boxRect,
  bounds,
  CARD_WIDTH,
  cardHeight,
  cardRect,
  connectionPath,
  GAP,
  grid,
  innermostBox,
  ORIGIN,
  type Point,
  type Rect
} from "./layout.ts"
import { NotCarried } from "./not-carried.ts"

/** An Infinity archive's collections (archive/collections.ts), as read. */
export interface InfinityArchive {
  readonly profile?: ReadonlyArray<Entity>
  readonly workspaces?: ReadonlyArray<Entity>
  readonly users?: ReadonlyArray<Entity>
  readonly boards: ReadonlyArray<Entity>
  readonly folders: ReadonlyArray<Entity>
  readonly attributes: ReadonlyArray<Entity>
  readonly views?: ReadonlyArray<Entity>
  readonly items: ReadonlyArray<Entity>
  readonly comments?: ReadonlyArray<Entity>
  readonly references?: ReadonlyArray<Entity>
  readonly attachments?: ReadonlyArray<Entity>
  readonly hooks?: ReadonlyArray<Entity>
}

export type KinopioCollection = (typeof COLLECTIONS.kinopio)[number]

export interface ToKinopio {
  /** Every collection of a Kinopio archive, empty ones included. */
  readonly collections: Readonly<Record<KinopioCollection, ReadonlyArray<Entity>>>
  readonly notCarried: ReadonlyArray<NotRestored>
}

const SUB_ITEM = "Sub-item"
const INFINITY_SET = {
  fields: new Set(["created_at", "created_by", "updated_at", "updated_by", "sort_order"]),
  reason: "set by Infinity: Kinopio sets its own on create (an order becomes a position)"
}
/** Context keys and fields every Infinity entity has that say nothing of its content. */
const FRAME = ["id", "object", "deleted", "board_id", "workspace_id"] as const
const VALUE_FIELDS = new Set(["id", "object", "data", "attribute_id", "item_id", "attribute", "deleted"])

const idText = (e: Entity): string | undefined => (typeof e["id"] === "string" || typeof e["id"] === "number" ? String(e["id"]) : undefined)
const sid = (value: unknown): string | undefined => (typeof value === "string" || typeof value === "number" ? String(value) : undefined)
const isDeleted = (e: Entity) => e["deleted"] === true || (e["deleted_at"] !== undefined && e["deleted_at"] !== null)
const order = (value: unknown) => {
  const n = Number(value)
  return value === null || value === undefined || value === "" || !Number.isFinite(n) ? Number.POSITIVE_INFINITY : n
}
/** By sort_order (a number or a decimal string), the archive's order on a tie. */
const bySortOrder = (list: ReadonlyArray<Entity>): Array<Entity> =>
  list.map((e, index) => ({ e, index })).sort((x, y) => order(x.e["sort_order"]) - order(y.e["sort_order"]) || x.index - y.index).map(({ e }) => e)

/** Fields of a Kinopio box that name its own or another entity: the mapping sets them, never saved settings. */
const BOX_IDENTITY = new Set(["id", "spaceId", "userId"])

const emptyCollections = (): Record<KinopioCollection, Array<Entity>> =>
  Object.fromEntries(COLLECTIONS.kinopio.map((c) => [c, []])) as unknown as Record<KinopioCollection, Array<Entity>>

// ---------------------------------------------------------------------------------------------
// One board

/** A card being made: its text and fields, then its place. */
interface Card {
  readonly id: string
  readonly name: string
  /** Kinopio fields from the board's "Kinopio …" attributes (made from Kinopio only). */
  readonly fields: Readonly<Record<string, unknown>>
  /** True once it has a place: its saved one (made from Kinopio), or one the layout gives it. */
  positioned: boolean
  /** True when the layout gave it its place (none was saved, or the saved one no longer fits). */
  laidOut?: boolean
  rect?: Rect
  readonly comments: Array<{ readonly id: string; readonly name: string }>
}

interface Folder {
  readonly id: string
  readonly entity: Entity
  /** Nested folders flattened: "Parent / Child". */
  readonly name: string
  readonly color: unknown
  /** The box fields a Kinopio space left in the folder's settings. */
  readonly saved: Entity | undefined
  /** False for "Outside boxes" on a board made from Kinopio: its cards sit in no box. */
  readonly isBox: boolean
  readonly cards: Array<Card>
  box?: { x: number; y: number; resizeWidth: number; resizeHeight: number }
}

interface Board {
  readonly board: Entity
  readonly folders: ReadonlyArray<Entity>
  readonly attributes: ReadonlyArray<Entity>
  readonly items: ReadonlyArray<Entity>
  readonly references: ReadonlyArray<Entity>
  readonly comments: ReadonlyArray<Entity>
}

interface Shared {
  readonly lost: NotCarried
  readonly userNames: ReadonlyMap<string, string>
  readonly attachments: ReadonlyMap<string, Entity>
}

/** The roles of a board made from a Kinopio space; undefined for any other board. */
const rolesOf = (attributes: ReadonlyArray<Entity>): KinopioRoles | undefined => {
  if (!isKinopioBoard(attributes)) return undefined
  const fields = new Map<string, string>()
  for (const f of CARD_NUMBERS) {
    const a = findAttribute(attributes, f.name, "number")
    if (a !== undefined) fields.set(String(a["id"]), f.field)
  }
  for (const f of CARD_TEXTS) {
    const a = findAttribute(attributes, f.name, "text")
    if (a !== undefined) fields.set(String(a["id"]), f.field)
  }
  return {
    name: findAttribute(attributes, NAME_ATTRIBUTE, "text"),
    checked: findAttribute(attributes, CHECKED_ATTRIBUTE, "checkbox"),
    tags: findAttribute(attributes, TAGS_ATTRIBUTE, "label"),
    fields
  }
}

/** Live folders, parents first; a nested one is a box of its own, named after its path. */
const flattenFolders = (boardId: string, list: ReadonlyArray<Entity>, fromKinopio: boolean, lost: NotCarried): Array<Folder> => {
  const live = new Map<string, Entity>()
  for (const f of list) {
    if (isDeleted(f)) lost.entity("folders", f, "deleted in Infinity (with its items)")
    else live.set(String(f["id"]), f)
  }
  const out: Array<Folder> = []
  const visit = (f: Entity, path: ReadonlyArray<string>, seen: ReadonlySet<string>) => {
    const id = String(f["id"])
    const name = str(f["name"]) ?? ""
    const saved = fromKinopio ? boxSettingsOf(f) : undefined
    out.push({ id, entity: f, name: [...path, name].join(" / "), color: f["color"] ?? null, saved, isBox: saved !== undefined || !fromKinopio || name !== OUTSIDE_BOXES, cards: [] })
    const other = Object.keys(asEntity(f["settings"]) ?? {}).filter((k) => !(k === BOX_SETTINGS && saved !== undefined))
    if (other.length > 0) lost.add("folders", id, "settings", `a box has no such settings (${other.join(", ")})`)
    lost.fields("folders", f, new Set([...FRAME, "name", "color", "settings", "parent_id", "attribute_ids"]), INFINITY_SET, () => "a box has no such field")
    const children = bySortOrder([...live.values()].filter((c) => sid(c["parent_id"]) === id && !seen.has(String(c["id"]))))
    for (const child of children) visit(child, [...path, name], new Set([...seen, String(child["id"])]))
  }
  const tops = bySortOrder([...live.values()].filter((f) => {
    const parent = sid(f["parent_id"])
    return parent === undefined || parent === boardId || !live.has(parent)
  }))
  for (const f of tops) {
    const parent = sid(f["parent_id"])
    if (parent !== undefined && parent !== boardId) {
      lost.add("folders", String(f["id"]), "parent_id", `its parent folder ${parent} is not carried: the folder becomes a box of its own`)
    }
    visit(f, [], new Set([String(f["id"])]))
  }
  return out
}

/** An item's live values by attribute id; the others listed. */
const valuesOf = (item: Entity, attributes: ReadonlyMap<string, Entity>, lost: NotCarried): Map<string, Entity> => {
  const itemId = String(item["id"])
  const values = new Map<string, Entity>()
  for (const [index, raw] of asArray(item["values"]).entries()) {
    const value = asEntity(raw)
    if (value === undefined) {
      if (holdsSomething(raw)) lost.add("items", itemId, `values[${index}]`, "not a value object: nothing of it is carried")
      continue
    }
    const attributeId = sid(value["attribute_id"]) ?? ""
    const where = `values.${attributeId}`
    if (isDeleted(value)) lost.add("items", itemId, where, "deleted in Infinity")
    else if (!attributes.has(attributeId)) lost.add("items", itemId, where, `its attribute ${attributeId || "(none)"} is not carried`)
    else if (values.has(attributeId)) {
      if (JSON.stringify(value["data"]) !== JSON.stringify(values.get(attributeId)?.["data"]) && holdsSomething(value["data"])) {
        lost.add("items", itemId, where, "the item has another value of this attribute: the card shows the first")
      }
    } else {
      values.set(attributeId, value)
      for (const field of Object.keys(value)) {
        if (!VALUE_FIELDS.has(field) && holdsSomething(value[field])) lost.add("items", itemId, `${where}.${field}`, "a card has no such field")
      }
    }
  }
  return values
}

/**
 * Places every card and box. Saved geometry first (boxes and cards of a Kinopio space), then a
 * box drawn around the cards of a folder that lost its own, then what has no place: new cards
 * in a grid below their box's cards, folders with no geometry as boxes side by side to the
 * right of everything, cards in no box below everything.
 */
const layOut = (folders: ReadonlyArray<Folder>, placed: Array<Rect>): void => {
  const size = (card: Card) => ({ width: num(card.fields["width"]) ?? CARD_WIDTH, height: num(card.fields["height"]) ?? cardHeight(card.name) })
  const saved = folders.flatMap((f) => {
    const rect = f.saved === undefined ? undefined : boxRect(f.saved)
    return rect === undefined ? [] : [{ folder: f, rect }]
  })
  for (const { folder, rect } of saved) {
    folder.box = { x: rect.x, y: rect.y, resizeWidth: rect.width, resizeHeight: rect.height }
    placed.push(rect)
  }
  for (const folder of folders) {
    const wanted = saved.some((b) => b.folder === folder) ? folder : undefined
    for (const card of folder.cards) {
      if (!card.positioned) continue
      // Membership as the way there decided it (a card with no size is a point); a card moved
      // to another folder in Infinity would sit in the wrong box at its old place: it gets a new one.
      const member = cardRect(card.fields)
      if (member === undefined || innermostBox(member, saved)?.folder !== wanted) {
        card.positioned = false
        continue
      }
      card.rect = { x: member.x, y: member.y, ...size(card) }
      placed.push(card.rect)
    }
  }
  const boxRectOf = (box: NonNullable<Folder["box"]>) => ({ x: box.x, y: box.y, width: box.resizeWidth, height: box.resizeHeight })
  for (const folder of folders) {
    const around = bounds(folder.cards.flatMap((c) => (c.positioned && c.rect !== undefined ? [c.rect] : [])))
    if (!folder.isBox || folder.box !== undefined || around === undefined) continue
    folder.box = boxAround(around)
    placed.push(boxRectOf(folder.box))
  }
  const place = (cards: ReadonlyArray<Card>, origin: Point) => {
    const g = grid(cards.map((c) => ({ height: size(c).height, comments: c.comments.map((m) => cardHeight(m.name)) })), origin)
    cards.forEach((card, i) => {
      const at = g.placed[i]!
      card.rect = { x: at.x, y: at.y, ...size(card) }
      card.positioned = true
      card.laidOut = true
      placed.push(card.rect)
    })
    return g
  }
  for (const folder of folders) {
    const box = folder.box
    const loose = folder.cards.filter((c) => !c.positioned)
    if (box === undefined || loose.length === 0) continue
    const below = Math.max(box.y + BOX_HEADER, ...folder.cards.flatMap((c) => (c.positioned && c.rect !== undefined ? [c.rect.y + c.rect.height + GAP] : [])))
    const g = place(loose, { x: box.x + BOX_PADDING, y: below })
    box.resizeWidth = Math.max(box.resizeWidth, g.width + 2 * BOX_PADDING)
    box.resizeHeight = Math.max(box.resizeHeight, below + g.height + BOX_PADDING - box.y)
  }
  const top = placed.length === 0 ? ORIGIN.y : Math.min(...placed.map((r) => r.y))
  for (const folder of folders) {
    if (!folder.isBox || folder.box !== undefined) continue
    const x = placed.length === 0 ? ORIGIN.x : Math.max(...placed.map((r) => r.x + r.width)) + BOX_GAP
    const origin = { x: x + BOX_PADDING, y: top + BOX_HEADER }
    const g = place(folder.cards, origin)
    folder.box = boxAround({ ...origin, width: g.width, height: g.height })
    placed.push(boxRectOf(folder.box))
  }
  const loose = folders.flatMap((f) => f.cards.filter((c) => !c.positioned))
  if (loose.length > 0) {
    const x = placed.length === 0 ? ORIGIN.x : Math.min(...placed.map((r) => r.x))
    const y = placed.length === 0 ? ORIGIN.y : Math.max(...placed.map((r) => r.y + r.height)) + BOX_GAP
    place(loose, { x, y })
  }
}

/**
 * Kinopio documents a card's x and y as Integer: where the layout places a card, it is on whole
 * pixels. A place or size saved from Kinopio goes back exactly as it was: Kinopio itself gave it,
 * and the way back must give the space that was.
 */
const pixel = (value: number) => Math.round(value) + 0 // + 0: never -0
const wholeCardRect = (card: Card): Rect =>
  card.laidOut === true ? { ...card.rect!, x: pixel(card.rect!.x), y: pixel(card.rect!.y) } : card.rect!

const boardToSpace = (input: Board, shared: Shared) => {
  const { board } = input
  const { lost } = shared
  const boardId = String(board["id"])
  const spaceId = nanoIdFrom("space", boardId)
  lost.fields("boards", board, new Set([...FRAME, "name", "description"]), INFINITY_SET, (f) =>
    f === "user_ids" ? "a space's collaborators cannot be added by a restore" : "a space has no such field")

  const attributes = input.attributes.filter((a) => {
    if (!isDeleted(a)) return true
    lost.entity("attributes", a, "deleted in Infinity (with its values)")
    return false
  })
  const attributeById = new Map(attributes.map((a) => [String(a["id"]), a]))
  const roles = rolesOf(attributes)
  const context: BoardContext = { attributes: attributeById, userNames: shared.userNames, itemTitles: new Map(), references: new Map() }
  const folders = flattenFolders(boardId, input.folders, roles !== undefined, lost)
  const folderById = new Map(folders.map((f) => [f.id, f]))

  // --- items → cards, sub-items right after their parent --------------------------------------------
  const live = new Map<string, Entity>()
  for (const item of input.items) {
    const folder = sid(item["folder_id"]) ?? ""
    if (isDeleted(item)) lost.entity("items", item, "deleted in Infinity (with its comments)")
    else if (!folderById.has(folder)) lost.entity("items", item, `its folder ${folder || "(none)"} is not carried`)
    else if (live.has(String(item["id"]))) lost.entity("items", item, "another item of the board has the same id")
    else live.set(String(item["id"]), item)
  }
  const cardOf = new Map<string, Card>()
  const tags: Array<Entity> = []
  let rendered = false
  for (const folder of folders) {
    const shown = [...new Set([
      ...asArray(folder.entity["attribute_ids"]).map((id) => attributeById.get(String(id))).filter((a) => a !== undefined),
      ...attributes
    ])]
    const items = [...live.values()].filter((i) => sid(i["folder_id"]) === folder.id)
    const here = new Set(items.map((i) => String(i["id"])))
    const childrenOf = (parent: string | undefined) =>
      bySortOrder(items.filter((i) => (parent === undefined ? !here.has(sid(i["parent_id"]) ?? "") : sid(i["parent_id"]) === parent)))
    const walk = (item: Entity) => {
      const itemId = String(item["id"])
      if (cardOf.has(itemId)) return
      lost.fields("items", item, new Set([...FRAME, "folder_id", "parent_id", "values"]), INFINITY_SET, () => "a card has no such field")
      const text = cardText({ itemId, values: valuesOf(item, attributeById, lost), attributes: shown, roles, context, attachments: shared.attachments }, lost)
      rendered ||= text.rendered
      const cardId = nanoIdFrom("card", itemId)
      tags.push(...text.tags.map((t: Tag) => ({ id: nanoIdFrom("tag", itemId, t.attributeId, t.labelId), name: t.name, color: t.color, cardId, spaceId })))
      const card: Card = {
        id: cardId, name: text.name, fields: text.fields, comments: [],
        positioned: num(text.fields["x"]) !== undefined && num(text.fields["y"]) !== undefined
      }
      folder.cards.push(card)
      cardOf.set(itemId, card)
      for (const child of childrenOf(itemId)) walk(child)
    }
    for (const item of childrenOf(undefined)) walk(item)
    // Parents in a cycle are nobody's children: they still become cards.
    for (const item of bySortOrder(items)) walk(item)
  }

  // --- comments → ((comment)) cards, oldest first -------------------------------------------------------
  const comments = input.comments.map((c, index) => ({ c, index })).sort((a, b) => {
    const x = str(a.c["created_at"]) ?? "", y = str(b.c["created_at"]) ?? ""
    return x < y ? -1 : x > y ? 1 : a.index - b.index
  }).map(({ c }) => c)
  for (const comment of comments) {
    const item = sid(comment["item_id"]) ?? ""
    const card = cardOf.get(item)
    if (isDeleted(comment)) lost.entity("comments", comment, "deleted in Infinity")
    else if (card === undefined) lost.entity("comments", comment, `its item ${item || "(none)"} is not carried`)
    else {
      const commentId = idText(comment) ?? "?"
      if (comment["parent_id"] !== null && comment["parent_id"] !== undefined) {
        lost.add("comments", commentId, "parent_id", "Kinopio has no replies: the reply is a comment card of the item like the others")
      }
      lost.fields("comments", comment, new Set([...FRAME, "item_id", "text", "created_by", "parent_id"]), INFINITY_SET, () => "a card has no such field")
      const authorId = sid(comment["created_by"])
      const author = shared.userNames.get(authorId ?? "")
      if (author === undefined && authorId !== undefined) {
        lost.add("comments", commentId, "created_by", `its author ${authorId} is not among the archive's users: the comment card names no author`)
      }
      if (holdsSomething(comment["text"]) && typeof comment["text"] !== "string") lost.add("comments", commentId, "text", "not text: a card holds only text")
      // `((…))` makes a Kinopio comment card; a `))` inside would end it early.
      const text = `${author === undefined ? "" : `${author}: `}${htmlToText(str(comment["text"]) ?? "").replace(/\)\)/g, ") )")}`
      // Cut inside the brackets, so that what is left is still a comment card.
      const room = MAX_NAME - "(())".length
      if (text.length > room) lost.add("comments", commentId, "text", "the comment card's text is cut to Kinopio's 4,000 characters")
      card.comments.push({ id: nanoIdFrom("comment", commentId), name: `((${cut(text, room)}))` })
    }
  }

  // --- places, then the space's entities --------------------------------------------------------------
  const placed: Array<Rect> = []
  const cards: Array<Entity> = []
  const description = str(board["description"])
  if (holdsSomething(board["description"]) && description === undefined) lost.add("boards", boardId, "description", "not text: a card holds only text")
  if (description !== undefined && description.trim() !== "") {
    if (description.length > MAX_NAME) lost.add("boards", boardId, "description", "the description card's text is cut to Kinopio's 4,000 characters")
    const name = cut(description)
    const rect = { ...ORIGIN, width: CARD_WIDTH, height: cardHeight(name) }
    placed.push(rect)
    cards.push({ ...rect, id: nanoIdFrom("description", boardId), spaceId, name })
  }
  layOut(folders, placed)
  for (const folder of folders) {
    for (const card of folder.cards) card.rect = wholeCardRect(card)
  }
  for (const folder of folders) {
    for (const card of folder.cards) {
      const rect = card.rect!
      const { fields } = card
      // A card from Kinopio keeps the size it had (or none); the others get the one they were laid out with.
      const sized = roles === undefined ? { width: rect.width, height: rect.height } : {
        ...(num(fields["width"]) === undefined ? {} : { width: rect.width }),
        ...(num(fields["height"]) === undefined ? {} : { height: rect.height })
      }
      // Fields from the board first: nothing saved there can stand for the card's id, space or text.
      cards.push({ ...fields, id: card.id, spaceId, name: card.name, x: rect.x, y: rect.y, ...sized })
      let y = rect.y
      for (const comment of card.comments) {
        const height = cardHeight(comment.name)
        cards.push({ id: comment.id, spaceId, name: comment.name, x: rect.x + rect.width + GAP, y, width: CARD_WIDTH, height, isComment: true, commentIsVisible: true })
        y += height + GAP
      }
    }
  }
  const boxes = folders.filter((f) => f.isBox && f.box !== undefined).map((f) => {
    const saved = f.saved ?? {}
    // The folder shows the box's name and colour, but for a blank name Infinity would not take.
    const name = "name" in saved && f.name === UNTITLED_BOX ? saved["name"] : f.name
    // The saved fields first, and none that would make the box another one (its id, space or owner).
    const kept = Object.fromEntries(Object.entries(saved).filter(([field, value]) => {
      if (!BOX_IDENTITY.has(field)) return true
      if (holdsSomething(value)) lost.add("folders", f.id, `settings.${BOX_SETTINGS}.${field}`, "the box gets the id Ferry gives it, in the space it is restored to: a saved one is not kept")
      return false
    }))
    return { ...kept, id: nanoIdFrom("box", f.id), name, color: "color" in saved ? saved["color"] : f.color, ...f.box }
  })
  const space = { id: spaceId, name: str(board["name"]) ?? "", privacy: "private", boxes }
  return { space, cards, tags, rendered, ...connectionsOf(input, spaceId, attributeById, cardOf, live, lost) }
}

/** References, and sub-items joined to their parent, as connections of this space. */
const connectionsOf = (
  input: Board,
  spaceId: string,
  attributeById: ReadonlyMap<string, Entity>,
  cardOf: ReadonlyMap<string, Card>,
  live: ReadonlyMap<string, Entity>,
  lost: NotCarried
) => {
  const boardId = String(input.board["id"])
  const path = (from: Card, to: Card) => connectionPath(from.rect!, to.rect!)
  const types = new Map<string, Entity>()
  /** The type under `key` (an attribute id, "sub-item", or a name and colour), made on first use. */
  const typeOf = (key: ReadonlyArray<unknown>, name: unknown, color: unknown) => {
    const id = nanoIdFrom("connectionType", boardId, ...key)
    if (!types.has(id)) types.set(id, { id, spaceId, name, color })
    return id
  }
  // Both pairs of ends: the documented one, and the one the current service reads.
  const ends = (from: Card, to: Card) => ({ startCardId: from.id, endCardId: to.id, startItemId: from.id, endItemId: to.id })
  // A space's connection types come back whether or not a connection uses them.
  for (const a of attributeById.values()) {
    const mark = connectionMarkOf(a)
    if (a["type"] === "reference" && mark?.kind === "type") typeOf([String(a["id"])], mark.name, mark.color)
  }
  const connections: Array<Entity> = []
  for (const reference of input.references) {
    const attribute = attributeById.get(sid(reference["attribute_id"]) ?? "")
    const from = cardOf.get(sid(reference["from_item_id"]) ?? "")
    const to = cardOf.get(sid(reference["to_item_id"]) ?? "")
    if (isDeleted(reference)) lost.entity("references", reference, "deleted in Infinity")
    else if (attribute === undefined || attribute["type"] !== "reference") {
      lost.entity("references", reference, `its attribute ${String(reference["attribute_id"])} is not a carried reference attribute`)
    } else if (from === undefined || to === undefined) {
      const missing = from === undefined ? reference["from_item_id"] : reference["to_item_id"]
      lost.entity("references", reference, `item ${String(missing)} is not carried (deleted, or on another board: a connection stays within a space)`)
    } else {
      lost.fields("references", reference, new Set([...FRAME, "attribute_id", "from_item_id", "to_item_id"]), INFINITY_SET, () => "a connection has no such field")
      const mark = connectionMarkOf(attribute)
      const base = { id: nanoIdFrom("connection", boardId, idText(reference) ?? "?"), spaceId }
      if (mark?.kind === "type") {
        connections.push({ ...base, ...ends(from, to), connectionTypeId: typeOf([String(attribute["id"])], mark.name, mark.color), path: path(from, to) })
      } else if (mark?.kind === "connection") {
        // Its own label, as the current service shows it; and, as the docs require one, a type of that name and colour.
        connections.push({
          ...base, ...ends(from, to), connectionTypeId: typeOf(["connection", mark.name, mark.color], mark.name, mark.color),
          name: mark.name, color: mark.color, path: path(from, to)
        })
      } else {
        // Both generations: a current reader takes the label, a documented one the type.
        const name = attribute["name"] ?? null
        connections.push({
          ...base, ...ends(from, to), connectionTypeId: typeOf([String(attribute["id"])], name, null), name, color: null,
          directionIsVisible: true, path: path(from, to)
        })
      }
    }
  }
  for (const [itemId, item] of live) {
    const parent = sid(item["parent_id"])
    if (parent === undefined) continue
    const from = cardOf.get(parent), to = cardOf.get(itemId)
    if (from === undefined || to === undefined) {
      lost.add("items", itemId, "parent_id", `its parent item ${parent} is not carried`)
      continue
    }
    connections.push({
      id: nanoIdFrom("sub-item", boardId, itemId), spaceId, ...ends(from, to),
      connectionTypeId: typeOf(["sub-item"], SUB_ITEM, null), name: SUB_ITEM, color: null, directionIsVisible: true, path: path(from, to)
    })
  }
  return { connectionTypes: [...types.values()], connections }
}

// ---------------------------------------------------------------------------------------------
// The archive

export const infinityToKinopio = (source: InfinityArchive): ToKinopio => {
  const lost = new NotCarried()
  const out = emptyCollections()
  const whole = (collection: string, list: ReadonlyArray<Entity> | undefined, reason: string) => {
    if ((list ?? []).length > 0) lost.add(collection, "*", "*", reason)
  }
  whole("profile", source.profile, "a Kinopio space belongs to the account it is restored into")
  whole("workspaces", source.workspaces, "Kinopio has no workspaces: each board becomes a space of the target account")
  whole("users", source.users, "Kinopio spaces are created by the target account: people appear only as names in card text")
  whole("views", source.views, "Kinopio has no views: a space shows everything")
  whole("hooks", source.hooks, "Kinopio has no webhooks")
  whole("attachments", source.attachments, "file bytes are not carried: attachment values become file names in card text")

  const userNames = new Map<string, string>()
  for (const u of [...(source.users ?? []), ...(source.profile ?? [])]) {
    const id = sid(u["id"])
    if (id !== undefined) userNames.set(id, str(u["name"]) ?? str(u["email"]) ?? id)
  }
  const attachments = new Map((source.attachments ?? []).flatMap((a) => {
    const id = sid(a["id"])
    return id === undefined ? [] : [[id, a] as const]
  }))

  const boards: Array<Entity> = []
  const boardIds = new Set<string>()
  for (const b of source.boards) {
    const id = idText(b)
    if (id === undefined) lost.add("boards", "?", "*", "it has no id")
    else if (boardIds.has(id)) lost.add("boards", id, "*", "another board of the archive has the same id")
    else if (isDeleted(b)) lost.entity("boards", b, "deleted in Infinity (with everything on it)")
    else {
      boardIds.add(id)
      boards.push(b)
    }
  }
  const deletedBoards = new Set(source.boards.filter(isDeleted).map(idText))
  /** Each collection by live board; what lives on no live board is listed. */
  const onBoards = (collection: string, list: ReadonlyArray<Entity>) => {
    const byBoard = new Map<string, Array<Entity>>()
    for (const e of list) {
      const board = sid(e["board_id"]) ?? ""
      if (!boardIds.has(board)) {
        lost.entity(collection, e, deletedBoards.has(board) ? `its board ${board} is deleted` : `its board ${board || "(none)"} is not in the archive`)
        continue
      }
      const group = byBoard.get(board)
      if (group === undefined) byBoard.set(board, [e])
      else group.push(e)
    }
    return (board: string) => byBoard.get(board) ?? []
  }
  const folders = onBoards("folders", source.folders)
  const attributes = onBoards("attributes", source.attributes)
  const items = onBoards("items", source.items)
  const references = onBoards("references", source.references ?? [])
  const comments = onBoards("comments", source.comments ?? [])

  let rendered = false
  for (const board of boards) {
    const id = String(board["id"])
    const space = boardToSpace(
      { board, folders: folders(id), attributes: attributes(id), items: items(id), references: references(id), comments: comments(id) },
      { lost, userNames, attachments }
    )
    out.spaces.push(space.space)
    out.cards.push(...space.cards)
    out.tags.push(...space.tags)
    out.connectionTypes.push(...space.connectionTypes)
    out.connections.push(...space.connections)
    rendered ||= space.rendered
  }
  if (rendered) lost.add("attributes", "*", "*", "values become lines of card text (\"Attribute: value\"); attribute types, settings and defaults are not kept")
  return { collections: out, notCarried: lost.list() }
}
