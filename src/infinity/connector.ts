/**
 * Infinity as a backup source. Lists come page by page; comments are per item, so a board
 * costs about one request per item: they are fetched several at a time under the shared
 * budget, never one after another. Attachment bytes are downloaded right after the page that
 * lists them, since their links expire two hours later.
 */
import { Effect, Layer, Stream } from "effect"
import { COLLECTIONS } from "../archive/collections.ts"
import { safeFileName } from "../archive/safe-name.ts"
import { type BackupOptions, type BackupPart, BackupSource, type Entity, type Source } from "../connector.ts"
import type { ConnectorError } from "../errors.ts"
import type { Checked } from "../shared/decode.ts"
import { boardMarkdown, folderSheets } from "./board-document.ts"
import { Infinity, type InfinityClient, type Pages } from "./client.ts"
import { type BoardContext, itemTitle } from "./values.ts"

export const INFINITY_COLLECTIONS = COLLECTIONS.infinity

/** Comment lists in flight: enough to hide latency; the budget sets the pace. */
const COMMENTS_CONCURRENCY = 4

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)
const idOf = (e: Entity) => String(e["id"])
const entities = (collection: string, list: ReadonlyArray<Entity>): BackupPart => ({ _tag: "Entities", collection, entities: list })
const warningsOf = (checked: Checked<unknown>): ReadonlyArray<BackupPart> => checked.warnings.map((message) => ({ _tag: "Warning", message }))

/** The context keys the API leaves implicit, added only where the entity does not carry them. */
const withContext = (e: Entity, context: Record<string, unknown>): Entity => {
  const missing = Object.entries(context).filter(([k]) => !(k in e))
  return missing.length === 0 ? e : { ...e, ...Object.fromEntries(missing) }
}

const collect = (pages: Pages) =>
  Stream.runFold(pages, { value: [] as Array<Entity>, warnings: [] as Array<string> }, (acc, page) => {
    acc.value.push(...page.value)
    acc.warnings.push(...page.warnings)
    return acc
  })

/** Attachment objects inside `attachments`-type values (the other types hold no file). */
export const attachmentsOf = (item: Entity): ReadonlyArray<{ readonly attachment: Entity; readonly attributeId: string | undefined }> => {
  const values = item["values"]
  if (!Array.isArray(values)) return []
  return values.flatMap((v: unknown) => {
    if (typeof v !== "object" || v === null) return []
    const value = v as Entity
    const attribute = value["attribute"]
    const type = typeof attribute === "object" && attribute !== null ? (attribute as Entity)["type"] : undefined
    const data = value["data"]
    if (!Array.isArray(data)) return []
    const looksLikeFiles = type === "attachments" || data.every((d) => typeof d === "object" && d !== null && "link" in d)
    if (!looksLikeFiles) return []
    return data.flatMap((d: unknown) =>
      typeof d === "object" && d !== null && ((d as Entity)["id"] !== undefined)
        ? [{ attachment: d as Entity, attributeId: str(value["attribute_id"]) }]
        : []
    )
  })
}

export const attachmentPath = (attachment: Entity): string => {
  const id = safeFileName("", idOf(attachment), "")
  const name = str(attachment["original_name"]) ?? str(attachment["basename"]) ?? "file"
  // The name is the person's; the folder (the id) already keeps names apart.
  const dot = name.lastIndexOf(".")
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot + 1)] : [name, ""]
  return `attachments/${id}/${safeFileName(stem, "", ext)}`
}

interface Run {
  readonly client: InfinityClient
  readonly seenUsers: Set<string>
  readonly seenAttachments: Set<string>
  readonly userNames: Map<string, string>
  readonly progress: { done: number; total: number }
}

const backupBoard = (run: Run, workspace: Entity, board: Entity): Stream.Stream<BackupPart, ConnectorError> =>
  Stream.unwrap(Effect.gen(function*() {
    const { client } = run
    const b = idOf(board)
    // Context keys carry the ids as the API types them (a workspace id is a number).
    const scope = { board_id: board["id"], workspace_id: workspace["id"] }
    const w = idOf(workspace)
    const attributes = yield* collect(client.attributes(w, b))
    const folders = yield* collect(client.folders(w, b))
    const views = yield* collect(client.views(w, b))
    const references = yield* collect(client.references(w, b))
    const hooks = yield* collect(client.hooks(w, b))
    const head: Array<BackupPart> = [
      ...[attributes, folders, views, references, hooks].flatMap(warningsOf),
      entities("attributes", attributes.value.map((e) => withContext(e, scope))),
      entities("folders", folders.value.map((e) => withContext(e, scope))),
      entities("views", views.value.map((e) => withContext(e, scope))),
      entities("references", references.value.map((e) => withContext(e, scope))),
      entities("hooks", hooks.value.map((e) => withContext(e, scope)))
    ]

    // Items page by page; each page's attachments are downloaded before the next page is asked for.
    const items: Array<Entity> = []
    const itemPages = client.items(w, b).pipe(
      Stream.map((page) => {
        const list = page.value.map((e) => withContext(e, scope))
        items.push(...list)
        const parts: Array<BackupPart> = [...warningsOf(page), entities("items", list)]
        const files: Array<Entity> = []
        for (const item of list) {
          for (const { attachment, attributeId } of attachmentsOf(item)) {
            const id = idOf(attachment)
            if (run.seenAttachments.has(id)) continue
            run.seenAttachments.add(id)
            const link = str(attachment["link"])
            if (link === undefined) {
              parts.push({ _tag: "Warning", message: `attachment ${id} of item ${idOf(item)} has no link; its bytes are not in the archive` })
            } else {
              parts.push({ _tag: "File", path: attachmentPath(attachment), write: (sink) => client.download(link, sink) })
            }
            files.push(withContext(attachment, { item_id: item["id"], attribute_id: attributeId ?? null, ...scope }))
          }
        }
        parts.push(entities("attachments", files))
        return parts
      }),
      Stream.flattenIterables
    )

    const comments = new Map<string, ReadonlyArray<Entity>>()
    const commentParts = Stream.suspend(() => {
      run.progress.total += items.length
      return Stream.fromIterable(items).pipe(
        Stream.mapEffect((item) =>
          collect(client.comments(w, b, idOf(item))).pipe(Effect.map((found) => {
            const list = found.value.map((c) => withContext(c, { item_id: item["id"], ...scope }))
            comments.set(idOf(item), list)
            run.progress.done++
            return [
              ...warningsOf(found),
              entities("comments", list),
              { _tag: "Progress", unit: "items", done: run.progress.done, total: run.progress.total }
            ] as ReadonlyArray<BackupPart>
          })), { concurrency: COMMENTS_CONCURRENCY }),
        Stream.flattenIterables
      )
    })

    const documents = Stream.suspend(() => {
      const attributeMap = new Map(attributes.value.map((a) => [idOf(a), a]))
      const refs = new Map<string, Map<string, Array<string>>>()
      for (const r of references.value) {
        const from = str(r["from_item_id"]), to = str(r["to_item_id"]), attribute = str(r["attribute_id"]) ?? ""
        if (from === undefined || to === undefined) continue
        const byAttribute = refs.get(from) ?? new Map<string, Array<string>>()
        byAttribute.set(attribute, [...(byAttribute.get(attribute) ?? []), to])
        refs.set(from, byAttribute)
      }
      const context: BoardContext = {
        attributes: attributeMap,
        userNames: run.userNames,
        itemTitles: new Map(items.map((i) => [idOf(i), itemTitle(i, attributeMap)])),
        references: refs
      }
      const content = { board, folders: folders.value, items, comments, context }
      return Stream.fromIterable<BackupPart>([
        ...folderSheets(content).map((d): BackupPart => ({ _tag: "Document", ...d })),
        { _tag: "Document", ...boardMarkdown(content) }
      ])
    })

    return Stream.fromIterable(head).pipe(Stream.concat(itemPages), Stream.concat(commentParts), Stream.concat(documents))
  }))

export const backupInfinity = (client: InfinityClient, options: BackupOptions): Stream.Stream<BackupPart, ConnectorError> =>
  Stream.unwrap(Effect.gen(function*() {
    const profile = yield* client.profile
    const run: Run = {
      client,
      seenUsers: new Set(),
      seenAttachments: new Set(),
      userNames: new Map(),
      progress: { done: 0, total: 0 }
    }
    const wanted = new Set(options.workspaces)
    const onlyBoards = new Set(options.only)
    const workspaces = yield* collect(client.workspaces)
    const chosen = workspaces.value.filter((w) => wanted.size === 0 || wanted.has(idOf(w)))
    const head: ReadonlyArray<BackupPart> = [
      { _tag: "Account", id: idOf(profile.value) },
      ...warningsOf(profile),
      ...warningsOf(workspaces),
      entities("profile", [profile.value]),
      entities("workspaces", chosen),
      ...[...wanted].filter((id) => !workspaces.value.some((w) => idOf(w) === id))
        .map((id): BackupPart => ({ _tag: "Warning", message: `workspace ${id} is not among this account's workspaces; skipped` }))
    ]

    const perWorkspace = Stream.fromIterable(chosen).pipe(
      Stream.flatMap((workspace) =>
        Stream.unwrap(Effect.gen(function*() {
          const w = idOf(workspace)
          const users = yield* collect(client.users(w))
          const fresh = users.value.filter((u) => !run.seenUsers.has(idOf(u)))
          for (const u of users.value) {
            run.seenUsers.add(idOf(u))
            run.userNames.set(idOf(u), str(u["name"]) ?? str(u["email"]) ?? idOf(u))
          }
          const boards = yield* collect(client.boards(w))
          const picked = boards.value.filter((b) => onlyBoards.size === 0 || onlyBoards.has(idOf(b)))
          return Stream.fromIterable<BackupPart>([
            ...warningsOf(users),
            ...warningsOf(boards),
            entities("users", fresh),
            entities("boards", picked.map((b) => withContext(b, { workspace_id: workspace["id"] })))
          ]).pipe(Stream.concat(Stream.fromIterable(picked).pipe(Stream.flatMap((board) => backupBoard(run, workspace, board)))))
        }))
      )
    )
    return Stream.fromIterable(head).pipe(Stream.concat(perWorkspace))
  }))

export const infinitySource = (client: InfinityClient): Source => ({
  service: "infinity",
  apiUrl: client.api.baseUrl,
  stats: client.api.budget.stats,
  collections: INFINITY_COLLECTIONS,
  backup: (options) => backupInfinity(client, options)
})

/** Infinity as the run's backup source. */
export const InfinitySourceLive = Layer.effect(BackupSource, Effect.map(Infinity, infinitySource))
