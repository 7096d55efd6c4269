/**
 * An Infinity board as a feed: its items and their comments, newest first (`updated_at`, else
 * `created_at`), each linking to the board on app.startinfinity.com (best effort: the web app's
 * item links are not documented). Deleted items and comments are left out. A comment's HTML is
 * read as text, so no markup from it survives into the feed.
 *
 * Boards have no public/private flag: a board's feed is written when a person names it with
 * `--board` (live with a credential that can see it, or from an archive), and `backup --feeds`
 * writes only the boards named on that backup.
 */
import { Effect, Option, Stream } from "effect"
import type { ArchiveCollections, Entity } from "../connector.ts"
import { type ArchiveCorrupt, BadInput, type ConnectorError, type ServiceError } from "../errors.ts"
import { oneLine } from "../feeds/clean.ts"
import {
  absoluteUrl,
  type FeedDocument,
  type FeedEntry,
  ferryUrn,
  Newest,
  parseDate,
  scrubDocument,
  secretValues,
  tagsIn
} from "../feeds/entry.ts"
import { htmlToText } from "../formats/html-text.ts"
import type { FeedRequest, PublishedFeed } from "../service.ts"
import { asArray, asEntity, idOf, str } from "../shared/entity.ts"
import type { InfinityClient, Pages } from "./client.ts"
import { type BoardContext, displayValue, itemTitle } from "./values.ts"

/** Where boards live on the web (not the API). */
export const INFINITY_WEB_URL = "https://app.startinfinity.com"

const NO_ATTRIBUTES: ReadonlyMap<string, Entity> = new Map()

export const boardPage = (boardId: string): string => absoluteUrl(`${INFINITY_WEB_URL}/b/${encodeURIComponent(boardId)}`)

const itemLink = (boardId: string, itemId: string, commentId?: string) =>
  absoluteUrl(
    `${boardPage(boardId)}?item=${encodeURIComponent(itemId)}${commentId === undefined ? "" : `&comment=${encodeURIComponent(commentId)}`}`
  )

/** The name of whoever `created_by` points at: an id, or the user itself when expanded. */
const authorOf = (createdBy: unknown, names: ReadonlyMap<string, string>): string | undefined => {
  const expanded = asEntity(createdBy)
  if (expanded !== undefined) return str(expanded["name"]) ?? names.get(String(expanded["id"]))
  return createdBy === null || createdBy === undefined ? undefined : names.get(String(createdBy))
}

const userName = (user: Entity): string | undefined => {
  const name = str(user["name"])
  return name !== undefined && name.trim() !== "" ? name : undefined
}

/** An item's values as `Attribute: value` lines, by each value's (expanded) attribute. */
const itemText = (item: Entity, names: ReadonlyMap<string, string>): string => {
  const context: BoardContext = { attributes: NO_ATTRIBUTES, userNames: names, itemTitles: new Map(), references: new Map() }
  const lines: Array<string> = []
  for (const v of asArray(item["values"])) {
    const value = asEntity(v)
    if (value === undefined || value["deleted"] === true) continue
    const attribute = asEntity(value["attribute"])
    if (attribute?.["deleted"] === true || str(attribute?.["type"]) === "reference") continue
    const shown = displayValue(value["data"], attribute, context).trim()
    if (shown === "") continue
    const label = str(attribute?.["name"])
    lines.push(label === undefined || label.trim() === "" ? shown : `${label}: ${shown}`)
  }
  return lines.join("\n")
}

export const itemEntry = (item: Entity, boardId: string, names: ReadonlyMap<string, string>): FeedEntry | undefined => {
  if (item["deleted"] === true || item["id"] === undefined || item["id"] === null) return undefined
  const id = idOf(item)
  const text = itemText(item, names)
  return {
    id: ferryUrn("infinity", "item", id),
    url: itemLink(boardId, id),
    title: oneLine(itemTitle(item, NO_ATTRIBUTES)),
    text,
    published: parseDate(item["created_at"]),
    modified: parseDate(item["updated_at"]),
    author: authorOf(item["created_by"], names),
    tags: tagsIn(text)
  }
}

export const commentEntry = (
  comment: Entity,
  itemId: string,
  itemTitleText: string | undefined,
  boardId: string,
  names: ReadonlyMap<string, string>
): FeedEntry | undefined => {
  if (comment["deleted"] === true || comment["id"] === undefined || comment["id"] === null) return undefined
  const id = idOf(comment)
  const text = htmlToText(str(comment["text"]) ?? "")
  return {
    id: ferryUrn("infinity", "comment", id),
    url: itemLink(boardId, itemId, id),
    title: oneLine(`Comment on ${itemTitleText ?? `item ${itemId}`}: ${text}`),
    text,
    published: parseDate(comment["created_at"]),
    modified: parseDate(comment["updated_at"]),
    author: authorOf(comment["created_by"], names),
    tags: tagsIn(text)
  }
}

const documentOf = (board: Entity, entries: ReadonlyArray<FeedEntry>, owner: string | undefined): FeedDocument => {
  const id = idOf(board)
  const name = str(board["name"]) ?? ""
  return {
    id: ferryUrn("infinity", "board", id),
    title: name.trim() === "" ? `Infinity board ${id}` : name,
    homePageUrl: boardPage(id),
    description: "Items and comments most recently created or updated on this Infinity board",
    authors: owner === undefined ? [] : [owner],
    entries,
    fallbackUpdated: parseDate(board["updated_at"]) ?? parseDate(board["created_at"])
  }
}

/** Builds a board's feed from its items, then their comments, keeping only the newest. */
class BoardFeed {
  private readonly newest: Newest
  private readonly titles = new Map<string, string>()
  private readonly secrets = new Set<string>()
  constructor(readonly board: Entity, readonly names: ReadonlyMap<string, string>, limit: number) {
    this.newest = new Newest(limit)
    secretValues(board, this.secrets)
  }
  get boardId() {
    return idOf(this.board)
  }
  item(item: Entity): boolean {
    const entry = itemEntry(item, this.boardId, this.names)
    if (entry === undefined) return false
    this.titles.set(idOf(item), entry.title)
    this.newest.add(entry)
    return true
  }
  comment(comment: Entity, itemId: string): void {
    // Comments of an item that is deleted (or not on this board) are not shown either.
    if (!this.titles.has(itemId)) return
    const entry = commentEntry(comment, itemId, this.titles.get(itemId), this.boardId, this.names)
    if (entry !== undefined) this.newest.add(entry)
  }
  document(owner: string | undefined): FeedDocument {
    return scrubDocument(documentOf(this.board, this.newest.entries, owner), [...this.secrets])
  }
}

const collect = (pages: Pages) => Stream.runFold(pages, [] as Array<Entity>, (all, page) => (all.push(...page.value), all))

/** Comment lists in flight: the budget sets the pace, as in a backup. */
const COMMENTS_CONCURRENCY = 4

const notVisible = (id: string, e: ServiceError) =>
  new BadInput({ message: `Infinity board ${id} cannot be read with this credential (${e.reason})` })

/**
 * Live: the board's workspace found by listing workspaces and their boards, the workspace's
 * people for names, then the board's items and each item's comments.
 */
export const liveBoardFeed = (client: InfinityClient, request: FeedRequest): Effect.Effect<FeedDocument, ConnectorError | BadInput> =>
  Effect.gen(function*() {
    const workspaces = yield* collect(client.workspaces)
    let found: { readonly workspace: Entity; readonly board: Entity } | undefined
    for (const workspace of workspaces) {
      const boards = yield* collect(client.boards(idOf(workspace))).pipe(
        Effect.catchTag("ServiceError", (e): Effect.Effect<Array<Entity>, ServiceError> =>
          e.reason === "Forbidden" || e.reason === "NotFound" ? Effect.succeed([]) : Effect.fail(e))
      )
      const board = boards.find((b) => idOf(b) === request.id)
      if (board !== undefined) {
        found = { workspace, board }
        break
      }
    }
    if (found === undefined) {
      return yield* new BadInput({ message: `Infinity board ${request.id} is not among the boards this credential can see` })
    }
    if (found.board["deleted"] === true) {
      return yield* new BadInput({ message: `Infinity board ${request.id} is deleted; a deleted board gets no feed` })
    }
    const w = idOf(found.workspace)
    const names = new Map<string, string>()
    for (const u of yield* collect(client.users(w))) {
      const name = userName(u)
      if (name !== undefined) names.set(idOf(u), name)
    }
    const feed = new BoardFeed(found.board, names, request.limit)
    const items = yield* collect(client.items(w, request.id))
    const shown = items.filter((item) => feed.item(item))
    yield* Effect.forEach(shown, (item) =>
      collect(client.comments(w, request.id, idOf(item))).pipe(
        Effect.map((comments) => {
          for (const c of comments) feed.comment(c, idOf(item))
        })
      ), { concurrency: COMMENTS_CONCURRENCY, discard: true })
    return feed.document(names.get(String(found.workspace["owner_id"])))
  }).pipe(
    Effect.catchTag("ServiceError", (e): Effect.Effect<never, ServiceError | BadInput> =>
      e.reason === "Forbidden" || e.reason === "NotFound" || e.reason === "Unauthorized" ? Effect.fail(notVisible(request.id, e)) : Effect.fail(e))
  )

const onBoard = (boardId: string) => (e: Entity) => e["board_id"] !== undefined && String(e["board_id"]) === boardId

const findBoard = (archive: ArchiveCollections, id: string) =>
  Stream.runHead(Stream.filter(archive.read("boards"), (b) => idOf(b) === id))

/** From an archive: the board's record, its people, its items and its comments, each file read once. */
export const archiveBoardFeed = (archive: ArchiveCollections, request: FeedRequest): Effect.Effect<FeedDocument, ArchiveCorrupt | BadInput> =>
  Effect.flatMap(findBoard(archive, request.id), (board) =>
    Option.isNone(board)
      ? Effect.fail(new BadInput({ message: `Infinity board ${request.id} is not in this archive` }))
      : board.value["deleted"] === true
      ? Effect.fail(new BadInput({ message: `Infinity board ${request.id} is deleted; a deleted board gets no feed` }))
      : boardFeedFrom(archive, board.value, request.limit))

const boardFeedFrom = (archive: ArchiveCollections, board: Entity, limit: number): Effect.Effect<FeedDocument, ArchiveCorrupt | BadInput> =>
  Effect.gen(function*() {
    const boardId = idOf(board)
    const names = new Map<string, string>()
    yield* Stream.runForEach(archive.read("users"), (u) =>
      Effect.sync(() => {
        const name = userName(u)
        if (name !== undefined) names.set(idOf(u), name)
      }))
    const feed = new BoardFeed(board, names, limit)
    const mine = onBoard(boardId)
    yield* Stream.runForEach(archive.read("items"), (item) => Effect.sync(() => mine(item) && feed.item(item)))
    yield* Stream.runForEach(archive.read("comments"), (comment) =>
      Effect.sync(() => {
        if (mine(comment) && comment["item_id"] !== undefined) feed.comment(comment, String(comment["item_id"]))
      }))
    let owner: string | undefined
    const workspaceId = board["workspace_id"]
    if (workspaceId !== undefined) {
      const workspace = yield* Stream.runHead(Stream.filter(archive.read("workspaces"), (w) => String(w["id"]) === String(workspaceId)))
      owner = Option.isSome(workspace) ? names.get(String(workspace.value["owner_id"])) : undefined
    }
    return feed.document(owner)
  })

/**
 * The boards named on the backup (Infinity has no public flag: naming one is the consent). A
 * named board the account could not see is not in the archive; the backup already warned of it.
 */
export const publishableBoards = (
  archive: ArchiveCollections,
  options: { readonly named: ReadonlyArray<string>; readonly limit: number }
): Stream.Stream<PublishedFeed, ArchiveCorrupt | BadInput> =>
  Stream.fromIterable([...new Set(options.named)]).pipe(
    Stream.mapEffect((id) => Effect.map(findBoard(archive, id), (board) => Option.map(board, (b) => ({ id, board: b })))),
    Stream.filterMap((found) => found),
    Stream.mapEffect(({ board, id }) =>
      board["deleted"] === true
        ? Effect.succeed<PublishedFeed>({ id, document: undefined }) // a deleted board's feed comes down
        : Effect.map(boardFeedFrom(archive, board, options.limit), (document): PublishedFeed => ({ id, document })))
  )
