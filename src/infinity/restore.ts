/**
 * Infinity as a restore target: the boards of an archive (from one or more source workspaces)
 * re-created in ONE target workspace, in the order of dependency-order.md §1.4:
 * profile → workspace → users → attachments → boards → folders (no attributes) → attributes →
 * folders (attribute_ids) → views → items (no parent) → items (parent_id) → references →
 * comments → hooks.
 *
 * Safe to stop anywhere and run again, even with a write in flight that the service carried
 * out but never answered:
 * - Folders, attributes, views and items are created under ids derived from the target workspace,
 *   the target board and their source id (multi-action creates, infinity.md §2): what exists is
 *   read first and skipped, and sending one again updates it instead of duplicating it.
 * - Every create's answer is read for the id the service gave it (dependency-order.md: "a restore
 *   always reads the id from the create response ... even where it supplied the id itself"); the
 *   docs leave open whether a create keeps a caller's id. Where the answered id differs from the
 *   derived one, the pair derived → answered is journaled (appended and fsync'd) as soon as the
 *   answer is in, and every later request of the run (PUT paths, folder_id, parent_id,
 *   attribute_ids, values' attribute_id, settings.folderId, reference ends, comment paths), the
 *   final check and any re-run with the same journal use the answered id (`answeredId`). What a
 *   re-run does against a service that ignored Ferry's ids: a create whose answer was read and
 *   journaled is found by its answered id and skipped; a create that was in flight when the run
 *   stopped (carried out, answer never read) cannot be found, since its derived id names nothing
 *   and no intent is journaled for it (finding it would take a look-alike match by name, folder
 *   or values, not attempted): it is sent again and the target holds that folder, attribute,
 *   view or item twice, the first copy referenced by nothing Ferry wrote after it. The same goes
 *   for a create the HTTP client sent again itself after an unclear failure (these creates are
 *   marked idempotent, which holds only while the service keeps the id). Without a journal file
 *   the pairs live in memory only, for the run and its check; a later process re-creates the
 *   boards anyway (see `journal`).
 * - Boards, comments, references, hooks, uploads and invites get their id from the service. Each
 *   is written to a journal before it is sent (what it is, and which target entities already
 *   looked like it) and after (the id it got). An intent without a result is resolved by reading
 *   the target and adopting the one new entity that looks like it, instead of creating it again.
 *
 * A restore only creates: it never changes or removes what the target held before. Entities
 * marked deleted in the archive are not restored; they are listed, as is everything else the
 * target cannot hold.
 */
import { createHash } from "node:crypto"
import { Chunk, Effect, Layer, Stream } from "effect"
import {
  type ArchiveCollections,
  type Entity,
  type NotRestored,
  type RestoreEvent,
  type RestorePlan,
  type RestoreStepPlan,
  RestoreTarget,
  type Target
} from "../connector.ts"
import { type ArchiveCorrupt, BadInput, type ConnectorError, ServiceError } from "../errors.ts"
import { asArray, asEntity, idOf, isEntity, str } from "../shared/entity.ts"
import { Infinity, type InfinityClient, type Pages } from "./client.ts"
import { attachmentPath } from "./connector.ts"
import { Journal, type JournalKind } from "./restore-journal.ts"

export interface InfinityTargetOptions {
  /** The target workspace; without it the account must have exactly one. */
  readonly workspace?: string
  /** Re-create webhooks (`--with-hooks`): an effect outside the target account. */
  readonly withHooks: boolean
  /** Invite the archive's members absent from the target by e-mail (`--invite-members`). */
  readonly inviteMembers: boolean
  /**
   * The restore journal, a JSON-lines file (e.g. `<archive>.restore-journal.jsonl`), appended
   * and fsync'd line by line. Absent: kept in memory, which covers retries within one process
   * only; a run stopped without a journal file re-creates boards (and so their contents) anew.
   */
  readonly journal?: string
}

type Err = ConnectorError | ArchiveCorrupt | BadInput

// ---------------------------------------------------------------------------------------------
// Target ids

const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

const digest = (workspace: string, board: string, kind: string, sourceId: string) =>
  createHash("sha256").update(["ferry-restore", "infinity", workspace, board, kind, sourceId].join("\u0000")).digest()

/**
 * The id an entity of `kind` gets on target `board`: UUID-shaped for attributes and items, 11
 * characters [A-Za-z0-9] for folders and views (the shapes infinity.md §1 shows). Keyed by the
 * target board, whose id the service chooses: a second restore into new boards gets new ids.
 */
export const restoredId = (workspace: string, board: string, kind: "folder" | "attribute" | "view" | "item", sourceId: string): string => {
  const bytes = digest(workspace, board, kind, sourceId)
  if (kind === "folder" || kind === "view") return Array.from(bytes.subarray(0, 11), (b) => BASE62[b % 62]).join("")
  const hex = bytes.toString("hex")
  // Version 4 and RFC variant bits, so that any UUID validation accepts it.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[parseInt(hex[16] ?? "0", 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** The creates that carry a derived id. */
type DerivedKind = "folder" | "attribute" | "view" | "item"

/**
 * The journal kind recording, for a derived id, the id the service answered instead: kinds of
 * their own (keyed by the derived id, which already names workspace, board and source), never
 * confused with those of the creates the service always names.
 */
const answeredKind = (kind: DerivedKind): JournalKind => `${kind}-id`

/** The id an entity of `kind` has on target `board`: the derived id, or the one a create answered instead. */
const answeredId = (journal: Journal, workspace: string, board: string, kind: DerivedKind, sourceId: string): string => {
  const derived = restoredId(workspace, board, kind, sourceId)
  return journal.entry(workspace, answeredKind(kind), derived)?.result ?? derived
}

/** A sort_order as the JSON number the docs' requests show (Create/Update folder), or undefined when there is none. */
const sortNumber = (value: unknown): number | undefined => {
  if (value === null || value === undefined || (typeof value === "string" && value.trim() === "")) return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

/**
 * Whether the target's sort_order is the archive's, compared as numbers: the service answers a
 * number on create and a 30-digit string on reads, and a number sent comes back in its precision.
 * Nothing to compare when the archive has none.
 */
const sameSortOrder = (got: unknown, want: unknown) => {
  const w = sortNumber(want)
  return w === undefined || sortNumber(got) === w
}

// ---------------------------------------------------------------------------------------------
// The archive, and what of it can be restored

interface Archive {
  readonly users: ReadonlyArray<Entity>
  readonly boards: ReadonlyArray<Entity>
  readonly folders: ReadonlyArray<Entity>
  readonly attributes: ReadonlyArray<Entity>
  readonly views: ReadonlyArray<Entity>
  readonly items: ReadonlyArray<Entity>
  readonly comments: ReadonlyArray<Entity>
  readonly references: ReadonlyArray<Entity>
  readonly attachments: ReadonlyArray<Entity>
  readonly hooks: ReadonlyArray<Entity>
  readonly readFile: ArchiveCollections["readFile"]
}

const loadArchive = (archive: ArchiveCollections): Effect.Effect<Archive, ArchiveCorrupt | BadInput> => {
  const all = (collection: string) => Effect.map(Stream.runCollect(archive.read(collection)), Chunk.toReadonlyArray)
  return Effect.map(
    Effect.all({
      users: all("users"),
      boards: all("boards"),
      folders: all("folders"),
      attributes: all("attributes"),
      views: all("views"),
      items: all("items"),
      comments: all("comments"),
      references: all("references"),
      attachments: all("attachments"),
      hooks: all("hooks")
    }),
    (c) => ({ ...c, readFile: archive.readFile })
  )
}

const isDeleted = (e: Entity) => e["deleted"] === true || (e["deleted_at"] !== undefined && e["deleted_at"] !== null)
const sid = (value: unknown): string | undefined => (typeof value === "string" || typeof value === "number" ? String(value) : undefined)

/** Fields every collection carries that the service sets (or Ferry added as context); never sent. */
const SERVER_SET = new Set(["id", "object", "deleted", "created_at", "created_by", "updated_at", "updated_by", "board_id", "workspace_id", "item_id"])
/** What each create sends (beyond SERVER_SET); any other field of an archived entity is listed as not restored. */
const SENT: Readonly<Record<string, ReadonlyArray<string>>> = {
  boards: ["name", "description", "color", "user_ids", "sort_order", "og_image"],
  folders: ["name", "color", "parent_id", "attribute_ids", "sort_order", "settings"],
  attributes: ["name", "type", "default_data", "settings"],
  views: ["folder_id", "name", "type", "sort_order", "settings"],
  items: ["folder_id", "parent_id", "sort_order", "values"],
  comments: ["text", "parent_id"],
  references: ["attribute_id", "from_item_id", "to_item_id"],
  hooks: ["url", "events", "user_id", "secret", "logs"]
}
const VALUE_SENT = new Set(["id", "object", "data", "attribute_id", "item_id", "attribute", "deleted"])

const COLLECTION_NOT_RESTORED: ReadonlyArray<NotRestored> = [
  { collection: "profile", id: "*", field: "*", reason: "a restore never changes the target user's profile" },
  { collection: "workspaces", id: "*", field: "*", reason: "no route creates or changes a workspace: every board goes into the target workspace" },
  { collection: "boards", id: "*", field: "sort_order", reason: "Create board takes no sort_order: the service places new boards" },
  { collection: "boards", id: "*", field: "og_image", reason: "set by the service" },
  {
    collection: "items",
    id: "*",
    field: "sort_order",
    reason: "Create and Update item take no sort_order: items are created in the archive's order and the service numbers them"
  },
  { collection: "*", id: "*", field: "created_by", reason: "set by the service: the restoring user creates everything" },
  { collection: "*", id: "*", field: "created_at", reason: "set by the service at creation" }
]

/** What the archive holds that a restore creates, in creation order, and what it cannot. */
interface Decision {
  readonly boards: ReadonlyArray<Entity>
  /** Parents first. */
  readonly folders: ReadonlyArray<Entity>
  readonly attributes: ReadonlyArray<Entity>
  readonly views: ReadonlyArray<Entity>
  /** By board, then sort_order. */
  readonly items: ReadonlyArray<Entity>
  /** By item, then created_at. */
  readonly comments: ReadonlyArray<Entity>
  readonly references: ReadonlyArray<Entity>
  readonly hooks: ReadonlyArray<Entity>
  readonly attachments: ReadonlyArray<Entity>
  readonly boardIds: ReadonlySet<string>
  readonly folderBoard: ReadonlyMap<string, string>
  readonly attributeById: ReadonlyMap<string, Entity>
  readonly itemBoard: ReadonlyMap<string, string>
  readonly notRestored: ReadonlyArray<NotRestored>
}

const numeric = (v: unknown) => {
  const n = Number(v)
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY
}

const decide = (src: Archive, options: InfinityTargetOptions): Decision => {
  const nr: Array<NotRestored> = [...COLLECTION_NOT_RESTORED]
  const no = (collection: string, id: string, field: string, reason: string) => nr.push({ collection, id, field, reason })
  const extraFields = (collection: string, e: Entity) => {
    for (const field of Object.keys(e)) {
      if (!SERVER_SET.has(field) && !(SENT[collection] ?? []).includes(field)) {
        no(collection, idOf(e), field, "not a field of the documented create request")
      }
    }
  }

  const boards = src.boards.filter((b) => {
    if (!isDeleted(b)) return true
    no("boards", idOf(b), "*", "deleted in the archive (with everything on it)")
    return false
  })
  const boardIds = new Set(boards.map(idOf))
  for (const b of boards) extraFields("boards", b)

  // Folders: on a restored board, not deleted, below restored parents only; parents first.
  const folderById = new Map(src.folders.map((f) => [idOf(f), f]))
  const folderBoard = new Map<string, string>()
  const folderOk = new Map<string, boolean>()
  const depth = new Map<string, number>()
  const visit = (f: Entity, seen: Set<string>): boolean => {
    const id = idOf(f)
    const known = folderOk.get(id)
    if (known !== undefined) return known
    const board = sid(f["board_id"]) ?? ""
    let ok = boardIds.has(board)
    const parent = sid(f["parent_id"])
    let d = 0
    if (ok && isDeleted(f)) {
      no("folders", id, "*", "deleted in the archive")
      ok = false
    } else if (ok && parent !== undefined && parent !== board) {
      const p = folderById.get(parent)
      if (p === undefined || seen.has(parent) || !visit(p, new Set([...seen, id]))) {
        no("folders", id, "*", `its parent folder ${parent} is not restored`)
        ok = false
      } else d = (depth.get(parent) ?? 0) + 1
    }
    folderOk.set(id, ok)
    depth.set(id, d)
    if (ok) folderBoard.set(id, board)
    return ok
  }
  const folders = src.folders.filter((f) => visit(f, new Set()))
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (depth.get(idOf(a.f)) ?? 0) - (depth.get(idOf(b.f)) ?? 0) || a.i - b.i)
    .map(({ f }) => f)
  for (const f of folders) extraFields("folders", f)

  const attributes = src.attributes.filter((a) => {
    if (!boardIds.has(sid(a["board_id"]) ?? "")) return false
    if (!isDeleted(a)) return true
    no("attributes", idOf(a), "*", "deleted in the archive (with its values)")
    return false
  })
  const attributeById = new Map(attributes.map((a) => [idOf(a), a]))
  for (const a of attributes) extraFields("attributes", a)
  for (const f of folders) {
    for (const a of asArray(f["attribute_ids"])) {
      if (!attributeById.has(String(a))) no("folders", idOf(f), `attribute_ids ${String(a)}`, "that attribute is not restored")
    }
  }
  for (const a of attributes) {
    const folderId = asEntity(a["settings"])?.["folderId"]
    if (folderId !== undefined && folderId !== null && !folderBoard.has(String(folderId))) {
      no("attributes", idOf(a), "settings.folderId", `folder ${String(folderId)} is not restored`)
    }
  }

  /**
   * The entities of the chosen boards that can be restored: not deleted, and the entity they
   * live in (`field`, a `what`) restored too; the others are listed as not restored.
   */
  const restorable = (
    collection: string,
    list: ReadonlyArray<Entity>,
    field: string,
    what: string,
    restored: { readonly has: (id: string) => boolean },
    deleted = "deleted in the archive"
  ) =>
    list.filter((e) => {
      if (!boardIds.has(sid(e["board_id"]) ?? "")) return false
      if (isDeleted(e)) no(collection, idOf(e), "*", deleted)
      else if (!restored.has(sid(e[field]) ?? "")) no(collection, idOf(e), "*", `its ${what} ${String(e[field])} is not restored`)
      else return true
      return false
    })
  const views = restorable("views", src.views, "folder_id", "folder", folderBoard)
  for (const v of views) extraFields("views", v)

  const boardOrder = new Map(boards.map((b, i) => [idOf(b), i]))
  const items = restorable("items", src.items, "folder_id", "folder", folderBoard, "deleted in the archive (with its comments)")
    .map((item, index) => ({ item, index }))
    .sort((a, b) =>
      (boardOrder.get(sid(a.item["board_id"]) ?? "") ?? 0) - (boardOrder.get(sid(b.item["board_id"]) ?? "") ?? 0) ||
      numeric(a.item["sort_order"]) - numeric(b.item["sort_order"]) || a.index - b.index
    ).map(({ item }) => item)
  const itemBoard = new Map(items.map((i) => [idOf(i), sid(i["board_id"]) ?? ""]))
  const itemOrder = new Map(items.map((i, n) => [idOf(i), n]))
  const neededAttachments = new Set<string>()
  for (const item of items) {
    extraFields("items", item)
    const parent = sid(item["parent_id"])
    if (parent !== undefined && itemBoard.get(parent) !== sid(item["board_id"])) {
      no("items", idOf(item), "parent_id", `its parent item ${parent} is not restored`)
    }
    for (const raw of asArray(item["values"])) {
      const value = asEntity(raw)
      if (value === undefined) continue
      const attributeId = sid(value["attribute_id"]) ?? ""
      const attribute = attributeById.get(attributeId)
      for (const field of Object.keys(value)) {
        if (!VALUE_SENT.has(field)) no("items", idOf(item), `values.${attributeId}.${field}`, "not a field of the documented value")
      }
      if (isDeleted(value)) {
        no("items", idOf(item), `values.${attributeId}`, "the value is deleted in the archive")
      } else if (attribute === undefined) {
        no("items", idOf(item), `values.${attributeId}`, `attribute ${attributeId} is not restored`)
      } else if (attribute["type"] === "label") {
        const labels = new Set(asArray(asEntity(attribute["settings"])?.["labels"]).map((l) => sid(asEntity(l)?.["id"])))
        for (const label of asArray(value["data"])) {
          if (!labels.has(sid(label))) no("items", idOf(item), `values.${attributeId}`, `label ${String(label)} is not among the attribute's labels`)
        }
      } else if (attribute["type"] === "attachments") {
        for (const a of asArray(value["data"])) {
          const id = sid(asEntity(a)?.["id"] ?? a)
          if (id !== undefined) neededAttachments.add(id)
        }
      }
    }
  }

  const commentTime = (c: Entity) => str(c["created_at"]) ?? ""
  const comments = restorable("comments", src.comments, "item_id", "item", itemBoard)
    .map((comment, index) => ({ comment, index }))
    .sort((a, b) =>
      (itemOrder.get(sid(a.comment["item_id"]) ?? "") ?? 0) - (itemOrder.get(sid(b.comment["item_id"]) ?? "") ?? 0) ||
      (commentTime(a.comment) < commentTime(b.comment) ? -1 : commentTime(a.comment) > commentTime(b.comment) ? 1 : a.index - b.index)
    ).map(({ comment }) => comment)
  for (const c of comments) {
    extraFields("comments", c)
    if (c["parent_id"] !== null && c["parent_id"] !== undefined) {
      no("comments", idOf(c), "parent_id", "Create comment takes only text: the reply is restored as a comment of its own")
    }
  }

  const references = src.references.filter((r) => {
    if (!boardIds.has(sid(r["board_id"]) ?? "")) return false
    const why = !attributeById.has(sid(r["attribute_id"]) ?? "")
      ? `attribute ${String(r["attribute_id"])} is not restored`
      : !itemBoard.has(sid(r["from_item_id"]) ?? "")
      ? `item ${String(r["from_item_id"])} is not restored`
      : !itemBoard.has(sid(r["to_item_id"]) ?? "")
      ? `item ${String(r["to_item_id"])} is not restored`
      : undefined
    if (why !== undefined) no("references", idOf(r), "*", why)
    return why === undefined
  })
  for (const r of references) extraFields("references", r)

  const hooks = src.hooks.filter((h) => boardIds.has(sid(h["board_id"]) ?? ""))
  const liveHooks = hooks.filter((h) => {
    if (isDeleted(h)) no("hooks", idOf(h), "*", "deleted in the archive")
    else if (!options.withHooks) no("hooks", idOf(h), "*", "webhooks call outside the target account: pass --with-hooks to re-create them")
    else return true
    return false
  })
  for (const h of liveHooks) extraFields("hooks", h)
  if (liveHooks.length > 0) no("hooks", "*", "secret", "the service makes a new secret; the archive never held the old one")

  // Each attachment's metadata: from attachments.jsonl, else from the value that shows it.
  const attachmentById = new Map<string, Entity>()
  for (const item of items) {
    for (const raw of asArray(item["values"])) {
      for (const a of asArray(asEntity(raw)?.["data"])) {
        const e = asEntity(a)
        if (e !== undefined && e["id"] !== undefined && neededAttachments.has(idOf(e)) && !attachmentById.has(idOf(e))) attachmentById.set(idOf(e), e)
      }
    }
  }
  for (const a of src.attachments) if (neededAttachments.has(idOf(a))) attachmentById.set(idOf(a), a)
  const attachments = [...neededAttachments].flatMap((id) => {
    const a = attachmentById.get(id)
    if (a === undefined) {
      no("attachments", id, "*", "the archive holds no record of it")
      return []
    }
    if (isDeleted(a)) {
      no("attachments", id, "*", "deleted in the archive")
      return []
    }
    if (src.readFile === undefined) {
      no("attachments", id, "*", "this archive reader gives no file bytes")
      return []
    }
    return [a]
  })

  return {
    boards,
    folders,
    attributes,
    views,
    items,
    comments,
    references,
    hooks: liveHooks,
    attachments,
    boardIds,
    folderBoard,
    attributeById,
    itemBoard,
    notRestored: nr
  }
}

// ---------------------------------------------------------------------------------------------
// The target as read

interface BoardState {
  readonly folders: Map<string, Entity>
  readonly attributes: Map<string, Entity>
  readonly views: Map<string, Entity>
  readonly items: Map<string, Entity>
  readonly references: Array<Entity>
  readonly hooks: Array<Entity>
}

const emptyBoard = (): BoardState => ({ folders: new Map(), attributes: new Map(), views: new Map(), items: new Map(), references: [], hooks: [] })

interface State {
  readonly workspace: string
  /** Target users (workspace members), kept current as invites land. */
  readonly users: Array<Entity>
  readonly boards: Array<Entity>
  /** Source board id → target board id. */
  readonly boardMap: Map<string, string>
  readonly perBoard: Map<string, BoardState>
  /** Target item id → its comments. */
  readonly comments: Map<string, Array<Entity>>
  /** Source user id → target user id. */
  readonly userMap: Map<string, unknown>
  /** Source attachment id → target attachment id. */
  readonly attachmentMap: Map<string, unknown>
  /** Source attribute id → source label id → target label id. */
  readonly labelMap: Map<string, Map<string, string>>
  reads: number
}

const collect = (pages: Pages, st: { reads: number }) =>
  Stream.runFold(pages, [] as Array<Entity>, (acc, page) => {
    st.reads++
    acc.push(...page.value)
    return acc
  })

const email = (u: Entity | undefined) => str(u?.["email"])?.trim().toLowerCase()

/** Pairs source labels with the target attribute's: same position and name, then same name, then position. */
const pairLabels = (source: ReadonlyArray<unknown>, target: ReadonlyArray<unknown>): Map<string, string> => {
  const s = source.map(asEntity).filter((l): l is Entity => l !== undefined)
  const t = target.map(asEntity).filter((l): l is Entity => l !== undefined)
  const out = new Map<string, string>()
  const used = new Set<number>()
  const take = (si: number, ti: number) => {
    const from = sid(s[si]?.["id"]), to = sid(t[ti]?.["id"])
    if (from === undefined || to === undefined || out.has(from) || used.has(ti)) return
    out.set(from, to)
    used.add(ti)
  }
  s.forEach((l, i) => {
    if (t[i] !== undefined && t[i]?.["name"] === l["name"]) take(i, i)
  })
  s.forEach((l, i) => {
    const ti = t.findIndex((x, j) => !used.has(j) && x["name"] === l["name"])
    if (ti >= 0) take(i, ti)
  })
  s.forEach((_, i) => {
    if (t[i] !== undefined) take(i, i)
  })
  return out
}

// ---------------------------------------------------------------------------------------------
// Comparing

/** JSON with object keys sorted: equal values, equal text. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    isEntity(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v) ?? "undefined"

/** Empty settings come back as `[]` (documented) whatever was sent. */
const settingsKey = (value: unknown) =>
  value === undefined || value === null || (Array.isArray(value) && value.length === 0) || (isEntity(value) && Object.keys(value).length === 0)
    ? "empty"
    : canonical(value)

/** A URL without its query: hook URLs may carry tokens of the receiving service. */
const withoutQuery = (url: string) => url.replace(/[?#].*$/, "")

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s)

const sha256Of = <E>(bytes: Stream.Stream<Uint8Array, E>) =>
  Effect.map(Stream.runFold(bytes, createHash("sha256"), (h, chunk) => h.update(chunk)), (h) => h.digest("hex"))

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", svg: "image/svg+xml",
  pdf: "application/pdf", txt: "text/plain", md: "text/markdown", csv: "text/csv", json: "application/json"
}

// ---------------------------------------------------------------------------------------------
// The target

type Mode = "plan" | "restore"

interface Tally {
  created: number
  existing: number
  requests: number
}

export const makeInfinityTarget = (client: InfinityClient, options: InfinityTargetOptions): Target => {
  const account = Effect.map(client.profile, (p) => idOf(p.value))
  /** Without a journal file, the journal lives as long as this target. */
  const memoryJournal = new Journal(undefined)
  const loadJournal = options.journal === undefined ? Effect.succeed(memoryJournal) : Journal.load(options.journal)

  const chooseWorkspace = (st: { reads: number }) =>
    Effect.gen(function*() {
      const list = yield* collect(client.workspaces, st)
      const ids = list.map(idOf)
      if (options.workspace !== undefined) {
        if (ids.includes(options.workspace)) return options.workspace
        return yield* new BadInput({
          message: `workspace ${options.workspace} is not among the target account's workspaces (${ids.join(", ") || "none"}): pass one of them with --workspace ID`
        })
      }
      const [only, ...others] = ids
      if (only !== undefined && others.length === 0) return only
      if (only === undefined) return yield* new BadInput({ message: "the target account has no workspace to restore into" })
      return yield* new BadInput({
        message: `the target account has ${ids.length} workspaces (${ids.join(", ")}): pass --workspace ID to choose the one to restore into`
      })
    })

  /** Reads what the target holds of this archive; resolves journaled boards (adopting in memory only for a plan). */
  const prepare = (src: Archive, d: Decision, journal: Journal, mode: Mode | "check") =>
    Effect.gen(function*() {
      // (The restoring user, step 1 of the order, is the service's to set on every create: not needed here.)
      const counter = { reads: 0 }
      const workspace = yield* chooseWorkspace(counter)
      const users = yield* collect(client.users(workspace), counter)
      const boards = yield* collect(client.boards(workspace), counter)
      const st: State = {
        workspace,
        users,
        boards,
        boardMap: new Map(),
        perBoard: new Map(),
        comments: new Map(),
        userMap: new Map(),
        attachmentMap: new Map(),
        labelMap: new Map(),
        reads: 0
      }
      for (const u of src.users) {
        const found = users.find((t) => email(t) !== undefined && email(t) === email(u))
        if (found !== undefined) st.userMap.set(idOf(u), found["id"])
      }
      for (const a of d.attachments) {
        const done = journal.entry(workspace, "attachment", idOf(a))
        if (done?.result !== undefined && done.pending === undefined) st.attachmentMap.set(idOf(a), Number.isNaN(Number(done.result)) ? done.result : Number(done.result))
      }
      // Boards the journal knows; a pending one whose create landed is adopted.
      for (const b of d.boards) {
        const entry = journal.entry(workspace, "board", idOf(b))
        if (entry === undefined) continue
        if (entry.pending === undefined && entry.result !== undefined && boards.some((t) => idOf(t) === entry.result)) {
          st.boardMap.set(idOf(b), entry.result)
        } else if (entry.pending !== undefined && mode !== "check") {
          const pending = entry.pending
          const found = boards.find((t) => t["name"] === b["name"] && !pending.has(idOf(t)) && !journal.ownedBySome(workspace, "board", idOf(t)))
          if (found !== undefined) {
            yield* journal.done(workspace, "board", idOf(b), idOf(found))
            st.boardMap.set(idOf(b), idOf(found))
          }
        }
      }
      for (const [sourceBoard, board] of st.boardMap) {
        const state = emptyBoard()
        for (const f of yield* collect(client.folders(workspace, board), counter)) state.folders.set(idOf(f), f)
        for (const a of yield* collect(client.attributes(workspace, board), counter)) state.attributes.set(idOf(a), a)
        for (const v of yield* collect(client.views(workspace, board), counter)) state.views.set(idOf(v), v)
        for (const i of yield* collect(client.items(workspace, board), counter)) state.items.set(idOf(i), i)
        state.references.push(...(yield* collect(client.references(workspace, board), counter)))
        if (options.withHooks) state.hooks.push(...(yield* collect(client.hooks(workspace, board), counter)))
        st.perBoard.set(board, state)
        // Comments of the items already there that have some in the archive.
        const withComments = new Set(d.comments.filter((c) => sid(c["board_id"]) === sourceBoard).map((c) => sid(c["item_id"]) ?? ""))
        for (const sourceItem of withComments) {
          const item = answeredId(journal, workspace, board, "item", sourceItem)
          if (!state.items.has(item)) continue
          st.comments.set(item, yield* collect(client.comments(workspace, board, item), counter))
        }
        // Label ids of the attributes already there.
        for (const a of d.attributes) {
          if (sid(a["board_id"]) !== sourceBoard) continue
          const there = state.attributes.get(answeredId(journal, workspace, board, "attribute", idOf(a)))
          if (there !== undefined) {
            st.labelMap.set(idOf(a), pairLabels(asArray(asEntity(a["settings"])?.["labels"]), asArray(asEntity(there["settings"])?.["labels"])))
          }
        }
      }
      st.reads = counter.reads
      return st
    })

  /** The steps of a restore; in a plan every write is counted instead of sent. */
  const run = (src: Archive, d: Decision, st: State, journal: Journal, mode: Mode) => {
    const ws = st.workspace
    const tally = new Map<string, Tally>()
    const tallyOf = (collection: string) => {
      const t = tally.get(collection) ?? { created: 0, existing: 0, requests: 0 }
      tally.set(collection, t)
      return t
    }
    let planned = 0
    const plannedId = (kind: string) => `planned-${kind}-${++planned}`

    /** One write: sent, or (plan) counted and answered with what was asked. */
    const send = (collection: string, body: Entity, real: () => Effect.Effect<Entity, ConnectorError>) => {
      tallyOf(collection).requests++
      return mode === "plan" ? Effect.succeed(body) : real()
    }

    // --- remapping ---------------------------------------------------------------------------
    /** The one place a derived id becomes the id the service has: what a create answered, once known. */
    const idOn = (board: string, kind: DerivedKind, source: string) => answeredId(journal, ws, board, kind, source)
    /**
     * Reads the id a create answered: where it is not the derived id it asked for, the pair is
     * journaled, and from then on `idOn` gives the answered id. A plan answers what was asked.
     */
    const answered = (kind: DerivedKind, derived: string, created: Entity): Effect.Effect<string, BadInput> => {
      const id = sid(created["id"])
      if (mode === "plan" || id === undefined || id === "" || id === derived) return Effect.succeed(derived)
      return Effect.as(journal.done(ws, answeredKind(kind), derived, id), id)
    }
    const tBoard = (sourceBoard: string | undefined) => st.boardMap.get(sourceBoard ?? "")
    const tFolder = (folder: string) => {
      const board = tBoard(d.folderBoard.get(folder))
      return board === undefined ? undefined : idOn(board, "folder", folder)
    }
    const tAttribute = (attribute: string) => {
      const a = d.attributeById.get(attribute)
      const board = tBoard(sid(a?.["board_id"]))
      return board === undefined ? undefined : idOn(board, "attribute", attribute)
    }
    const tItem = (item: string) => {
      const board = tBoard(d.itemBoard.get(item))
      return board === undefined ? undefined : idOn(board, "item", item)
    }
    /** Every string inside that is the id of a restored entity, replaced by its target id. */
    const deepRemap = (value: unknown): unknown => {
      if (typeof value === "string") {
        if (d.folderBoard.has(value)) return tFolder(value) ?? value
        if (d.attributeById.has(value)) return tAttribute(value) ?? value
        if (d.itemBoard.has(value)) return tItem(value) ?? value
        if (d.boardIds.has(value)) return tBoard(value) ?? value
        for (const labels of st.labelMap.values()) {
          const label = labels.get(value)
          if (label !== undefined) return label
        }
        return value
      }
      if (Array.isArray(value)) return value.map(deepRemap)
      if (isEntity(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepRemap(v)]))
      return value
    }
    const secrets: Array<{ readonly label: string; readonly value: string }> = []
    const warnings: Array<string> = []

    /** An item's values as the target takes them: ids remapped, reference values left to references. */
    const valuesOf = (item: Entity): Array<Entity> => {
      const out: Array<Entity> = []
      for (const raw of asArray(item["values"])) {
        const value = asEntity(raw)
        if (value === undefined || isDeleted(value)) continue
        const attributeId = sid(value["attribute_id"]) ?? ""
        const attribute = d.attributeById.get(attributeId)
        const target = tAttribute(attributeId)
        if (attribute === undefined || target === undefined || attribute["type"] === "reference") continue
        const data = value["data"]
        const listed = (mapped: ReadonlyArray<unknown>) => {
          const kept = mapped.filter((x) => x !== undefined)
          // Everything dropped (listed as not restored): no value rather than an empty one.
          if (kept.length === 0 && asArray(data).length > 0) return undefined
          return kept
        }
        let sent: unknown = data
        switch (attribute["type"]) {
          case "label":
            sent = listed(asArray(data).map((l) => st.labelMap.get(attributeId)?.get(String(l))))
            break
          case "members":
            sent = listed(asArray(data).map((u) => st.userMap.get(String(u))))
            break
          case "attachments":
            sent = listed(asArray(data).map((a) => {
              const id = st.attachmentMap.get(String(asEntity(a)?.["id"] ?? a))
              return id === undefined ? undefined : { id }
            }))
            break
        }
        if (sent === undefined) continue
        out.push({ attribute_id: target, data: sent })
      }
      return out
    }

    const boardState = (board: string) => {
      const state = st.perBoard.get(board) ?? emptyBoard()
      st.perBoard.set(board, state)
      return state
    }

    // --- creates the service gives ids to --------------------------------------------------
    /**
     * Journal first, then the request, then the journal again. A create whose answer was lost
     * (in an earlier run, or just now) is found by `matches` among entities that were not there
     * before it was sent and that no other source entity owns.
     */
    const journaled = (spec: {
      readonly collection: string
      readonly kind: JournalKind
      readonly source: string
      readonly listed: Array<Entity>
      readonly matches: (e: Entity) => boolean
      /** Lists the scope again; absent where the API has no list (uploads). */
      readonly relist?: Effect.Effect<ReadonlyArray<Entity>, ConnectorError>
      readonly body: Entity
      readonly create: () => Effect.Effect<Entity, ConnectorError>
    }): Effect.Effect<{ readonly id: string; readonly entity: Entity | undefined; readonly created: boolean }, Err> =>
      Effect.gen(function*() {
        const t = tallyOf(spec.collection)
        const entry = journal.entry(ws, spec.kind, spec.source)
        const unowned = (before: ReadonlySet<string>) => (e: Entity) =>
          spec.matches(e) && !before.has(idOf(e)) && !journal.ownedBySome(ws, spec.kind, idOf(e))
        if (entry?.pending === undefined && entry?.result !== undefined) {
          const result = entry.result
          const found = spec.listed.find((e) => idOf(e) === result)
          if (found !== undefined || spec.relist === undefined) {
            t.existing++
            return { id: result, entity: found, created: false }
          }
        }
        if (entry?.pending !== undefined) {
          const found = spec.listed.find(unowned(entry.pending))
          if (found !== undefined) {
            yield* journal.done(ws, spec.kind, spec.source, idOf(found))
            t.existing++
            return { id: idOf(found), entity: found, created: false }
          }
          if (spec.relist === undefined && mode === "restore") {
            warnings.push(`${spec.collection} ${spec.source}: an earlier run may have sent it without getting the answer; sent again (the API cannot list ${spec.collection}, so an earlier copy, if any, is referenced by nothing)`)
          }
        }
        const before = new Set(spec.listed.filter(spec.matches).map(idOf))
        yield* journal.intent(ws, spec.kind, spec.source, [...before])
        let created: Entity | undefined
        for (let attempt = 0; created === undefined; attempt++) {
          const outcome = yield* Effect.either(send(spec.collection, mode === "plan" ? { ...spec.body, id: plannedId(spec.kind) } : spec.body, spec.create))
          if (outcome._tag === "Right") {
            created = outcome.right
            break
          }
          const error = outcome.left
          const unclear = error instanceof ServiceError && (error.reason === "Unavailable" || error.reason === "Unreachable")
          if (!unclear || attempt >= 2) return yield* Effect.fail(error)
          // The service may have carried it out: look before sending it again.
          if (spec.relist !== undefined) {
            const found = (yield* spec.relist).find(unowned(before))
            if (found !== undefined) {
              created = found
              break
            }
          } else {
            warnings.push(`${spec.collection} ${spec.source}: sent again after an unclear failure (an earlier copy, if any, is referenced by nothing)`)
          }
        }
        yield* journal.done(ws, spec.kind, spec.source, idOf(created))
        spec.listed.push(created)
        t.created++
        return { id: idOf(created), entity: created, created: true }
      })

    const listOnce = (pages: Pages) => collect(pages, { reads: 0 })

    // --- the steps -------------------------------------------------------------------------

    const usersStep = Effect.gen(function*() {
      const t = tallyOf("users")
      for (const u of src.users) {
        if (isDeleted(u) || email(u) === undefined) continue
        if (st.userMap.has(idOf(u))) {
          t.existing++
          continue
        }
        if (!options.inviteMembers) continue
        const address = email(u)
        const result = yield* journaled({
          collection: "users",
          kind: "invite",
          source: idOf(u),
          listed: st.users,
          matches: (e) => email(e) === address,
          relist: listOnce(client.users(ws)),
          body: { email: u["email"], role: "full-member" },
          create: () => client.inviteMember(ws, { email: u["email"], role: "full-member" })
        }).pipe(
          Effect.catchIf(
            (e): e is ServiceError => e instanceof ServiceError && (e.reason === "Forbidden" || e.reason === "Rejected"),
            (e) => Effect.sync(() => {
              warnings.push(`users ${idOf(u)}: could not be invited (${e.message}); values naming them are not restored`)
              return undefined
            })
          )
        )
        if (result !== undefined) st.userMap.set(idOf(u), result.entity?.["id"] ?? (mode === "plan" ? result.id : Number(result.id)))
      }
    })

    const attachmentsStep = Effect.gen(function*() {
      for (const a of d.attachments) {
        if (st.attachmentMap.has(idOf(a))) {
          tallyOf("attachments").existing++
          continue
        }
        const name = str(a["original_name"]) ?? str(a["basename"]) ?? "file"
        const extension = (str(a["extension"]) ?? "").toLowerCase()
        let bytes: Uint8Array | undefined = new Uint8Array(0)
        if (mode === "restore") {
          const read = src.readFile
          bytes = read === undefined ? undefined : yield* Stream.runFold(read(attachmentPath(a)), [] as Array<Uint8Array>, (acc, c) => {
            acc.push(c)
            return acc
          }).pipe(
            Effect.map((chunks) => new Uint8Array(Buffer.concat(chunks))),
            Effect.catchTag("ArchiveCorrupt", () => Effect.succeed(undefined))
          )
          if (bytes === undefined) {
            warnings.push(`attachments ${idOf(a)}: not restored, the archive holds no bytes for it (${attachmentPath(a)}); the values naming it go without it`)
            continue
          }
        }
        const file = bytes
        const result = yield* journaled({
          collection: "attachments",
          kind: "attachment",
          source: idOf(a),
          listed: [],
          matches: () => false,
          body: { original_name: name },
          create: () => client.uploadAttachment(ws, name, file, CONTENT_TYPES[extension] ?? "")
        })
        st.attachmentMap.set(idOf(a), result.entity?.["id"] ?? result.id)
      }
    })

    const boardsStep = Effect.gen(function*() {
      for (const b of d.boards) {
        if (st.boardMap.has(idOf(b))) {
          tallyOf("boards").existing++
          continue
        }
        const body: Record<string, unknown> = { name: b["name"] }
        if (b["description"] !== null && b["description"] !== undefined) body["description"] = b["description"]
        if (b["color"] !== null && b["color"] !== undefined) body["color"] = b["color"]
        body["user_ids"] = asArray(b["user_ids"]).map((u) => st.userMap.get(String(u))).filter((u) => u !== undefined)
        const result = yield* journaled({
          collection: "boards",
          kind: "board",
          source: idOf(b),
          listed: st.boards,
          matches: (e) => e["name"] === b["name"],
          relist: listOnce(client.boards(ws)),
          body,
          create: () => client.createBoard(ws, body)
        })
        st.boardMap.set(idOf(b), result.id)
        boardState(result.id)
      }
    })

    const folderBody = (f: Entity, attributeIds: ReadonlyArray<unknown>): Record<string, unknown> => {
      const board = tBoard(d.folderBoard.get(idOf(f)))!
      const parent = sid(f["parent_id"])
      const body: Record<string, unknown> = { name: f["name"] }
      // The docs show color as a string only: left out rather than sent as null.
      if (f["color"] !== null && f["color"] !== undefined) body["color"] = f["color"]
      body["parent_id"] = parent === undefined || parent === sid(f["board_id"]) ? board : tFolder(parent) ?? board
      body["attribute_ids"] = attributeIds
      body["settings"] = deepRemap(f["settings"] ?? [])
      // A number, as Create and Update folder document it (the archive holds the read's decimal string).
      const order = sortNumber(f["sort_order"])
      if (order !== undefined) body["sort_order"] = order
      return body
    }
    const folderAttributes = (f: Entity) =>
      asArray(f["attribute_ids"]).map((a) => tAttribute(String(a))).filter((a): a is string => a !== undefined)

    const foldersStep = Effect.gen(function*() {
      const t = tallyOf("folders")
      for (const f of d.folders) {
        const board = tBoard(d.folderBoard.get(idOf(f)))!
        const state = boardState(board)
        if (state.folders.has(idOn(board, "folder", idOf(f)))) {
          t.existing++
          continue
        }
        const derived = restoredId(ws, board, "folder", idOf(f))
        const body = { id: derived, ...folderBody(f, []) }
        const created = yield* send("folders", body, () => client.createFolder(ws, board, body))
        state.folders.set(yield* answered("folder", derived, created), created)
        t.created++
      }
    })

    const attributesStep = Effect.gen(function*() {
      const t = tallyOf("attributes")
      for (const a of d.attributes) {
        const board = tBoard(sid(a["board_id"]))!
        const derived = restoredId(ws, board, "attribute", idOf(a))
        let id = idOn(board, "attribute", idOf(a))
        const state = boardState(board)
        const sourceLabels = asArray(asEntity(a["settings"])?.["labels"])
        const isLabel = a["type"] === "label"
        const defaultData = (): unknown => {
          const data = a["default_data"]
          if (a["type"] === "members") return asArray(data).map((u) => st.userMap.get(String(u))).filter((u) => u !== undefined)
          if (isLabel) return asArray(data).map((l) => st.labelMap.get(idOf(a))?.get(String(l))).filter((l) => l !== undefined)
          return data
        }
        let there = state.attributes.get(id)
        if (there !== undefined) {
          t.existing++
        } else {
          const settings = asEntity(a["settings"])
          let sentSettings: unknown = a["settings"] ?? []
          if (settings !== undefined) {
            const copy: Record<string, unknown> = { ...settings }
            if (copy["folderId"] !== undefined && copy["folderId"] !== null) {
              const folder = tFolder(String(copy["folderId"]))
              if (folder === undefined) delete copy["folderId"]
              else copy["folderId"] = folder
            }
            // Label ids are the service's to give: sent without, paired by position and name after.
            if (Array.isArray(copy["labels"])) {
              copy["labels"] = copy["labels"].map((l: unknown) => {
                const label = asEntity(l)
                if (label === undefined) return l
                const { id: _id, ...rest } = label
                return rest
              })
            }
            sentSettings = copy
          }
          const body: Record<string, unknown> = { id: derived, name: a["name"], type: a["type"] }
          // The docs show no null default_data: left out rather than sent as null.
          const defaults = isLabel ? [] : defaultData()
          if (defaults !== null && defaults !== undefined) body["default_data"] = defaults
          body["settings"] = sentSettings
          const planned = isLabel
            ? { ...body, settings: { ...asEntity(sentSettings), labels: sourceLabels.map((l, i) => ({ ...asEntity(l), id: `planned-label-${idOf(a)}-${i}` })) } }
            : body
          there = yield* send("attributes", planned, () => client.createAttribute(ws, board, body))
          id = yield* answered("attribute", derived, there)
          state.attributes.set(id, there)
          t.created++
        }
        if (isLabel) {
          st.labelMap.set(idOf(a), pairLabels(sourceLabels, asArray(asEntity(there["settings"])?.["labels"])))
          // Default labels can be named only once the labels have their ids.
          const wanted = defaultData()
          if (canonical(wanted) !== canonical(asArray(there["default_data"]))) {
            const body = { name: there["name"], type: there["type"], default_data: wanted, settings: there["settings"] }
            state.attributes.set(id, yield* send("attributes", { ...there, default_data: wanted }, () => client.updateAttribute(ws, board, id, body)))
          }
        }
      }
    })

    const folderAttributesStep = Effect.gen(function*() {
      const t = tallyOf("folders.attribute_ids")
      for (const f of d.folders) {
        const board = tBoard(d.folderBoard.get(idOf(f)))!
        const id = idOn(board, "folder", idOf(f))
        const state = boardState(board)
        const wanted = folderAttributes(f)
        const there = state.folders.get(id)
        if (canonical(asArray(there?.["attribute_ids"])) === canonical(wanted)) {
          if (wanted.length > 0) t.existing++
          continue
        }
        const body = folderBody(f, wanted)
        state.folders.set(id, yield* send("folders.attribute_ids", { ...there, ...body, id }, () => client.updateFolder(ws, board, id, body)))
        t.created++
      }
    })

    const viewBody = (v: Entity): Record<string, unknown> => {
      const body: Record<string, unknown> = {
        name: v["name"],
        folder_id: tFolder(String(v["folder_id"])),
        type: v["type"],
        settings: deepRemap(v["settings"] ?? [])
      }
      // A number, as for folders (no view request in the docs shows one).
      const order = sortNumber(v["sort_order"])
      if (order !== undefined) body["sort_order"] = order
      return body
    }
    const viewDiffers = (want: Entity, got: Entity | undefined) =>
      got === undefined || got["name"] !== want["name"] || got["type"] !== want["type"] || got["folder_id"] !== want["folder_id"] ||
      settingsKey(got["settings"]) !== settingsKey(want["settings"]) || !sameSortOrder(got["sort_order"], want["sort_order"])

    const viewsStep = Effect.gen(function*() {
      const t = tallyOf("views")
      for (const v of d.views) {
        const board = tBoard(sid(v["board_id"]))!
        const derived = restoredId(ws, board, "view", idOf(v))
        let id = idOn(board, "view", idOf(v))
        const state = boardState(board)
        const body = viewBody(v)
        let there = state.views.get(id)
        if (there === undefined) {
          const created = { id: derived, ...body }
          there = yield* send("views", created, () => client.createView(ws, board, created))
          id = yield* answered("view", derived, there)
          state.views.set(id, there)
          t.created++
        } else {
          t.existing++
        }
        // Create view documents only name, folder_id and type: what it did not keep is set by Update view.
        if (viewDiffers(body, there)) state.views.set(id, yield* send("views", { ...there, ...body }, () => client.updateView(ws, board, id, body)))
      }
    })

    /** Create and Update item document folder_id and values (and Update parent_id), no sort_order: items are created in order. */
    const itemBody = (item: Entity): Record<string, unknown> => ({ folder_id: tFolder(String(item["folder_id"])), values: valuesOf(item) })

    const itemsStep = Stream.fromIterable(d.items).pipe(
      Stream.zipWithIndex,
      Stream.mapEffect(([item, n]) =>
        Effect.gen(function*() {
          const board = tBoard(sid(item["board_id"]))!
          const state = boardState(board)
          if (state.items.has(idOn(board, "item", idOf(item)))) {
            tallyOf("items").existing++
          } else {
            const derived = restoredId(ws, board, "item", idOf(item))
            const body = { id: derived, ...itemBody(item) }
            const created = yield* send("items", { ...body, parent_id: null }, () => client.createItem(ws, board, body))
            const id = yield* answered("item", derived, created)
            state.items.set(id, created)
            if (mode === "restore") st.comments.set(id, [])
            tallyOf("items").created++
          }
          return { _tag: "Progress", unit: "items", done: n + 1, total: d.items.length } satisfies RestoreEvent
        })
      )
    )

    const parentsStep = Effect.gen(function*() {
      const t = tallyOf("items.parent_id")
      for (const item of d.items) {
        const parent = sid(item["parent_id"])
        if (parent === undefined || d.itemBoard.get(parent) !== sid(item["board_id"])) continue
        const board = tBoard(sid(item["board_id"]))!
        const id = idOn(board, "item", idOf(item))
        const wanted = idOn(board, "item", parent)
        const state = boardState(board)
        const there = state.items.get(id)
        if (there?.["parent_id"] === wanted) {
          t.existing++
          continue
        }
        // Sent whole (folder and values again): whether Update item replaces is not documented.
        const body = { ...itemBody(item), parent_id: wanted }
        state.items.set(id, yield* send("items.parent_id", { ...there, ...body, id }, () => client.updateItem(ws, board, id, body)))
        t.created++
      }
    })

    const referencesStep = Effect.gen(function*() {
      for (const r of d.references) {
        const board = tBoard(sid(r["board_id"]))!
        const body = {
          attribute_id: tAttribute(String(r["attribute_id"])),
          from_item_id: tItem(String(r["from_item_id"])),
          to_item_id: tItem(String(r["to_item_id"]))
        }
        yield* journaled({
          collection: "references",
          kind: "reference",
          source: idOf(r),
          listed: boardState(board).references,
          matches: (e) => e["attribute_id"] === body.attribute_id && e["from_item_id"] === body.from_item_id && e["to_item_id"] === body.to_item_id,
          relist: listOnce(client.references(ws, board)),
          body,
          create: () => client.createReference(ws, board, body)
        })
      }
    })

    const commentsStep = Effect.gen(function*() {
      for (const c of d.comments) {
        const board = tBoard(sid(c["board_id"]))!
        const item = idOn(board, "item", String(c["item_id"]))
        const listed = st.comments.get(item) ?? []
        st.comments.set(item, listed)
        const body = { text: c["text"] }
        yield* journaled({
          collection: "comments",
          kind: "comment",
          source: idOf(c),
          listed,
          matches: (e) => e["text"] === c["text"],
          relist: listOnce(client.comments(ws, board, item)),
          body,
          create: () => client.createComment(ws, board, item, body)
        })
      }
    })

    const eventsOf = (h: Entity) => asArray(h["events"]).map((e) => str(asEntity(e)?.["event"]) ?? String(e)).sort()
    const hooksStep = Effect.gen(function*() {
      for (const h of d.hooks) {
        const board = tBoard(sid(h["board_id"]))!
        const body = { url: h["url"], events: eventsOf(h).map((event) => ({ event })) }
        const key = canonical(body.events.map((e) => e.event))
        const result = yield* journaled({
          collection: "hooks",
          kind: "hook",
          source: idOf(h),
          listed: boardState(board).hooks,
          matches: (e) => e["url"] === h["url"] && canonical(eventsOf(e)) === key,
          relist: listOnce(client.hooks(ws, board)),
          body,
          create: () => client.createHook(ws, board, body)
        })
        if (mode === "restore" && result.created) {
          const secret = str(result.entity?.["secret"])
          secrets.push({ label: `hook ${withoutQuery(String(h["url"]))}`, value: secret ?? "" })
        }
      }
    })

    const steps: ReadonlyArray<readonly [string, Effect.Effect<void, Err>]> = [
      ["users", usersStep],
      ["attachments", attachmentsStep],
      ["boards", boardsStep],
      ["folders", foldersStep],
      ["attributes", attributesStep],
      ["folders.attribute_ids", folderAttributesStep],
      ["views", viewsStep]
    ]
    const after: ReadonlyArray<readonly [string, Effect.Effect<void, Err>]> = [
      ["items.parent_id", parentsStep],
      ["references", referencesStep],
      ["comments", commentsStep],
      ["hooks", hooksStep]
    ]
    const drain = () => [
      ...warnings.splice(0).map((message): RestoreEvent => ({ _tag: "Warning", message })),
      ...secrets.splice(0).map((s): RestoreEvent => ({ _tag: "Secret", label: s.label, value: s.value }))
    ]
    const done = (collection: string): RestoreEvent => {
      const t = tallyOf(collection)
      return { _tag: "Done", collection, created: t.created, existing: t.existing }
    }
    const stepStream = ([collection, effect]: readonly [string, Effect.Effect<void, Err>]) =>
      Stream.fromIterableEffect(Effect.map(effect, () => [...drain(), done(collection)]))
    const events: Stream.Stream<RestoreEvent, Err> = Stream.fromIterable(steps).pipe(
      Stream.flatMap(stepStream),
      Stream.concat(itemsStep),
      Stream.concat(Stream.sync(() => done("items"))),
      Stream.concat(Stream.fromIterable(after).pipe(Stream.flatMap(stepStream)))
    )
    return { events, tally, warnings }
  }

  const setUp = (archive: ArchiveCollections, mode: Mode | "check") =>
    Effect.gen(function*() {
      const src = yield* loadArchive(archive)
      const d = decide(src, options)
      const stored = yield* loadJournal
      const journal = mode === "restore" ? stored : stored.dry()
      const st = yield* prepare(src, d, journal, mode)
      return { src, d, st, journal }
    })

  /** Members named by values, absent from the target and not invited. */
  const absentMembers = (src: Archive, d: Decision, st: State): ReadonlyArray<NotRestored> => {
    if (options.inviteMembers) return []
    const byId = new Map(src.users.map((u) => [idOf(u), u]))
    const out: Array<NotRestored> = []
    const absent = (id: string) => !st.userMap.has(id)
    const name = (id: string) => str(byId.get(id)?.["email"]) ?? `user ${id}`
    for (const item of d.items) {
      for (const raw of asArray(item["values"])) {
        const value = asEntity(raw)
        const attribute = d.attributeById.get(sid(value?.["attribute_id"]) ?? "")
        if (value === undefined || attribute?.["type"] !== "members") continue
        for (const u of asArray(value["data"])) {
          if (absent(String(u))) {
            out.push({ collection: "items", id: idOf(item), field: `values.${idOf(attribute)}`, reason: `${name(String(u))} is not a member of the target workspace (pass --invite-members to invite)` })
          }
        }
      }
    }
    for (const b of d.boards) {
      for (const u of asArray(b["user_ids"])) {
        if (absent(String(u))) out.push({ collection: "boards", id: idOf(b), field: "user_ids", reason: `${name(String(u))} is not a member of the target workspace` })
      }
    }
    return out
  }

  const restore = (archive: ArchiveCollections): Stream.Stream<RestoreEvent, Err> =>
    Stream.unwrap(Effect.gen(function*() {
      const { d, journal, src, st } = yield* setUp(archive, "restore")
      const { events } = run(src, d, st, journal, "restore")
      const notRestored = [...d.notRestored, ...absentMembers(src, d, st)]
      return Stream.fromIterable<RestoreEvent>(notRestored.map((n) => ({
        _tag: "Warning",
        message: `${n.collection}${n.id === "*" ? "" : ` ${n.id}`}${n.field === "*" ? "" : ` ${n.field}`}: not restored, ${n.reason}`
      }))).pipe(Stream.concat(events))
    }))

  const plan = (archive: ArchiveCollections): Effect.Effect<RestorePlan, Err> =>
    Effect.gen(function*() {
      const { d, journal, src, st } = yield* setUp(archive, "plan")
      const { events, tally } = run(src, d, st, journal, "plan")
      yield* Stream.runDrain(events)
      const order = ["users", "attachments", "boards", "folders", "attributes", "folders.attribute_ids", "views", "items", "items.parent_id", "references", "comments", "hooks"]
      const steps: Array<RestoreStepPlan> = order.map((collection) => {
        const t = tally.get(collection) ?? { created: 0, requests: 0 }
        return { collection, action: "create", entities: t.created, requests: t.requests }
      })
      // The account (the pipeline asks for it once), reading what exists (done), then checking:
      // the same reads over the finished target, one comment list per item with comments and one
      // download per attachment value. Pages estimated at 25 entries (the sandbox's cap; the
      // service documents none).
      const PAGE = 25
      const pages = (n: number) => Math.max(1, Math.ceil(n / PAGE))
      let checkReads = 1 + pages(st.users.length) + pages(st.boards.length)
      for (const state of st.perBoard.values()) {
        checkReads += pages(state.folders.size) + pages(state.attributes.size) + pages(state.views.size) + pages(state.items.size) +
          pages(state.references.length) + (options.withHooks ? pages(state.hooks.length) : 0)
      }
      const commentsPerItem = new Map<string, number>()
      for (const c of d.comments) commentsPerItem.set(sid(c["item_id"]) ?? "", (commentsPerItem.get(sid(c["item_id"]) ?? "") ?? 0) + 1)
      for (const n of commentsPerItem.values()) checkReads += pages(n)
      for (const item of d.items) {
        for (const raw of asArray(item["values"])) {
          const value = asEntity(raw)
          if (d.attributeById.get(sid(value?.["attribute_id"]) ?? "")?.["type"] === "attachments") checkReads += asArray(value?.["data"]).length
        }
      }
      const requests = 1 + st.reads + steps.reduce((n, s) => n + s.requests, 0) + checkReads
      return { steps, notRestored: [...d.notRestored, ...absentMembers(src, d, st)], requests }
    })

  const check = (archive: ArchiveCollections): Effect.Effect<ReadonlyArray<string>, Err> =>
    Effect.gen(function*() {
      const { d, journal, src, st } = yield* setUp(archive, "check")
      const ws = st.workspace
      const idOn = (board: string, kind: DerivedKind, source: string) => answeredId(journal, ws, board, kind, source)
      const problems: Array<string> = []
      const missing = (collection: string, id: string) => problems.push(`${collection} ${id}: missing from the target`)
      const differs = (collection: string, id: string, field: string, got: unknown, want: unknown) =>
        problems.push(`${collection} ${id}: ${field} is ${clip(canonical(got))}, the archive has ${clip(canonical(want))}`)
      const same = (collection: string, id: string, field: string, got: unknown, want: unknown) => {
        if (canonical(got) !== canonical(want)) differs(collection, id, field, got, want)
      }
      const sameOrder = (collection: string, id: string, got: unknown, want: unknown) => {
        if (!sameSortOrder(got, want)) differs(collection, id, "sort_order", got, want)
      }
      const tBoard = (b: string | undefined) => st.boardMap.get(b ?? "")
      const tFolder = (f: string) => {
        const board = tBoard(d.folderBoard.get(f))
        return board === undefined ? undefined : idOn(board, "folder", f)
      }
      const tAttribute = (a: string) => {
        const board = tBoard(sid(d.attributeById.get(a)?.["board_id"]))
        return board === undefined ? undefined : idOn(board, "attribute", a)
      }
      const tItem = (i: string) => {
        const board = tBoard(d.itemBoard.get(i))
        return board === undefined ? undefined : idOn(board, "item", i)
      }

      for (const b of d.boards) {
        const board = tBoard(idOf(b))
        const there = st.boards.find((e) => idOf(e) === board)
        if (there === undefined) {
          missing("boards", idOf(b))
          continue
        }
        same("boards", idOf(b), "name", there["name"], b["name"])
        if (b["description"] !== null && b["description"] !== undefined) same("boards", idOf(b), "description", there["description"], b["description"])
        if (b["color"] !== null && b["color"] !== undefined) same("boards", idOf(b), "color", there["color"], b["color"])
      }
      const on = (sourceBoard: string | undefined) => {
        const board = tBoard(sourceBoard)
        return board === undefined ? undefined : st.perBoard.get(board)
      }

      for (const f of d.folders) {
        const board = tBoard(d.folderBoard.get(idOf(f)))
        const there = board === undefined ? undefined : on(d.folderBoard.get(idOf(f)))?.folders.get(idOn(board, "folder", idOf(f)))
        if (there === undefined || board === undefined) {
          missing("folders", idOf(f))
          continue
        }
        const parent = sid(f["parent_id"])
        same("folders", idOf(f), "name", there["name"], f["name"])
        same("folders", idOf(f), "color", there["color"] ?? null, f["color"] ?? null)
        same("folders", idOf(f), "parent_id", there["parent_id"], parent === undefined || parent === sid(f["board_id"]) ? board : tFolder(parent))
        same("folders", idOf(f), "attribute_ids", there["attribute_ids"], asArray(f["attribute_ids"]).map((a) => tAttribute(String(a))).filter((a) => a !== undefined))
        if (settingsKey(there["settings"]) !== settingsKey(f["settings"])) differs("folders", idOf(f), "settings", there["settings"], f["settings"])
        sameOrder("folders", idOf(f), there["sort_order"], f["sort_order"])
      }

      const labelMaps = new Map<string, Map<string, string>>()
      for (const a of d.attributes) {
        const board = tBoard(sid(a["board_id"]))
        const there = board === undefined ? undefined : on(sid(a["board_id"]))?.attributes.get(idOn(board, "attribute", idOf(a)))
        if (there === undefined) {
          missing("attributes", idOf(a))
          continue
        }
        same("attributes", idOf(a), "name", there["name"], a["name"])
        same("attributes", idOf(a), "type", there["type"], a["type"])
        const settings = asEntity(a["settings"])
        const gotSettings = asEntity(there["settings"])
        const labelsOf = (s: Entity | undefined) => asArray(s?.["labels"]).map((l) => {
          const { id: _id, ...rest } = asEntity(l) ?? {}
          return rest
        })
        if (settings !== undefined) {
          const { labels: _l, folderId, ...rest } = settings
          const { labels: _gl, folderId: gotFolder, ...gotRest } = gotSettings ?? {}
          same("attributes", idOf(a), "settings", gotRest, rest)
          same("attributes", idOf(a), "settings.labels", labelsOf(gotSettings), labelsOf(settings))
          if (folderId !== undefined && folderId !== null) same("attributes", idOf(a), "settings.folderId", gotFolder, tFolder(String(folderId)) ?? null)
        } else if (settingsKey(there["settings"]) !== settingsKey(a["settings"])) {
          differs("attributes", idOf(a), "settings", there["settings"], a["settings"])
        }
        const labels = pairLabels(asArray(settings?.["labels"]), asArray(gotSettings?.["labels"]))
        labelMaps.set(idOf(a), labels)
        const data = a["default_data"]
        const want = a["type"] === "members"
          ? asArray(data).map((u) => st.userMap.get(String(u))).filter((u) => u !== undefined)
          : a["type"] === "label"
          ? asArray(data).map((l) => labels.get(String(l))).filter((l) => l !== undefined)
          : data
        if (!(a["type"] === "number" && Number(there["default_data"]) === Number(want))) same("attributes", idOf(a), "default_data", there["default_data"], want)
      }

      const remapDeep = (value: unknown): unknown => {
        if (typeof value === "string") {
          const mapped = (d.folderBoard.has(value) ? tFolder(value) : undefined) ?? (d.attributeById.has(value) ? tAttribute(value) : undefined) ??
            (d.itemBoard.has(value) ? tItem(value) : undefined) ?? (d.boardIds.has(value) ? tBoard(value) : undefined)
          if (mapped !== undefined) return mapped
          for (const labels of labelMaps.values()) if (labels.has(value)) return labels.get(value)
          return value
        }
        if (Array.isArray(value)) return value.map(remapDeep)
        if (isEntity(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, remapDeep(v)]))
        return value
      }
      for (const v of d.views) {
        const board = tBoard(sid(v["board_id"]))
        const there = board === undefined ? undefined : on(sid(v["board_id"]))?.views.get(idOn(board, "view", idOf(v)))
        if (there === undefined) {
          missing("views", idOf(v))
          continue
        }
        same("views", idOf(v), "name", there["name"], v["name"])
        same("views", idOf(v), "type", there["type"], v["type"])
        same("views", idOf(v), "folder_id", there["folder_id"], tFolder(String(v["folder_id"])))
        const want = remapDeep(v["settings"])
        if (settingsKey(there["settings"]) !== settingsKey(want)) differs("views", idOf(v), "settings", there["settings"], want)
        sameOrder("views", idOf(v), there["sort_order"], v["sort_order"])
      }

      // Attachment bytes: the archive's and the target's, by sha256.
      const archiveHashes = new Map<string, string | undefined>()
      const archiveHash = (a: Entity) =>
        Effect.gen(function*() {
          if (archiveHashes.has(idOf(a))) return archiveHashes.get(idOf(a))
          const read = src.readFile
          const hash = read === undefined ? undefined : yield* sha256Of(read(attachmentPath(a))).pipe(Effect.catchTag("ArchiveCorrupt", () => Effect.succeed(undefined)))
          archiveHashes.set(idOf(a), hash)
          return hash
        })
      const attachmentById = new Map(d.attachments.map((a) => [idOf(a), a]))

      for (const item of d.items) {
        const board = tBoard(sid(item["board_id"]))
        const there = board === undefined ? undefined : on(sid(item["board_id"]))?.items.get(idOn(board, "item", idOf(item)))
        if (there === undefined || board === undefined) {
          missing("items", idOf(item))
          continue
        }
        same("items", idOf(item), "folder_id", there["folder_id"], tFolder(String(item["folder_id"])))
        const parent = sid(item["parent_id"])
        same("items", idOf(item), "parent_id", there["parent_id"] ?? null, parent !== undefined && d.itemBoard.get(parent) === sid(item["board_id"]) ? tItem(parent) : null)
        // No sort_order is sent for items (none documented): their order is checked below.
        const got = new Map(asArray(there["values"]).flatMap((raw) => {
          const v = asEntity(raw)
          return v === undefined ? [] : [[sid(v["attribute_id"]) ?? "", v] as const]
        }))
        for (const raw of asArray(item["values"])) {
          const value = asEntity(raw)
          const attributeId = sid(value?.["attribute_id"]) ?? ""
          const attribute = d.attributeById.get(attributeId)
          if (value === undefined || isDeleted(value) || attribute === undefined || attribute["type"] === "reference") continue
          const field = `values.${String(attribute["name"] ?? attributeId)}`
          const target = got.get(tAttribute(attributeId) ?? "")
          const data = value["data"]
          if (attribute["type"] === "attachments") {
            // Those the archive holds bytes for (the others were listed as not restored).
            const want: Array<{ readonly entity: Entity; readonly hash: string }> = []
            for (const a of asArray(data)) {
              const entity = attachmentById.get(String(asEntity(a)?.["id"] ?? a))
              const hash = entity === undefined ? undefined : yield* archiveHash(entity)
              if (entity !== undefined && hash !== undefined) want.push({ entity, hash })
            }
            const have = asArray(target?.["data"]).map(asEntity).filter((a): a is Entity => a !== undefined)
            if (have.length !== want.length) {
              differs("items", idOf(item), field, have.map((a) => a["original_name"]), want.map((a) => a.entity["original_name"]))
              continue
            }
            for (let k = 0; k < want.length; k++) {
              const { entity: w, hash: expected } = want[k]!
              const h = have[k]!
              if (h["original_name"] !== w["original_name"]) differs("items", idOf(item), `${field}[${k}].original_name`, h["original_name"], w["original_name"])
              const link = str(h["link"])
              const actual = link === undefined ? undefined : yield* client.download<string, never, never>(link, (bytes) => sha256Of(bytes))
              if (expected !== actual) {
                problems.push(`items ${idOf(item)}: ${field}[${k}] (${String(w["original_name"])}) has other bytes than the archive's (sha256 ${actual ?? "unreadable"}, the archive has ${expected})`)
              }
            }
            continue
          }
          const want = attribute["type"] === "label"
            ? asArray(data).map((l) => labelMaps.get(attributeId)?.get(String(l))).filter((l) => l !== undefined)
            : attribute["type"] === "members"
            ? asArray(data).map((u) => st.userMap.get(String(u))).filter((u) => u !== undefined)
            : data
          const dropped = Array.isArray(want) && want.length === 0 && asArray(data).length > 0
          if (dropped) continue // listed as not restored
          if (target === undefined) problems.push(`items ${idOf(item)}: ${field} is absent, the archive has ${clip(canonical(want))}`)
          else same("items", idOf(item), field, target["data"], want)
        }
      }

      // Items were created in the archive's order (board, then sort_order): in each target folder
      // the target's sort_order must keep it, whether the service numbers items per board or per
      // folder. Items of equal archive sort_order may come in any order.
      const orderIn = new Map<string, { earlier: number; key: number; max: number }>()
      for (const item of d.items) {
        const sourceBoard = sid(item["board_id"])
        const tb = tBoard(sourceBoard)
        const there = tb === undefined ? undefined : on(sourceBoard)?.items.get(idOn(tb, "item", idOf(item)))
        const got = sortNumber(there?.["sort_order"])
        if (there === undefined || got === undefined) continue
        const key = numeric(item["sort_order"])
        const scope = `${tb ?? ""}\u0000${String(there["folder_id"])}`
        const seen = orderIn.get(scope) ?? { earlier: Number.NEGATIVE_INFINITY, key, max: Number.NEGATIVE_INFINITY }
        if (key !== seen.key) {
          seen.earlier = Math.max(seen.earlier, seen.max) // the highest target sort_order of the items strictly before
          seen.key = key
          seen.max = Number.NEGATIVE_INFINITY
        }
        if (got <= seen.earlier) {
          problems.push(`items ${idOf(item)}: sort_order ${String(there["sort_order"])} puts it before an item the archive orders before it`)
        }
        seen.max = Math.max(seen.max, got)
        orderIn.set(scope, seen)
      }

      // References: each once, by its remapped ends.
      const usedReferences = new Set<string>()
      for (const r of d.references) {
        const refs = on(sid(r["board_id"]))?.references ?? []
        const found = refs.find((e) =>
          !usedReferences.has(idOf(e)) && e["attribute_id"] === tAttribute(String(r["attribute_id"])) &&
          e["from_item_id"] === tItem(String(r["from_item_id"])) && e["to_item_id"] === tItem(String(r["to_item_id"]))
        )
        if (found === undefined) missing("references", idOf(r))
        else usedReferences.add(idOf(found))
      }
      for (const b of d.boards) {
        const refs = on(idOf(b))?.references ?? []
        const extra = refs.filter((e) => !usedReferences.has(idOf(e))).length
        if (extra > 0) problems.push(`boards ${idOf(b)}: the target holds ${extra} reference${extra === 1 ? "" : "s"} more than the archive`)
      }

      // Comments: per item, the same texts, none twice, created in the archive's order. The
      // order is read from created_at, not from the list's position: a list's order is asked for
      // (sort_by=created_at, asc) but comments created within one tick share a created_at, and
      // their order among themselves is the service's.
      const byItem = new Map<string, Array<Entity>>()
      for (const c of d.comments) byItem.set(String(c["item_id"]), [...(byItem.get(String(c["item_id"])) ?? []), c])
      for (const [sourceItem, comments] of byItem) {
        const item = tItem(sourceItem)
        const have = item === undefined ? [] : [...(st.comments.get(item) ?? [])]
        const unused = have.map((c) => ({ text: c["text"], at: str(c["created_at"]) ?? "" }))
          .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0))
        const times: Array<string> = []
        for (const c of comments) {
          const at = unused.findIndex((u) => u.text === c["text"])
          if (at < 0) missing("comments", idOf(c))
          else times.push(...unused.splice(at, 1).map((u) => u.at))
        }
        if (unused.length > 0) problems.push(`items ${sourceItem}: the target holds ${unused.length} comment${unused.length === 1 ? "" : "s"} more than the archive`)
        else if (times.some((t, k) => k > 0 && t !== "" && (times[k - 1] ?? "") > t)) {
          problems.push(`items ${sourceItem}: comments are in another order than in the archive`)
        }
      }

      for (const h of d.hooks) {
        const hooks = on(sid(h["board_id"]))?.hooks ?? []
        const events = canonical(asArray(h["events"]).map((e) => str(asEntity(e)?.["event"])).sort())
        if (!hooks.some((e) => e["url"] === h["url"] && canonical(asArray(e["events"]).map((x) => str(asEntity(x)?.["event"])).sort()) === events)) {
          missing("hooks", idOf(h))
        }
      }
      return problems
    })

  return { service: "infinity", apiUrl: client.api.baseUrl, stats: client.api.budget.stats, account, plan, restore, check }
}

/** Infinity as the run's restore target. */
export const infinityTargetLayer = (options: InfinityTargetOptions): Layer.Layer<RestoreTarget, never, Infinity> =>
  Layer.effect(RestoreTarget, Effect.map(Infinity, (client) => makeInfinityTarget(client, options)))
