/**
 * How a Kinopio space is written on an Infinity board: the one agreement between the two
 * directions of the mapping, so that a board made from a space turns back into that space.
 *
 * A board counts as made from Kinopio when it has the number attributes "Kinopio x" and
 * "Kinopio y" (names and types survive any service; ids do not). Everything else Kinopio needs
 * rides in places a person can see and edit in Infinity: the card's text in "Name", its layout
 * and colours in "Kinopio …" attributes, tags as the labels of "Tags", a `[x]` checkbox in
 * "Checked". What has no column (a box's geometry, a connection type's colour and generation)
 * rides in the `settings` of its folder or reference attribute, under a `kinopio…` key; where a
 * service drops it, the way back still works, with boxes drawn around their cards and
 * connections named after their attribute.
 */
import type { Entity } from "../connector.ts"
import { asEntity, str } from "../shared/entity.ts"

/** The card's text, Markdown and `[[tags]]` kept; the title of the item. */
export const NAME_ATTRIBUTE = "Name"
export const CHECKED_ATTRIBUTE = "Checked"
export const TAGS_ATTRIBUTE = "Tags"

/** Card fields kept as numbers, each in an attribute of its own. */
export const CARD_NUMBERS = [
  { field: "x", name: "Kinopio x" },
  { field: "y", name: "Kinopio y" },
  { field: "z", name: "Kinopio z" },
  { field: "width", name: "Kinopio width" },
  { field: "height", name: "Kinopio height" },
  { field: "resizeWidth", name: "Kinopio resize width" }
] as const

/** Card colours, kept as text: Kinopio writes hex, `rgb(…)` or nothing. */
export const CARD_TEXTS = [
  { field: "color", name: "Kinopio color" },
  { field: "backgroundColor", name: "Kinopio background color" }
] as const

/** Folder settings key: the box's own fields (geometry, fill, fonts...) but its name and colour, which the folder shows. */
export const BOX_SETTINGS = "kinopioBox"
/** Reference attribute settings key: what the attribute stands for, see `ConnectionMark`. */
export const CONNECTION_SETTINGS = "kinopioConnection"

/**
 * A reference attribute made from Kinopio: a connection type (`kind: "type"`, the documented
 * generation, connections name it by `connectionTypeId`) or the connections of the current
 * generation sharing one label and colour (`kind: "connection"`).
 */
export interface ConnectionMark {
  readonly kind: "type" | "connection"
  readonly name: string | null
  readonly color: string | null
}

/** The folder of the cards that sit in no box. */
export const OUTSIDE_BOXES = "Outside boxes"
/** Infinity refuses a blank board, folder or attribute name: what stands in for one. */
export const UNTITLED_SPACE = "Untitled space"
export const UNTITLED_BOX = "Untitled box"
export const UNTITLED_CONNECTION = "Connection"

export const isBlank = (name: unknown): boolean => typeof name !== "string" || name.trim() === ""

/** Live attributes by name and type; the first one wins, as a person would read the board. */
export const findAttribute = (attributes: ReadonlyArray<Entity>, name: string, type: string): Entity | undefined =>
  attributes.find((a) => a["name"] === name && a["type"] === type && a["deleted"] !== true)

/** The marker: a board with both position attributes came from a Kinopio space. */
export const isKinopioBoard = (attributes: ReadonlyArray<Entity>): boolean =>
  findAttribute(attributes, "Kinopio x", "number") !== undefined && findAttribute(attributes, "Kinopio y", "number") !== undefined

export const connectionMarkOf = (attribute: Entity): ConnectionMark | undefined => {
  const mark = asEntity(asEntity(attribute["settings"])?.[CONNECTION_SETTINGS])
  if (mark === undefined || (mark["kind"] !== "type" && mark["kind"] !== "connection")) return undefined
  return { kind: mark["kind"], name: str(mark["name"]) ?? null, color: str(mark["color"]) ?? null }
}

export const boxSettingsOf = (folder: Entity): Entity | undefined => asEntity(asEntity(folder["settings"])?.[BOX_SETTINGS])

/** A checkbox Kinopio reads at the start of a card's name: `[] `, `[ ] `, `[x] `. */
const CHECKBOX = /^\[( |x|X)?\](?= |$)/

/** True or false for a name that starts with a checkbox; undefined for one that does not. */
export const checkboxOf = (name: string): boolean | undefined => {
  const m = CHECKBOX.exec(name)
  return m === null ? undefined : m[1] === "x" || m[1] === "X"
}

/** The name with its checkbox set (added when it has none), the rest of the text untouched. */
export const withCheckbox = (name: string, checked: boolean): string => {
  if (checkboxOf(name) === checked) return name
  const box = checked ? "[x]" : "[]"
  return CHECKBOX.test(name) ? name.replace(CHECKBOX, box) : `${box} ${name}`
}
