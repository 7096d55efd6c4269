/**
 * A board as a person reads it, and as a person opens it in a spreadsheet: one Markdown document
 * (folders as sections, items with their values, child items under their parents, comments as
 * quotes) and one CSV sheet per folder (a row per item, a column per attribute, by name).
 */
import { safeFileName } from "../archive/safe-name.ts"
import type { Entity } from "../connector.ts"
import { csvHeader, csvRows } from "../formats/csv.ts"
import { htmlToText, markdownText } from "../formats/html-text.ts"
import { type BoardContext, itemCells, itemTitle } from "./values.ts"

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)
const idOf = (e: Entity) => String(e["id"])
const oneLine = (s: string) => s.replace(/\s+/g, " ").trim()
const sortKey = (e: Entity) => {
  const n = Number(e["sort_order"])
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER
}
const bySortOrder = (a: Entity, b: Entity) => sortKey(a) - sortKey(b) || idOf(a).localeCompare(idOf(b))

export interface BoardContent {
  readonly board: Entity
  readonly folders: ReadonlyArray<Entity>
  readonly items: ReadonlyArray<Entity>
  /** item id → its comments */
  readonly comments: ReadonlyMap<string, ReadonlyArray<Entity>>
  readonly context: BoardContext
}

/** The folder's attributes in its own order, then any other attribute its items carry values of. */
const folderAttributes = (folder: Entity | undefined, items: ReadonlyArray<Entity>, context: BoardContext): ReadonlyArray<Entity> => {
  const ids: Array<string> = []
  const listed = folder?.["attribute_ids"]
  if (Array.isArray(listed)) for (const id of listed) ids.push(String(id))
  for (const item of items) {
    const values = item["values"]
    if (!Array.isArray(values)) continue
    for (const v of values) {
      const id = typeof v === "object" && v !== null ? str((v as Entity)["attribute_id"]) : undefined
      if (id !== undefined) ids.push(id)
    }
  }
  return [...new Set(ids)].flatMap((id) => {
    const attribute = context.attributes.get(id)
    return attribute === undefined ? [] : [attribute]
  })
}

const folderName = (folder: Entity | undefined) => oneLine(str(folder?.["name"]) ?? "") || "Untitled folder"
const boardName = (board: Entity) => oneLine(str(board["name"]) ?? "") || "Untitled board"

/** `csv/items/<board>/<folder>.csv`, one per folder that has items. */
export const folderSheets = ({ board, context, folders, items }: BoardContent): ReadonlyArray<{ readonly path: string; readonly content: string }> => {
  const byFolder = new Map<string, Array<Entity>>()
  for (const item of [...items].sort(bySortOrder)) {
    const folder = String(item["folder_id"] ?? "")
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), item])
  }
  const folderById = new Map(folders.map((f) => [idOf(f), f]))
  const boardDir = safeFileName(boardName(board), idOf(board), "")
  return [...byFolder.entries()].map(([folderId, inFolder]) => {
    const folder = folderById.get(folderId)
    const attributes = folderAttributes(folder, inFolder, context)
    // Two attributes may share a name; the sheet needs distinct headers.
    const taken = new Set<string>(["id", "parent", "deleted"])
    const columns = attributes.map((a) => {
      const base = oneLine(str(a["name"]) ?? "") || idOf(a)
      let name = base
      for (let n = 2; taken.has(name); n++) name = `${base} (${n})`
      taken.add(name)
      return { id: idOf(a), name }
    })
    const header = ["id", "parent", ...columns.map((c) => c.name), "deleted"]
    const rows = inFolder.map((item) => {
      const cells = itemCells(item, context)
      const parent = str(item["parent_id"])
      const row: Record<string, string> = {
        id: idOf(item),
        parent: parent === undefined ? "" : context.itemTitles.get(parent) ?? parent,
        deleted: item["deleted"] === true ? "yes" : ""
      }
      for (const c of columns) row[c.name] = cells.get(c.id) ?? ""
      return row
    })
    const name = safeFileName(folderName(folder), folderId === "" ? "no-folder" : folderId, "csv")
    return { path: `csv/items/${boardDir}/${name}`, content: `${csvHeader(header)}\r\n${csvRows(header, rows)}\r\n` }
  })
}

/** `markdown/<board>-<id>.md` */
export const boardMarkdown = ({ board, comments, context, folders, items }: BoardContent): { readonly path: string; readonly content: string } => {
  const out: Array<string> = [`# ${markdownText(boardName(board))}`, ""]
  const description = str(board["description"])
  if (description !== undefined && description.trim() !== "") out.push(markdownText(description.trim()), "")
  out.push(`*${items.length} item${items.length === 1 ? "" : "s"} · ${folders.length} folder${folders.length === 1 ? "" : "s"} · id ${idOf(board)}*`, "")

  const ids = new Set(items.map(idOf))
  const children = new Map<string, Array<Entity>>()
  for (const item of [...items].sort(bySortOrder)) {
    const parent = str(item["parent_id"])
    // A parent that is not on the board keeps the item at the top, so nothing disappears.
    const key = parent !== undefined && ids.has(parent) ? parent : `folder:${String(item["folder_id"] ?? "")}`
    children.set(key, [...(children.get(key) ?? []), item])
  }

  const renderItem = (item: Entity, depth: number, attributes: ReadonlyArray<Entity>) => {
    const title = markdownText(oneLine(context.itemTitles.get(idOf(item)) ?? itemTitle(item, context.attributes)))
    out.push(`${"#".repeat(Math.min(6, depth))} ${title}${item["deleted"] === true ? " *(deleted)*" : ""}`, "")
    const cells = itemCells(item, context)
    const lines = attributes.flatMap((a) => {
      const text = cells.get(idOf(a))
      return text === undefined || text === "" ? [] : [`- **${markdownText(oneLine(str(a["name"]) ?? idOf(a)))}**: ${markdownText(oneLine(text))}`]
    })
    if (lines.length > 0) out.push(...lines, "")
    for (const comment of comments.get(idOf(item)) ?? []) {
      const text = htmlToText(str(comment["text"]) ?? "")
      const by = context.userNames.get(String(comment["created_by"])) ?? (comment["created_by"] === undefined ? "" : String(comment["created_by"]))
      const when = str(comment["created_at"]) ?? ""
      const deleted = comment["deleted"] === true ? " *(deleted)*" : ""
      out.push(...markdownText(text).split("\n").map((l) => `> ${l}`), `> — ${markdownText([by, when].filter((s) => s !== "").join(", "))}${deleted}`, "")
    }
    for (const child of children.get(idOf(item)) ?? []) renderItem(child, depth + 1, attributes)
  }

  const folderIds = new Set(folders.map(idOf))
  const orphanFolders = [...children.keys()].filter((k) => k.startsWith("folder:") && !folderIds.has(k.slice(7)))
  const sections: Array<[Entity | undefined, string]> = [
    ...[...folders].sort(bySortOrder).map((f): [Entity, string] => [f, idOf(f)]),
    ...orphanFolders.map((k): [undefined, string] => [undefined, k.slice(7)])
  ]
  for (const [folder, folderId] of sections) {
    const top = children.get(`folder:${folderId}`) ?? []
    out.push(`## ${markdownText(folderName(folder))}`, "")
    if (top.length === 0) out.push("*(no items)*", "")
    const attributes = folderAttributes(folder, top, context)
    for (const item of top) renderItem(item, 3, attributes)
  }
  return { path: `markdown/${safeFileName(boardName(board), idOf(board), "md")}`, content: out.join("\n") }
}
