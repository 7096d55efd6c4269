/**
 * An item's values as a person reads them: label ids become label names, member ids become
 * people's names, attachments their file names, references the titles of the items they point
 * to. Used by the per-folder sheets and the Markdown; the JSONL keeps the values as sent.
 */
import type { Entity } from "../connector.ts"
import { asArray, asEntity as asObject, str } from "../shared/entity.ts"


/** What a board's values need to be read: its attributes, its people, its items' titles, its references. */
export interface BoardContext {
  readonly attributes: ReadonlyMap<string, Entity>
  readonly userNames: ReadonlyMap<string, string>
  readonly itemTitles: ReadonlyMap<string, string>
  /** from item id → attribute id → to item ids */
  readonly references: ReadonlyMap<string, ReadonlyMap<string, ReadonlyArray<string>>>
}

const labelNames = (attribute: Entity | undefined): ReadonlyMap<string, string> => {
  const labels = asArray(asObject(attribute?.["settings"])?.["labels"])
  return new Map(labels.flatMap((l) => {
    const o = asObject(l)
    const id = o?.["id"]
    return o !== undefined && (typeof id === "string" || typeof id === "number") ? [[String(id), str(o["name"]) ?? String(id)] as const] : []
  }))
}

const json = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v) ?? "")

/** One value's data as text, by its attribute's type; an unknown shape is shown as JSON. */
export const displayValue = (data: unknown, attribute: Entity | undefined, context: BoardContext): string => {
  if (data === null || data === undefined) return ""
  switch (str(attribute?.["type"])) {
    case "checkbox":
      return data === true ? "yes" : data === false ? "no" : json(data)
    case "label": {
      const names = labelNames(attribute)
      return asArray(data).map((id) => names.get(String(id)) ?? String(id)).join("; ")
    }
    case "members":
      return asArray(data).map((id) => context.userNames.get(String(id)) ?? String(id)).join("; ")
    case "attachments":
      return asArray(data).map((a) => {
        const o = asObject(a)
        return str(o?.["original_name"]) ?? str(o?.["basename"]) ?? String(o?.["id"] ?? a)
      }).join("; ")
    case "checklist":
      return asArray(data).map((entry) => {
        const o = asObject(entry)
        if (o === undefined) return json(entry)
        const text = str(o["text"]) ?? str(o["name"]) ?? str(o["title"]) ?? json(o)
        const done = o["checked"] ?? o["done"] ?? o["completed"]
        return `[${done === true ? "x" : " "}] ${text}`
      }).join("; ")
    case "links":
      return asArray(data).map((entry) => {
        const o = asObject(entry)
        return o === undefined ? json(entry) : str(o["url"]) ?? str(o["link"]) ?? json(o)
      }).join("; ")
    default:
      return Array.isArray(data) ? data.map(json).join("; ") : json(data)
  }
}

/** The text of every attribute of an item, by attribute id; references included. */
export const itemCells = (item: Entity, context: BoardContext): ReadonlyMap<string, string> => {
  const cells = new Map<string, string>()
  for (const v of asArray(item["values"])) {
    const value = asObject(v)
    const attributeId = str(value?.["attribute_id"])
    if (value === undefined || attributeId === undefined || value["deleted"] === true) continue
    const attribute = context.attributes.get(attributeId) ?? asObject(value["attribute"])
    cells.set(attributeId, displayValue(value["data"], attribute, context))
  }
  // A reference attribute's targets: what its value lists, and what the References endpoint adds.
  const targets = new Map<string, Set<string>>()
  for (const v of asArray(item["values"])) {
    const value = asObject(v)
    const attributeId = str(value?.["attribute_id"])
    if (attributeId === undefined || str(context.attributes.get(attributeId)?.["type"]) !== "reference") continue
    const set = targets.get(attributeId) ?? new Set<string>()
    for (const d of asArray(value?.["data"])) set.add(String(asObject(d)?.["id"] ?? d))
    targets.set(attributeId, set)
  }
  for (const [attributeId, ids] of context.references.get(String(item["id"])) ?? []) {
    const set = targets.get(attributeId) ?? new Set<string>()
    for (const id of ids) set.add(id)
    targets.set(attributeId, set)
  }
  for (const [attributeId, ids] of targets) {
    cells.set(attributeId, [...ids].map((id) => context.itemTitles.get(id) ?? id).join("; "))
  }
  return cells
}

/** A title for an item: its first text value, in the board's attribute order; else its id. */
export const itemTitle = (item: Entity, attributes: ReadonlyMap<string, Entity>): string => {
  for (const v of asArray(item["values"])) {
    const value = asObject(v)
    const attribute = attributes.get(str(value?.["attribute_id"]) ?? "") ?? asObject(value?.["attribute"])
    const data = value?.["data"]
    if (str(attribute?.["type"]) === "text" && typeof data === "string" && data.trim() !== "") return data.trim()
  }
  return String(item["id"])
}
