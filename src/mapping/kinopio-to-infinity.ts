/**
 * Kinopio → Infinity: the spaces of a Kinopio archive as the boards of an Infinity archive,
 * entities shaped exactly as an Infinity backup holds them (context keys `board_id`,
 * `workspace_id` included), so Infinity's restore target re-creates them unchanged. Pure: no
 * request, no clock, no randomness; ids derive from source ids (see ids.ts).
 *
 * | Kinopio                                   | Infinity                                                        |
 * |-------------------------------------------|-----------------------------------------------------------------|
 * | live space                                | board, named after it (a blank name becomes "Untitled space")   |
 * | box                                       | folder: name, colour; geometry and look in `settings.kinopioBox` |
 * | cards in no box                           | folder "Outside boxes"                                          |
 * | card                                      | item, in the folder of the innermost box wholly around it       |
 * | card name (Markdown, `[[tags]]`, `[x]`)   | "Name" text value, verbatim                                     |
 * | card x, y, z, width, height, resizeWidth  | "Kinopio x" … "Kinopio resize width" number values              |
 * | card color, backgroundColor               | "Kinopio color", "Kinopio background color" text values         |
 * | `[x] ` / `[] ` / `[ ] ` at a name's start | "Checked" checkbox value (the name keeps its prefix)            |
 * | tags                                      | "Tags" label values; one label per distinct name + colour       |
 * | connection type                           | reference attribute named after it, `settings.kinopioConnection` {kind "type", name, color} |
 * | connections without a type (current)      | a reference attribute per distinct name + colour, {kind "connection"} |
 * | (the cards a connection ends at)          | the reference attribute's `settings.folderId`: see below         |
 * | connection                                | reference from its start card's item to its end card's item     |
 * | the account                               | one workspace and profile, placeholders (a restore uses the target's) |
 * | removed spaces and cards, connections to boxes, lists, lines, drawings, other fields | listed in `notCarried` |
 *
 * Order on the board: items by position (top to bottom, left to right), folders as the boxes
 * are listed ("Outside boxes" first).
 *
 * `settings.folderId` of a reference attribute: infinity.md shows a reference attribute's
 * settings as `{"folderId": …}` (a folder of the board, dependency-order.md §1.2) and says no
 * more: not that a reference must end at an item of that folder. Each reference attribute names
 * the folder that holds most of the items its connections end at (a tie: the folder first in the
 * board's order); one with no connection names the board's first folder; a board without folders
 * gives none. Connections of one type that end in several folders stay on the one attribute:
 * splitting them into one attribute per folder would make two Kinopio types of one on the way
 * back, for a restriction the docs do not state.
 */
import { COLLECTIONS } from "../archive/collections.ts"
import type { Entity, NotRestored } from "../connector.ts"
import { asArray, isEntity, num, str } from "../shared/entity.ts"
import { shortIdFrom, uuidFrom } from "./ids.ts"
import {
  BOX_SETTINGS,
  CARD_NUMBERS,
  CARD_TEXTS,
  CHECKED_ATTRIBUTE,
  checkboxOf,
  CONNECTION_SETTINGS,
  type ConnectionMark,
  isBlank,
  NAME_ATTRIBUTE,
  OUTSIDE_BOXES,
  TAGS_ATTRIBUTE,
  UNTITLED_BOX,
  UNTITLED_CONNECTION,
  UNTITLED_SPACE
} from "./kinopio-board.ts"
import { boxRect, cardRect, innermostBox, type Rect } from "./layout.ts"
import { NotCarried } from "./not-carried.ts"

/** A Kinopio archive's collections (archive/collections.ts), as read. */
export interface KinopioArchive {
  readonly user?: ReadonlyArray<Entity>
  readonly spaces: ReadonlyArray<Entity>
  readonly removedSpaces?: ReadonlyArray<Entity>
  readonly cards: ReadonlyArray<Entity>
  readonly removedCards?: ReadonlyArray<Entity>
  readonly connections: ReadonlyArray<Entity>
  readonly connectionTypes: ReadonlyArray<Entity>
  readonly tags: ReadonlyArray<Entity>
  readonly favorites?: ReadonlyArray<Entity>
  readonly notifications?: ReadonlyArray<Entity>
}

export type InfinityCollection = (typeof COLLECTIONS.infinity)[number]

export interface ToInfinity {
  /** Every collection of an Infinity archive, empty ones included. */
  readonly collections: Readonly<Record<InfinityCollection, ReadonlyArray<Entity>>>
  readonly notCarried: ReadonlyArray<NotRestored>
}

/** The placeholder workspace and profile: Infinity's restore writes into the target's own. */
const WORKSPACE_ID = 1
const PROFILE_ID = 1
const STEP = 65536

/** Set by Kinopio on everything; an Infinity create sets its own. */
const KINOPIO_SET = {
  fields: new Set([
    "createdAt", "updatedAt", "editedAt", "nameUpdatedAt", "nameUpdatedByUserId", "userId", "ownerUserId", "users",
    "collaborators", "collaboratorKey", "readOnlyKey", "isRemoved", "removedByUserId", "url", "editedByUserId",
    "updateHash", "visits", "isEdited"
  ]),
  reason: "set by Kinopio; Infinity sets its own on create"
}

const SPACE_REASONS: Readonly<Record<string, string>> = {
  lists: "a board has no lists: their cards are carried, as cards outside any list",
  lines: "a board has no dividing lines",
  drawingStrokes: "a board has no drawings",
  drawingImage: "a board has no drawings",
  privacy: "a board has no privacy setting: who sees it is the target workspace's choice"
}
const CARD_REASONS: Readonly<Record<string, string>> = {
  listId: "a board has no lists",
  listPositionIndex: "a board has no lists",
  linkToSpaceId: "a link to another space has no counterpart on a board (the link in the card's text is kept)",
  linkToCardId: "a link to another card has no counterpart on a board (the link in the card's text is kept)",
  isComment: "an item cannot be a comment: the card is carried as an item",
  frameId: "an item has no frame"
}

const carriedCardFields = new Set<string>(["id", "spaceId", "name", ...CARD_NUMBERS.map((f) => f.field), ...CARD_TEXTS.map((f) => f.field)])
const carriedTypeFields = new Set(["id", "spaceId", "name", "color"])
const carriedTagFields = new Set(["id", "spaceId", "cardId", "name", "color"])
const ENDS = ["startCardId", "endCardId", "startItemId", "endItemId"] as const

const idText = (e: Entity): string | undefined => (typeof e["id"] === "string" || typeof e["id"] === "number" ? String(e["id"]) : undefined)

/** Entities with an id, each id once (the first wins); the others are listed. */
const uniqueById = (collection: string, list: ReadonlyArray<Entity>, lost: NotCarried): Array<Entity> => {
  const seen = new Set<string>()
  return list.filter((e) => {
    const id = idText(e)
    if (id === undefined) lost.add(collection, "?", "*", "it has no id")
    else if (seen.has(id)) lost.add(collection, id, "*", "another entity of the archive has the same id")
    else {
      seen.add(id)
      return true
    }
    return false
  })
}

/** By space id, keeping the archive's order. */
const bySpace = (list: ReadonlyArray<Entity>): Map<string, Array<Entity>> => {
  const out = new Map<string, Array<Entity>>()
  for (const e of list) {
    const space = str(e["spaceId"]) ?? ""
    const group = out.get(space)
    if (group === undefined) out.set(space, [e])
    else group.push(e)
  }
  return out
}

const emptyCollections = (): Record<InfinityCollection, Array<Entity>> =>
  Object.fromEntries(COLLECTIONS.infinity.map((c) => [c, []])) as unknown as Record<InfinityCollection, Array<Entity>>

export const kinopioToInfinity = (source: KinopioArchive): ToInfinity => {
  const lost = new NotCarried()
  const out = emptyCollections()

  const userName = str(source.user?.[0]?.["name"])
  if ((source.user ?? []).length > 0) lost.add("user", "*", "*", "a Kinopio account's settings have no place on a board; the target's own profile owns what is created")
  if ((source.favorites ?? []).length > 0) lost.add("favorites", "*", "*", "Infinity has no favorites")
  if ((source.notifications ?? []).length > 0) lost.add("notifications", "*", "*", "notifications are made by the service, not carried")
  out.workspaces.push({ id: WORKSPACE_ID, object: "workspace", name: "Kinopio", photo_url: null, owner_id: PROFILE_ID, deleted: false })
  out.profile.push({
    id: PROFILE_ID, object: "user", name: userName ?? "Kinopio", email: null, photo_url: null, job: null, location: null,
    tagline: null, preferences: [], is_developer: false, deleted: false
  })

  // Only live things become a board's: a restore creates, it does not re-create what was removed.
  for (const s of source.removedSpaces ?? []) lost.entity("removedSpaces", s, "removed in Kinopio: a board is made for a live space only")
  for (const c of source.removedCards ?? []) lost.entity("removedCards", c, "removed in Kinopio: an item is made for a live card only")
  const removedSpaceIds = new Set([...(source.removedSpaces ?? []), ...source.spaces.filter((s) => s["isRemoved"] === true)].map(idText).filter((id) => id !== undefined))
  const spaces = uniqueById("spaces", source.spaces, lost).filter((s) => {
    if (s["isRemoved"] !== true) return true
    lost.entity("spaces", s, "removed in Kinopio: a board is made for a live space only")
    return false
  })
  const spaceIds = new Set(spaces.map((s) => String(s["id"])))

  /** Children of a space that is not carried are listed with the reason. */
  const ofLiveSpace = (collection: string) => (e: Entity) => {
    const space = str(e["spaceId"]) ?? ""
    if (spaceIds.has(space)) return true
    lost.entity(collection, e, removedSpaceIds.has(space) ? `its space ${space} is removed` : `its space ${space || "(none)"} is not in the archive`)
    return false
  }
  const liveCards = uniqueById("cards", source.cards, lost).filter((c) => {
    if (c["isRemoved"] !== true) return true
    lost.entity("cards", c, "removed in Kinopio: an item is made for a live card only")
    return false
  }).filter(ofLiveSpace("cards"))
  const cardsOf = bySpace(liveCards)
  const typesOf = bySpace(uniqueById("connectionTypes", source.connectionTypes, lost).filter(ofLiveSpace("connectionTypes")))
  const connectionsOf = bySpace(uniqueById("connections", source.connections, lost).filter(ofLiveSpace("connections")))
  const tagsOf = bySpace(source.tags.filter(ofLiveSpace("tags")))
  const removedCardIds = new Set([
    ...(source.removedCards ?? []).map(idText),
    ...source.cards.filter((c) => c["isRemoved"] === true).map(idText)
  ].filter((id) => id !== undefined))

  spaces.forEach((space, spaceIndex) => {
    const spaceId = String(space["id"])
    const boardId = shortIdFrom("board", spaceId)
    const scope = { board_id: boardId, workspace_id: WORKSPACE_ID }

    // --- the board -------------------------------------------------------------------------
    const name = str(space["name"])
    if (isBlank(space["name"])) {
      lost.add("spaces", spaceId, "name", `Infinity needs a board name: the board is called "${UNTITLED_SPACE}"`)
    }
    lost.fields("spaces", space, new Set(["id", "name", "boxes"]), KINOPIO_SET, (f) => SPACE_REASONS[f] ?? "a board has no such field")
    out.boards.push({
      id: boardId, object: "board", name: isBlank(name) ? UNTITLED_SPACE : name, sort_order: STEP * (spaceIndex + 1), color: null,
      description: null, og_image: null, user_ids: [], deleted: false, workspace_id: WORKSPACE_ID
    })

    // --- attributes ------------------------------------------------------------------------
    const attributes: Array<Entity> = []
    const attribute = (key: ReadonlyArray<unknown>, name: string, type: string, defaultData: unknown, settings: unknown): string => {
      const id = uuidFrom("attribute", spaceId, ...key)
      attributes.push({ id, object: "attribute", name, type, default_data: defaultData, settings, deleted: false, ...scope })
      return id
    }
    const nameAttribute = attribute(["name"], NAME_ATTRIBUTE, "text", "", [])
    const cards = cardsOf.get(spaceId) ?? []
    const checkedAttribute = cards.some((c) => typeof c["name"] === "string" && checkboxOf(c["name"]) !== undefined)
      ? attribute(["checked"], CHECKED_ATTRIBUTE, "checkbox", false, [])
      : undefined
    const tagsAttributeId = uuidFrom("attribute", spaceId, "tags")
    const referenceStart = attributes.length
    const numbers = CARD_NUMBERS.map((f) => ({ ...f, attribute: attribute(["number", f.field], f.name, "number", 0, { delimiter: "." }) }))
    const texts = CARD_TEXTS.map((f) => ({ ...f, attribute: attribute(["text", f.field], f.name, "text", "", []) }))

    // --- folders: one per box, and one for the cards in none --------------------------------
    const folders: Array<Entity> = []
    const folder = (id: string, name: string, color: unknown, settings: unknown) => {
      folders.push({ id, object: "folder", name, sort_order: 0, color, settings, attribute_ids: [], parent_id: boardId, deleted: false, ...scope })
      return id
    }
    const boxes: Array<{ readonly folder: string; readonly rect: Rect }> = []
    const spaceBoxes = asArray(space["boxes"]).filter((b): b is Entity => {
      if (isEntity(b)) return true
      lost.add("spaces", spaceId, "boxes", "an entry of boxes is not an object")
      return false
    })
    for (const box of uniqueById("boxes", spaceBoxes, lost)) {
      const boxId = String(box["id"])
      const kept: Record<string, unknown> = {}
      for (const [field, value] of Object.entries(box)) {
        if (field === "id" || field === "spaceId" || field === "userId" || field === "createdAt" || field === "updatedAt") continue
        // The folder shows name and colour; the settings keep them only where the folder cannot.
        if (field === "name" && !isBlank(value)) continue
        if (field === "color" && (typeof value === "string" || value === null)) continue
        kept[field] = value
      }
      // Everything but what Kinopio sets itself rides along in the settings.
      lost.fields("boxes", box, new Set(["id", "spaceId", ...Object.keys(kept), "name", "color"]), KINOPIO_SET, () => "a folder has no such field")
      const color = typeof box["color"] === "string" ? box["color"] : null
      const id = folder(shortIdFrom("folder", spaceId, boxId), isBlank(box["name"]) ? UNTITLED_BOX : String(box["name"]), color, { [BOX_SETTINGS]: kept })
      const rect = boxRect(box)
      if (rect !== undefined) boxes.push({ folder: id, rect })
    }
    let outside: string | undefined
    const outsideFolder = () => (outside ??= folder(shortIdFrom("folder", spaceId, "outside-boxes"), OUTSIDE_BOXES, null, []))

    // --- tags → one label per name and colour -----------------------------------------------
    const labels: Array<{ readonly id: string; readonly name: string; readonly color: string | null }> = []
    const labelOf = new Map<string, string>()
    const tagsByCard = new Map<string, Array<string>>()
    const cardIds = new Set(cards.map((c) => String(c["id"])))
    for (const tag of tagsOf.get(spaceId) ?? []) {
      const id = idText(tag) ?? "?"
      const cardId = str(tag["cardId"]) ?? ""
      const tagName = str(tag["name"])
      const color = tag["color"] === undefined || tag["color"] === null ? null : str(tag["color"])
      if (!cardIds.has(cardId)) {
        lost.add("tags", id, "*", removedCardIds.has(cardId) ? `its card ${cardId} is removed` : `its card ${cardId || "(none)"} is not a card of this space`)
        continue
      }
      if (tagName === undefined || tagName === "") {
        lost.add("tags", id, "*", "it has no name")
        continue
      }
      if (color === undefined) lost.add("tags", id, "color", "not a colour (text)")
      const key = JSON.stringify([tagName, color ?? null])
      let label = labelOf.get(key)
      if (label === undefined) {
        label = uuidFrom("label", spaceId, tagName, color ?? null)
        labelOf.set(key, label)
        labels.push({ id: label, name: tagName, color: color ?? null })
      }
      const onCard = tagsByCard.get(cardId) ?? []
      if (onCard.includes(label)) {
        lost.add("tags", id, "*", "the card has this tag already (same name and colour): the label is set once")
        continue
      }
      onCard.push(label)
      tagsByCard.set(cardId, onCard)
      lost.fields("tags", tag, carriedTagFields, KINOPIO_SET, () => "a label has no such field")
    }
    if (labels.length > 0) {
      attributes.splice(referenceStart, 0, {
        id: tagsAttributeId, object: "attribute", name: TAGS_ATTRIBUTE, type: "label", default_data: [],
        settings: { multiple: true, allowNew: true, allowEmpty: true, labels }, deleted: false, ...scope
      })
    }

    // --- connections → references -------------------------------------------------------------
    const references: Array<Entity> = []
    const referenceAttributes: Array<Record<string, unknown>> = [] // settings.folderId is set once the items have folders
    const referenceAttribute = (key: ReadonlyArray<unknown>, mark: ConnectionMark) => {
      const id = uuidFrom("attribute", spaceId, ...key)
      if (!referenceAttributes.some((a) => a["id"] === id)) {
        referenceAttributes.push({
          id, object: "attribute", name: isBlank(mark.name) ? UNTITLED_CONNECTION : mark.name, type: "reference", default_data: [],
          settings: { [CONNECTION_SETTINGS]: mark }, deleted: false, ...scope
        })
      }
      return id
    }
    const types = new Map<string, string>()
    for (const type of typesOf.get(spaceId) ?? []) {
      const typeId = String(type["id"])
      const colorOk = type["color"] === undefined || type["color"] === null || typeof type["color"] === "string"
      if (type["name"] !== undefined && type["name"] !== null && typeof type["name"] !== "string") lost.add("connectionTypes", typeId, "name", "not text")
      if (!colorOk) lost.add("connectionTypes", typeId, "color", "not a colour (text)")
      types.set(typeId, referenceAttribute(["type", typeId], { kind: "type", name: str(type["name"]) ?? null, color: str(type["color"]) ?? null }))
      lost.fields("connectionTypes", type, carriedTypeFields, KINOPIO_SET, () => "a reference attribute has no such field")
    }
    const boxIds = new Set(spaceBoxes.map(idText).filter((id) => id !== undefined))
    const itemId = (cardId: string) => uuidFrom("item", spaceId, cardId)
    for (const connection of connectionsOf.get(spaceId) ?? []) {
      const id = String(connection["id"])
      const start = str(connection["startCardId"]) ?? str(connection["startItemId"])
      const end = str(connection["endCardId"]) ?? str(connection["endItemId"])
      const why = [start, end].map((at) =>
        at === undefined
          ? "it names no card at one end"
          : cardIds.has(at)
          ? undefined
          : boxIds.has(at)
          ? `it ends at box ${at}: an Infinity reference joins two items`
          : removedCardIds.has(at)
          ? `it ends at card ${at}, which is removed`
          : `it ends at ${at}, not a card of this space`
      ).find((w) => w !== undefined)
      if (why !== undefined || start === undefined || end === undefined) {
        lost.add("connections", id, "*", why ?? "it names no card at one end")
        continue
      }
      const typeId = str(connection["connectionTypeId"])
      const typed = typeId === undefined ? undefined : types.get(typeId)
      const attributeId = typed ?? referenceAttribute(
        ["connection", str(connection["name"]) ?? null, str(connection["color"]) ?? null],
        { kind: "connection", name: str(connection["name"]) ?? null, color: str(connection["color"]) ?? null }
      )
      const carried = new Set<string>(["id", "spaceId", ...ENDS, ...(typed === undefined ? ["name", "color"] : ["connectionTypeId"])])
      lost.fields("connections", connection, carried, KINOPIO_SET, (f) =>
        f === "connectionTypeId"
          ? `type ${String(connection[f])} is not a connection type of this space: the connection is carried by its name and colour`
          : f === "name" || f === "color"
          ? "a connection of a type carries the type's name and colour, not its own"
          : "a reference has no such field (it joins two items, nothing more)")
      references.push({
        id: uuidFrom("reference", spaceId, id), object: "reference", attribute_id: attributeId,
        from_item_id: itemId(start), to_item_id: itemId(end), ...scope
      })
    }
    attributes.splice(attributes.findIndex((a) => a["id"] === numbers[0]?.attribute), 0, ...referenceAttributes)

    // --- cards → items ------------------------------------------------------------------------
    const items: Array<Entity> = []
    const ordered = cards.map((card, index) => ({ card, index, rect: cardRect(card) })).sort((a, b) =>
      (a.rect === undefined ? 1 : 0) - (b.rect === undefined ? 1 : 0) ||
      (a.rect !== undefined && b.rect !== undefined ? a.rect.y - b.rect.y || a.rect.x - b.rect.x : 0) ||
      a.index - b.index
    )
    ordered.forEach(({ card, rect }, k) => {
      const cardId = String(card["id"])
      const id = itemId(cardId)
      const values: Array<Entity> = []
      const value = (attributeId: string, data: unknown) =>
        values.push({ id: uuidFrom("value", id, attributeId), object: "value", data, attribute_id: attributeId, item_id: id, deleted: false })
      const text = card["name"]
      if (typeof text === "string") {
        if (text !== "") value(nameAttribute, text)
        const checked = checkboxOf(text)
        if (checked !== undefined && checkedAttribute !== undefined) value(checkedAttribute, checked)
      } else if (text !== undefined && text !== null) lost.add("cards", cardId, "name", "not text")
      const tags = tagsByCard.get(cardId)
      if (tags !== undefined) value(tagsAttributeId, tags)
      for (const f of numbers) {
        const n = num(card[f.field])
        if (n !== undefined) value(f.attribute, n)
        else if (card[f.field] !== undefined && card[f.field] !== null) lost.add("cards", cardId, f.field, "not a number")
      }
      for (const f of texts) {
        const t = card[f.field]
        if (typeof t === "string" && t !== "") value(f.attribute, t)
        else if (t !== undefined && t !== null && t !== "") lost.add("cards", cardId, f.field, "not text")
      }
      lost.fields("cards", card, carriedCardFields, KINOPIO_SET, (f) =>
        CARD_REASONS[f] ?? (f.startsWith("urlPreview") || f.startsWith("shouldHideUrlPreview") ? "Infinity makes no link previews" : "an item has no such field"))
      const box = rect === undefined ? undefined : innermostBox(rect, boxes)
      items.push({
        id, object: "item", folder_id: box?.folder ?? outsideFolder(), parent_id: null, sort_order: STEP * (k + 1),
        values, deleted: false, ...scope
      })
    })

    // "Outside boxes" first, then the boxes as the space lists them; every folder shows every attribute.
    const attributeIds = attributes.map((a) => a["id"])
    const sortedFolders = [...folders.filter((f) => f["id"] === outside), ...folders.filter((f) => f["id"] !== outside)]
    out.folders.push(...sortedFolders.map((f, i) => ({ ...f, sort_order: STEP * (i + 1), attribute_ids: attributeIds })))

    // Each reference attribute's folder: where most of its connections end.
    const folderOfItem = new Map(items.map((i) => [i["id"], String(i["folder_id"])]))
    const folderRank = new Map(sortedFolders.map((f, i) => [String(f["id"]), i]))
    // Per attribute, how many of its references end in each folder.
    const endsOf = new Map<unknown, Map<string, number>>()
    for (const r of references) {
      const folderId = folderOfItem.get(r["to_item_id"])
      if (folderId === undefined) continue
      const ends = endsOf.get(r["attribute_id"]) ?? new Map<string, number>()
      ends.set(folderId, (ends.get(folderId) ?? 0) + 1)
      endsOf.set(r["attribute_id"], ends)
    }
    for (const a of referenceAttributes) {
      const ends = endsOf.get(a["id"]) ?? new Map<string, number>()
      const chosen = [...ends].sort(([f, n], [g, m]) => m - n || (folderRank.get(f) ?? 0) - (folderRank.get(g) ?? 0))[0]?.[0] ??
        (sortedFolders[0] === undefined ? undefined : String(sortedFolders[0]["id"]))
      if (chosen !== undefined) a["settings"] = { folderId: chosen, ...(a["settings"] as Entity) }
    }
    out.attributes.push(...attributes)
    out.items.push(...items)
    out.references.push(...references)
  })

  return { collections: out, notCarried: lost.list() }
}
