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
import { asArray, asEntity, idOf, pushTo, str } from "../shared/entity.ts"

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

/**
 * The folder's attributes in its own order, then any other attribute its items (children
 * included) carry values of; an attribute the board's list lacks is taken from the value itself.
 */
const folderAttributes = (folder: Entity | undefined, items: ReadonlyArray<Entity>, context: BoardContext): ReadonlyArray<Entity> => {
  const found = new Map<string, Entity | undefined>()
  for (const id of asArray(folder?.["attribute_ids"])) found.set(String(id), context.attributes.get(String(id)))
  for (const item of items) {
    for (const v of asArray(item["values"])) {
      const value = asEntity(v)
      const id = str(value?.["attribute_id"])
      if (id === undefined || found.get(id) !== undefined) continue
      const attribute = context.attributes.get(id) ?? asEntity(value?.["attribute"])
      found.set(id, attribute === undefined ? undefined : { ...attribute, id })
    }
  }
  return [...found.values()].filter((a): a is Entity => a !== undefined)
}

const folderName = (folder: Entity | undefined) => oneLine(str(folder?.["name"]) ?? "") || "Untitled folder"
const boardName = (board: Entity) => oneLine(str(board["name"]) ?? "") || "Untitled board"

/** `csv/items/<board>/<folder>.csv`, one per folder that has items. */
export const folderSheets = ({ board, context, folders, items }: BoardContent): ReadonlyArray<{ readonly path: string; readonly content: string }> => {
  const byFolder = new Map<string, Array<Entity>>()
  for (const item of [...items].sort(bySortOrder)) {
    const folder = String(item["folder_id"] ?? "")
    pushTo(byFolder, folder, item)
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
      // No prototype: an attribute named "__proto__" is a column like any other.
      const row: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
        id: idOf(item),
        parent: parent === undefined ? "" : context.itemTitles.get(parent) ?? parent,
        deleted: item["deleted"] === true ? "yes" : ""
      })
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
    pushTo(children, key, item)
  }

  const rendered = new Set<string>()
  const renderItem = (item: Entity, depth: number, attributes: ReadonlyArray<Entity>): void => {
    if (rendered.has(idOf(item))) return
    rendered.add(idOf(item))
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
      // created_by is a user id, or the user itself when expanded.
      const author = comment["created_by"]
      const authorId = asEntity(author)?.["id"] ?? author
      const by = context.userNames.get(String(authorId)) ?? str(asEntity(author)?.["name"]) ?? (authorId === undefined || authorId === null ? "" : String(authorId))
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
  const byFolder = new Map<string, Array<Entity>>()
  for (const item of items) pushTo(byFolder, String(item["folder_id"] ?? ""), item)
  for (const [folder, folderId] of sections) {
    const top = children.get(`folder:${folderId}`) ?? []
    out.push(`## ${markdownText(folderName(folder))}`, "")
    if (top.length === 0) out.push("*(no items)*", "")
    const attributes = folderAttributes(folder, byFolder.get(folderId) ?? [], context)
    for (const item of top) renderItem(item, 3, attributes)
  }
  // Items whose parents form a cycle are reached from no section: they still get a place.
  const lost = items.filter((item) => !rendered.has(idOf(item)))
  if (lost.length > 0) {
    out.push("## Items whose parents form a cycle", "")
    for (const item of lost) if (!rendered.has(idOf(item))) renderItem(item, 3, folderAttributes(undefined, lost, context))
  }
  return { path: `markdown/${safeFileName(boardName(board), idOf(board), "md")}`, content: out.join("\n") }
}
