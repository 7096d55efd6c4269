/**
 * An Infinity item as the text of a Kinopio card: a card holds only text (and its place and
 * colours), so the item's values become lines a person reads, and label values become tags.
 * On a board made from a Kinopio space, the "Name", "Checked", "Tags" and "Kinopio …"
 * attributes are the card's own fields again instead (kinopio-board.ts).
 */
import type { Entity } from "../connector.ts"
import { type BoardContext, displayValue } from "../infinity/values.ts"
import { asArray, asEntity, num, str } from "../shared/entity.ts"
import { CARD_NUMBERS, withCheckbox } from "./kinopio-board.ts"
import type { NotCarried } from "./not-carried.ts"
import { holdsSomething } from "../shared/entity.ts"

/** Kinopio's longest card name. */
export const MAX_NAME = 4000

/** The attributes of a board made from a Kinopio space that hold a card's own fields. */
export interface KinopioRoles {
  readonly name: Entity | undefined
  readonly checked: Entity | undefined
  readonly tags: Entity | undefined
  /** Attribute id → the card field it holds (x, y, color...). */
  readonly fields: ReadonlyMap<string, string>
}

export interface Tag {
  readonly attributeId: string
  readonly labelId: string
  readonly name: string
  readonly color: unknown
}

export interface CardText {
  readonly name: string
  /** Card fields from the roles' attributes (boards made from Kinopio only). */
  readonly fields: Readonly<Record<string, unknown>>
  readonly tags: ReadonlyArray<Tag>
  /** Some value became a line of text (its attribute's type and settings stay behind). */
  readonly rendered: boolean
}

/** A label name as a Kinopio tag: `[[…]]` holds no brackets and no line break. */
export const tagName = (name: string): string => name.replace(/\[/g, "(").replace(/\]/g, ")").replace(/\s+/g, " ").trim()

/** Text cut to `room` characters (Kinopio's limit unless told), never inside a surrogate pair. */
export const cut = (text: string, room: number = MAX_NAME): string =>
  text.length <= room ? text : text.slice(0, /[\uD800-\uDBFF]/.test(text[room - 1] ?? "") ? room - 1 : room)

const sid = (value: unknown): string | undefined => (typeof value === "string" || typeof value === "number" ? String(value) : undefined)

export interface CardTextInput {
  readonly itemId: string
  /** The item's live values, by attribute id. */
  readonly values: ReadonlyMap<string, Entity>
  /** The attributes in the order the item's folder shows them, then the board's others. */
  readonly attributes: ReadonlyArray<Entity>
  /** Present on a board made from a Kinopio space. */
  readonly roles: KinopioRoles | undefined
  readonly context: BoardContext
  /** Attachment records by id, for file names. */
  readonly attachments: ReadonlyMap<string, Entity>
}

export const cardText = (input: CardTextInput, lost: NotCarried): CardText => {
  const { attributes, itemId, roles, values } = input
  const data = (attribute: Entity | undefined) => (attribute === undefined ? undefined : values.get(String(attribute["id"]))?.["data"])
  const tags: Array<Tag> = []
  const labelsOf = (attribute: Entity, value: unknown) => {
    const known = new Map(asArray(asEntity(attribute["settings"])?.["labels"]).flatMap((l) => {
      const label = asEntity(l)
      return label === undefined ? [] : [[sid(label["id"]) ?? "", label] as const]
    }))
    return asArray(value).flatMap((raw) => {
      const label = known.get(sid(raw) ?? "")
      if (label !== undefined) return [{ attributeId: String(attribute["id"]), labelId: sid(raw) ?? "", name: str(label["name"]) ?? "", color: label["color"] ?? null }]
      lost.add("items", itemId, `values.${String(attribute["id"])}`, `label ${String(raw)} is not among the attribute's labels`)
      return []
    })
  }

  const fields: Record<string, unknown> = {}
  const consumed = new Set<string>()
  let title: string | undefined
  let checked: boolean | undefined
  if (roles !== undefined) {
    for (const role of [roles.name, roles.checked, roles.tags]) if (role !== undefined) consumed.add(String(role["id"]))
    title = str(data(roles.name)) ?? ""
    const box = data(roles.checked)
    if (typeof box === "boolean") checked = box
    if (roles.tags !== undefined) tags.push(...labelsOf(roles.tags, data(roles.tags)))
    for (const [attributeId, field] of roles.fields) {
      consumed.add(attributeId)
      const value = values.get(attributeId)?.["data"]
      const isNumber = CARD_NUMBERS.some((f) => f.field === field)
      if (isNumber ? num(value) !== undefined : typeof value === "string") fields[field] = value
    }
  } else {
    // As Infinity titles an item: its first text value; and its first checkbox is the card's.
    for (const a of attributes) {
      const value = data(a)
      if (title === undefined && a["type"] === "text" && typeof value === "string" && value.trim() !== "") {
        title = value
        consumed.add(String(a["id"]))
      } else if (checked === undefined && a["type"] === "checkbox" && typeof value === "boolean") {
        checked = value
        consumed.add(String(a["id"]))
      }
    }
  }

  const lines: Array<string> = []
  for (const a of attributes) {
    const attributeId = String(a["id"])
    const value = data(a)
    // References become connections, not text.
    if (consumed.has(attributeId) || a["type"] === "reference" || !holdsSomething(value)) continue
    const label = str(a["name"]) ?? ""
    if (a["type"] === "label") {
      const names = labelsOf(a, value).map((l) => {
        const name = tagName(l.name)
        if (name === "") return l.name
        tags.push({ ...l, name })
        return `[[${name}]]`
      })
      if (names.length > 0) lines.push(`${label}: ${names.join(" ")}`)
      continue
    }
    let shown = value
    if (a["type"] === "attachments") {
      lost.add("items", itemId, `values.${attributeId}`, "attachment files are not carried: their names are in the card text")
      // Values hold `{id}` only: names come from the archive's records of the files.
      shown = asArray(value).map((f) => input.attachments.get(sid(asEntity(f)?.["id"] ?? f) ?? "") ?? f)
    }
    const text = displayValue(shown, a, input.context)
    lines.push(text.includes("\n") ? `${label}:\n${text}` : `${label}: ${text}`)
  }

  // An empty title is no line of its own when other lines follow.
  let name = [...(title === undefined || (title === "" && lines.length > 0) ? [] : [title]), ...lines].join("\n")
  if (checked !== undefined) name = withCheckbox(name, checked)
  if (name.length > MAX_NAME) {
    lost.add("items", itemId, "values", "the card's text is cut to Kinopio's 4,000 characters")
    name = cut(name)
  }
  return { name, fields, tags, rendered: lines.length > 0 }
}
