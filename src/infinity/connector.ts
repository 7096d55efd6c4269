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
import type { IndexedArchive, IndexSpec } from "../archive/indexed.ts"
import { ArchiveCorrupt, type ConnectorError } from "../errors.ts"
import { BodyInterrupted } from "../shared/http.ts"
import type { Checked } from "../shared/decode.ts"
import { boardMarkdown, folderSheets } from "./board-document.ts"
import { Infinity, type InfinityClient, type Pages } from "./client.ts"
import { type BoardContext, itemTitle } from "./values.ts"
import { asArray, asEntity, idOf, pushTo, str } from "../shared/entity.ts"

export const INFINITY_COLLECTIONS = COLLECTIONS.infinity

/** Comment lists in flight: enough to hide latency; the budget sets the pace. */
const COMMENTS_CONCURRENCY = 4

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

/**
 * Attachment objects inside `attachments`-type values. The type comes from the value's expanded
 * attribute or the board's; only when neither says does a list of objects with links count.
 */
export const attachmentsOf = (
  item: Entity,
  attributes: ReadonlyMap<string, Entity>
): ReadonlyArray<{ readonly attachment: Entity; readonly attributeId: string | undefined }> =>
  asArray(item["values"]).flatMap((v) => {
    const value = asEntity(v)
    if (value === undefined || !Array.isArray(value["data"])) return []
    const attributeId = str(value["attribute_id"])
    const type = str(asEntity(value["attribute"])?.["type"]) ?? str(attributes.get(attributeId ?? "")?.["type"])
    const data = value["data"] as ReadonlyArray<unknown>
    const files = type === undefined ? data.every((d) => asEntity(d)?.["link"] !== undefined) : type === "attachments"
    if (!files) return []
    return data.flatMap((d) => {
      const attachment = asEntity(d)
      return attachment !== undefined && attachment["id"] !== undefined ? [{ attachment, attributeId }] : []
    })
  })

/** What the board's documents need of an item, without each value's repeated attribute. */
const slimItem = (item: Entity): Entity => ({
  id: item["id"],
  folder_id: item["folder_id"],
  parent_id: item["parent_id"],
  sort_order: item["sort_order"],
  deleted: item["deleted"],
  values: asArray(item["values"]).map((v) => {
    const value = asEntity(v)
    if (value === undefined) return v
    const { attribute, ...rest } = value
    // Keep the attribute only when the board's list may lack it (its type and name are needed then).
    return attribute === undefined ? rest : { ...rest, attribute: { id: asEntity(attribute)?.["id"], name: asEntity(attribute)?.["name"], type: asEntity(attribute)?.["type"], settings: asEntity(attribute)?.["settings"] } }
  })
})

const slimComment = (comment: Entity): Entity => ({
  text: comment["text"],
  created_by: comment["created_by"],
  created_at: comment["created_at"],
  deleted: comment["deleted"]
})

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
  /** Attachments of the previous archive whose bytes may be copied, by id. */
  readonly previous: PreviousAttachments | undefined
  readonly seenUsers: Set<string>
  readonly seenAttachments: Set<string>
  readonly boardsFound: Set<string>
  readonly userNames: Map<string, string>
  readonly progress: { done: number; total: number }
}

/** What an incremental Infinity backup copies: attachment bytes, looked up by attachment id. */
export const INFINITY_CARRY_OVER: IndexSpec = {
  index: { attachments: "id" },
  files: (path) => path.startsWith("attachments/")
}

/**
 * Items, comments, boards and the rest carry no modification time in the API, so no listing
 * proves them unchanged: they are always fetched. An attachment's bytes are another matter: a
 * stored file is never rewritten (the API can only create and delete one), so when the previous
 * archive holds an attachment of the same id, storage path, size and update time, its verified
 * bytes are the service's bytes, and the download is saved.
 */
interface PreviousAttachments {
  readonly archive: IndexedArchive
  /** id → the fingerprint and archive path of its bytes. */
  readonly byId: ReadonlyMap<string, { readonly fingerprint: string; readonly path: string }>
}

const fingerprint = (a: Entity) => JSON.stringify([a["path"], a["filesize"], a["updated_at"], a["original_name"] ?? a["basename"]])

const attachmentsBefore = (previous: IndexedArchive | undefined): Effect.Effect<PreviousAttachments | undefined, ArchiveCorrupt> =>
  previous === undefined
    ? Effect.succeed(undefined)
    : Effect.gen(function*() {
      const byId = new Map<string, { fingerprint: string; path: string }>()
      for (const id of previous.keys("attachments")) {
        const [a] = yield* previous.lines("attachments", id)
        if (a === undefined || a["path"] === undefined || a["updated_at"] === undefined) continue
        const path = attachmentPath(a)
        if (previous.hasFile(path)) byId.set(id, { fingerprint: fingerprint(a), path })
      }
      return { archive: previous, byId }
    })

/** The archive path of an attachment's bytes to copy from the previous archive, if they may be. */
const carriedFile = (previous: PreviousAttachments | undefined, attachment: Entity): string | undefined => {
  const before = previous?.byId.get(idOf(attachment))
  return before !== undefined && before.fingerprint === fingerprint(attachment) && before.path === attachmentPath(attachment)
    ? before.path
    : undefined
}

/** Copied bytes never break off mid-transfer: an interruption there is the previous archive failing. */
const copyFrom = <E>(
  previous: IndexedArchive,
  path: string,
  sink: (bytes: Stream.Stream<Uint8Array, ArchiveCorrupt>) => Effect.Effect<void, E | BodyInterrupted | ArchiveCorrupt>
) =>
  sink(previous.file(path)).pipe(Effect.catchIf(
    (e): e is BodyInterrupted => e instanceof BodyInterrupted,
    () => Effect.fail(new ArchiveCorrupt({ archive: previous.name, problems: [`${path} could not be copied`] }))
  ))

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
    const attributeMap = new Map(attributes.value.map((a) => [idOf(a), a]))
    const items: Array<Entity> = []
    const itemPages = client.items(w, b).pipe(
      Stream.map((page) => {
        const list = page.value.map((e) => withContext(e, scope))
        for (const item of list) items.push(slimItem(item))
        const parts: Array<BackupPart> = [...warningsOf(page), entities("items", list)]
        const files: Array<Entity> = []
        for (const item of list) {
          for (const { attachment, attributeId } of attachmentsOf(item, attributeMap)) {
            const id = idOf(attachment)
            if (run.seenAttachments.has(id)) continue
            run.seenAttachments.add(id)
            const link = str(attachment["link"])
            const kept = carriedFile(run.previous, attachment)
            if (kept !== undefined) {
              parts.push({ _tag: "File", path: kept, write: (sink) => copyFrom(run.previous!.archive, kept, sink) })
              parts.push({ _tag: "Carried", kind: "attachments", id, lines: {} })
            } else if (link === undefined) {
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
            comments.set(idOf(item), list.map(slimComment))
            return [...warningsOf(found), entities("comments", list)]
          })), { concurrency: COMMENTS_CONCURRENCY }),
        // Counted after the concurrent step, which keeps order: progress only goes forward.
        Stream.map((parts): ReadonlyArray<BackupPart> => [
          ...parts,
          { _tag: "Progress", unit: "items", done: ++run.progress.done, total: run.progress.total }
        ]),
        Stream.flattenIterables
      )
    })

    const documents = Stream.suspend(() => {
      const refs = new Map<string, Map<string, Array<string>>>()
      for (const r of references.value) {
        const from = str(r["from_item_id"]), to = str(r["to_item_id"]), attribute = str(r["attribute_id"]) ?? ""
        if (from === undefined || to === undefined) continue
        const byAttribute = refs.get(from) ?? new Map<string, Array<string>>()
        pushTo(byAttribute, attribute, to)
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

export const backupInfinity = (
  client: InfinityClient,
  me: Effect.Effect<Checked<Entity>, ConnectorError>,
  options: BackupOptions
): Stream.Stream<BackupPart, ConnectorError | ArchiveCorrupt> =>
  Stream.unwrap(Effect.gen(function*() {
    const profile = yield* me
    const run: Run = {
      client,
      previous: yield* attachmentsBefore(options.previous),
      seenUsers: new Set(),
      seenAttachments: new Set(),
      boardsFound: new Set(),
      userNames: new Map(),
      progress: { done: 0, total: 0 }
    }
    const wanted = new Set(options.workspaces)
    const onlyBoards = new Set(options.only)
    const workspaces = yield* collect(client.workspaces)
    const chosen = workspaces.value.filter((w) => wanted.size === 0 || wanted.has(idOf(w)))
    const head: ReadonlyArray<BackupPart> = [
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
          const fresh: Array<Entity> = []
          for (const u of users.value) {
            if (run.seenUsers.has(idOf(u))) continue
            run.seenUsers.add(idOf(u))
            run.userNames.set(idOf(u), str(u["name"]) ?? str(u["email"]) ?? idOf(u))
            fresh.push(u)
          }
          const boards = yield* collect(client.boards(w))
          const picked = boards.value.filter((b) => onlyBoards.size === 0 || onlyBoards.has(idOf(b)))
          for (const b of picked) run.boardsFound.add(idOf(b))
          return Stream.fromIterable<BackupPart>([
            ...warningsOf(users),
            ...warningsOf(boards),
            entities("users", fresh),
            entities("boards", picked.map((b) => withContext(b, { workspace_id: workspace["id"] })))
          ]).pipe(Stream.concat(Stream.fromIterable(picked).pipe(Stream.flatMap((board) => backupBoard(run, workspace, board)))))
        }))
      )
    )
    const unknownBoards = Stream.suspend(() =>
      Stream.fromIterable([...onlyBoards].filter((id) => !run.boardsFound.has(id)).map((id): BackupPart => ({
        _tag: "Warning",
        message: `board ${id} is not among the boards this account can see; skipped`
      })))
    )
    return Stream.fromIterable(head).pipe(Stream.concat(perWorkspace), Stream.concat(unknownBoards))
  }))

export const infinitySource = (client: InfinityClient): Effect.Effect<Source> =>
  Effect.map(Effect.cached(client.profile), (profile): Source => ({
    service: "infinity",
    apiUrl: client.api.baseUrl,
    stats: client.api.budget.stats,
    collections: INFINITY_COLLECTIONS,
    account: Effect.map(profile, (p) => idOf(p.value)),
    carryOver: INFINITY_CARRY_OVER,
    backup: (options) => backupInfinity(client, profile, options)
  }))

/** Infinity as the run's backup source. */
export const InfinitySourceLive = Layer.effect(BackupSource, Effect.flatMap(Infinity, infinitySource))
