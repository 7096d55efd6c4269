/**
 * The documented Infinity API v2, in memory, as an `HttpApp`: what tests, `npm start`, `ferry
 * sandbox` and the benchmark talk to instead of app.startinfinity.com. It is an honest stand-in:
 * it knows nothing about Ferry, enforces the documented limit (180 requests per minute) and the
 * rules of infinity.md (Bearer tokens, cursor pages, 201/200 statuses, multi-action creates,
 * signed attachment links valid for 2 hours). Where the docs are silent it does what a Laravel
 * service most likely does; those choices are marked "(choice)".
 *
 * Paths: the API answers under `/api/v2` and stored files under `/storage/item-files/...`, as
 * on the real host. The app routes on the request's original path, so it gives the same
 * answers in-process and behind a mount that strips its prefix (`infinitySandboxMounts`).
 *
 * Time comes only from `options.now`, so tests drive the rate limit and link expiry with a
 * virtual clock.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { FetchHttpClient, HttpApp, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Data, Effect, Layer, Stream } from "effect"
import { appFetchLayer } from "../sandbox/fetch.ts"
import type { SandboxMount } from "../sandbox/server.ts"
import { decimalSortOrder, infinityTimestamp, type InfinitySeed, pathInfo, type SeedRow, storedFileName } from "./sandbox-seed.ts"

// ---------------------------------------------------------------------------------------------
// Contract

export type InfinitySandboxFault = "none" | "error500" | "error503" | "drop"

export interface InfinitySandboxOptions {
  readonly seed: InfinitySeed
  /** Epoch ms; default `Date.now`. Every date the sandbox writes, the rate limit and link expiry use it. */
  readonly now?: () => number
  /** Default `{ perMinute: 180 }` (the documented limit), per token over any sliding 60 s; `false` turns it off. */
  readonly rateLimit?: { readonly perMinute: number } | false
  /** The most entries a page holds, whatever `limit` asks; default 25 (choice: the docs give no maximum). */
  readonly pageCap?: number
  /**
   * Consulted for every request that passes the rate limit; `path` is the full path
   * (`/api/v2/...` or `/storage/...`), `n` the 1-based count of all requests seen so far (429s
   * included). "error500"/"error503" answer before the route runs (nothing is written); "drop"
   * runs the route (writes happen), sends its status, headers and part of the body, then breaks it.
   */
  readonly faults?: (request: { readonly method: string; readonly path: string; readonly n: number }) => InfinitySandboxFault
  /**
   * Origin of the attachment `link`s. Default: the origin the request was sent to (its URL
   * in-process, its `Host` over a socket), else `http://infinity.sandbox` (choice: so served
   * links work on whatever port the server got).
   */
  readonly baseUrl?: string
}

export interface InfinitySandboxAccount {
  readonly userId: number
  readonly token: string
}

export interface InfinitySandboxStats {
  /** Every request received, 429s, faults and file downloads included. */
  readonly requests: number
  /** Requests answered 429. */
  readonly rateLimited: number
  /** Requests that reached a route, keyed "METHOD /api/v2/route/:template". */
  readonly byRoute: ReadonlyMap<string, number>
}

/** One stored object. Stored objects are never mutated: a change replaces the object. */
export type StoredEntity = Readonly<Record<string, unknown>>

export type InfinityCollection =
  | "users"
  | "workspaces"
  | "boards"
  | "folders"
  | "attributes"
  | "items"
  | "values"
  | "comments"
  | "views"
  | "references"
  | "hooks"
  | "hookLogs"
  | "attachments"

/** The sandbox's data, for tests to inspect writes and to change data between requests. */
export interface InfinityState {
  /** Objects by id (numeric ids as decimal strings), as stored: items without `values`, attachments without `link`. */
  readonly users: ReadonlyMap<string, StoredEntity>
  readonly workspaces: ReadonlyMap<string, StoredEntity>
  readonly boards: ReadonlyMap<string, StoredEntity>
  readonly folders: ReadonlyMap<string, StoredEntity>
  readonly attributes: ReadonlyMap<string, StoredEntity>
  readonly items: ReadonlyMap<string, StoredEntity>
  /** Stored values; reference values are not stored, they come from `references`. */
  readonly values: ReadonlyMap<string, StoredEntity>
  readonly comments: ReadonlyMap<string, StoredEntity>
  readonly views: ReadonlyMap<string, StoredEntity>
  readonly references: ReadonlyMap<string, StoredEntity>
  readonly hooks: ReadonlyMap<string, StoredEntity>
  readonly hookLogs: ReadonlyMap<string, StoredEntity>
  readonly attachments: ReadonlyMap<string, StoredEntity>
  /** Workspace id → user id → role ("owner", "full-member"...). */
  readonly members: ReadonlyMap<number, ReadonlyMap<number, string>>
  /** Where an object lives (the `parent` of `SeedRow`), or undefined. */
  readonly parentOf: (collection: InfinityCollection, id: string | number) => string | undefined
  /** The stored bytes of an attachment. */
  readonly fileOf: (attachmentId: number) => { readonly bytes: Uint8Array; readonly contentType: string } | undefined
  /** Merges `fields` into a stored object exactly as given (no dates, no checks); the new object, or undefined. */
  readonly edit: (collection: InfinityCollection, id: string | number, fields: Readonly<Record<string, unknown>>) => StoredEntity | undefined
}

export interface InfinitySandbox {
  /** The API and the file storage; call it in-process (`infinitySandboxFetchLayer`) or serve it (`infinitySandboxMounts`). */
  readonly app: HttpApp.Default<never, never>
  readonly accounts: {
    readonly main: InfinitySandboxAccount
    readonly target: InfinitySandboxAccount & { readonly workspaceId: number }
  }
  /** Live counters. */
  readonly stats: InfinitySandboxStats
  readonly state: InfinityState
}

/** Any base URL works in-process; this one says where requests go. API calls go to `${it}/api/v2/...`. */
export const INFINITY_SANDBOX_BASE_URL = "http://infinity.sandbox"
export const INFINITY_API_PREFIX = "/api/v2"
/** Signed attachment links live here, outside the API prefix, as on the real host. */
export const INFINITY_STORAGE_PREFIX = "/storage"

/** The documented rate limit. */
export const INFINITY_SANDBOX_RATE_LIMIT = { perMinute: 180 } as const
/** (choice) The largest page, whatever `limit` asks: below what clients usually ask for. */
export const INFINITY_SANDBOX_PAGE_CAP = 25
/** (choice) The documented page size when `limit` is absent is not given; 10 is the docs' example. */
export const INFINITY_DEFAULT_LIMIT = 10
/** Uploads and JSON bodies over this size are refused with 413 (choice: the docs give no limit). */
export const INFINITY_MAX_BODY_BYTES = 10 * 1024 * 1024
/** Attachment links are valid for 2 hours (documented). */
export const INFINITY_LINK_TTL_SECONDS = 2 * 60 * 60

export const makeInfinitySandbox = (options: InfinitySandboxOptions): InfinitySandbox => {
  const now = options.now ?? Date.now
  const store = new Store()
  store.load(options.seed)
  const counters = { requests: 0, rateLimited: 0, byRoute: new Map<string, number>() }
  const app = makeApp(store, counters, options, now)
  const token = (userId: number) => options.seed.tokens.find((t) => t.userId === userId)?.token ?? ""
  const { main, target, targetWorkspace } = options.seed.accounts
  return {
    app,
    accounts: {
      main: { userId: main, token: token(main) },
      target: { userId: target, token: token(target), workspaceId: targetWorkspace }
    },
    stats: {
      get requests() {
        return counters.requests
      },
      get rateLimited() {
        return counters.rateLimited
      },
      byRoute: counters.byRoute
    },
    state: store
  }
}

/**
 * How to serve the sandbox beside Kinopio with src/sandbox/server.ts: the same app under both
 * prefixes (the mount strips its prefix; the app routes on the original path anyway).
 */
export const infinitySandboxMounts = (sandbox: InfinitySandbox): ReadonlyArray<SandboxMount> => [
  { prefix: INFINITY_API_PREFIX, app: sandbox.app },
  { prefix: INFINITY_STORAGE_PREFIX, app: sandbox.app }
]

/** A `FetchHttpClient.Fetch` that hands every request straight to the sandbox app: no socket. */
export const infinitySandboxFetchLayer = (
  sandbox: InfinitySandbox | HttpApp.Default<never, never>
): Layer.Layer<FetchHttpClient.Fetch> => appFetchLayer(Effect.isEffect(sandbox) ? sandbox : sandbox.app)

// ---------------------------------------------------------------------------------------------
// Store

type Entity = Record<string, unknown>

interface Key {
  readonly time: number
  readonly id: string
}

/**
 * One collection: objects by id, each with where it lives and its sort time. Lists come in
 * (time, id) order, the order every page walks; the order per parent is cached until a child
 * is added or removed.
 */
class Table {
  readonly entities = new Map<string, StoredEntity>()
  private readonly meta = new Map<string, { readonly parent: string; readonly time: number }>()
  private readonly children = new Map<string, Set<string>>()
  private readonly sorted = new Map<string, ReadonlyArray<string>>()

  constructor(readonly numericIds = false) {}

  get(id: string | number) {
    return this.entities.get(String(id))
  }

  parentOf(id: string | number) {
    return this.meta.get(String(id))?.parent
  }

  timeOf(id: string) {
    return this.meta.get(id)?.time
  }

  /** Inserts or replaces; `parent` and `time` are kept for an id that exists already. */
  put(entity: StoredEntity, parent: string, time: number) {
    const id = String(entity["id"])
    if (!this.meta.has(id)) {
      this.meta.set(id, { parent, time })
      const set = this.children.get(parent) ?? new Set<string>()
      set.add(id)
      this.children.set(parent, set)
      this.sorted.delete(parent)
    }
    this.entities.set(id, entity)
  }

  /** Replaces the object of an existing id. */
  replace(entity: StoredEntity) {
    const id = String(entity["id"])
    if (this.entities.has(id)) this.entities.set(id, entity)
    return entity
  }

  remove(id: string) {
    const meta = this.meta.get(id)
    if (meta === undefined) return false
    this.meta.delete(id)
    this.entities.delete(id)
    this.children.get(meta.parent)?.delete(id)
    this.sorted.delete(meta.parent)
    return true
  }

  compare(a: Key, b: Key) {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1
    if (this.numericIds) return Number(a.id) - Number(b.id)
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  }

  /** Ids under a parent in (time, id) order. */
  list(parent: string): ReadonlyArray<string> {
    const cached = this.sorted.get(parent)
    if (cached !== undefined) return cached
    const ids = [...(this.children.get(parent) ?? [])]
    const keyed = ids.map((id) => ({ id, time: this.meta.get(id)?.time ?? 0 }))
    keyed.sort((a, b) => this.compare(a, b))
    const out = keyed.map((k) => k.id)
    this.sorted.set(parent, out)
    return out
  }

  entitiesUnder(parent: string): Array<StoredEntity> {
    return this.list(parent).flatMap((id) => {
      const entity = this.entities.get(id)
      return entity === undefined ? [] : [entity]
    })
  }

  maxId() {
    let max = 0
    for (const id of this.entities.keys()) max = Math.max(max, Number(id) || 0)
    return max
  }
}

const timeOf = (iso: string | undefined) => {
  const parsed = Date.parse(iso ?? "")
  return Number.isNaN(parsed) ? 0 : Math.floor(parsed / 1000) * 1000
}

class Store implements InfinityState {
  readonly tables = {
    users: new Table(true),
    workspaces: new Table(true),
    boards: new Table(),
    folders: new Table(),
    attributes: new Table(),
    items: new Table(),
    values: new Table(),
    comments: new Table(),
    views: new Table(),
    references: new Table(),
    hooks: new Table(),
    hookLogs: new Table(),
    attachments: new Table(true)
  } as const
  readonly members = new Map<number, Map<number, string>>()
  readonly tokens = new Map<string, number>()
  private readonly files = new Map<number, { readonly bytes: Uint8Array; readonly contentType: string }>()
  readonly attachmentByPath = new Map<string, number>()

  get users() { return this.tables.users.entities }
  get workspaces() { return this.tables.workspaces.entities }
  get boards() { return this.tables.boards.entities }
  get folders() { return this.tables.folders.entities }
  get attributes() { return this.tables.attributes.entities }
  get items() { return this.tables.items.entities }
  get values() { return this.tables.values.entities }
  get comments() { return this.tables.comments.entities }
  get views() { return this.tables.views.entities }
  get references() { return this.tables.references.entities }
  get hooks() { return this.tables.hooks.entities }
  get hookLogs() { return this.tables.hookLogs.entities }
  get attachments() { return this.tables.attachments.entities }

  load(seed: InfinitySeed) {
    for (const { token, userId } of seed.tokens) this.tokens.set(token, userId)
    for (const user of seed.users) this.tables.users.put(user, "", timeOf(String(user["created_at"] ?? "")))
    for (const member of seed.members) this.addMember(member.workspaceId, member.userId, member.role)
    const rows = (collection: Exclude<InfinityCollection, "users" | "attachments">, list: ReadonlyArray<SeedRow>) => {
      for (const row of list) this.tables[collection].put(row.entity, row.parent, timeOf(row.time))
    }
    rows("workspaces", seed.workspaces)
    rows("boards", seed.boards)
    rows("folders", seed.folders)
    rows("attributes", seed.attributes)
    rows("items", seed.items)
    rows("values", seed.values)
    rows("comments", seed.comments)
    rows("views", seed.views)
    rows("references", seed.references)
    rows("hooks", seed.hooks)
    rows("hookLogs", seed.hookLogs)
    for (const row of seed.attachments) this.putAttachment(row.entity, row.parent, timeOf(row.time), row.bytes, row.contentType)
  }

  addMember(workspaceId: number, userId: number, role: string) {
    const map = this.members.get(workspaceId) ?? new Map<number, string>()
    map.set(userId, role)
    this.members.set(workspaceId, map)
  }

  putAttachment(entity: StoredEntity, parent: string, time: number, bytes: Uint8Array, contentType: string) {
    this.tables.attachments.put(entity, parent, time)
    this.files.set(Number(entity["id"]), { bytes, contentType })
    this.attachmentByPath.set(String(entity["path"]), Number(entity["id"]))
  }

  parentOf(collection: InfinityCollection, id: string | number) {
    return this.tables[collection].parentOf(id)
  }

  fileOf(attachmentId: number) {
    return this.files.get(attachmentId)
  }

  edit(collection: InfinityCollection, id: string | number, fields: Readonly<Record<string, unknown>>) {
    const entity = this.tables[collection].get(id)
    return entity === undefined ? undefined : this.tables[collection].replace({ ...entity, ...fields })
  }
}

// ---------------------------------------------------------------------------------------------
// Requests, answers and failures

/** An answer a route gives up on; becomes `{"message": ..., "errors"?: ...}` with the status. */
class ApiFailure extends Data.TaggedError("ApiFailure")<{
  readonly status: number
  readonly message: string
  readonly errors?: Readonly<Record<string, ReadonlyArray<string>>>
}> {}

const refuse = (status: number, message: string) => Effect.fail(new ApiFailure({ status, message }))

/** A Laravel validation failure: 422 with the message and the field it is about. */
const invalid = (field: string, message: string) => Effect.fail(new ApiFailure({ status: 422, message, errors: { [field]: [message] } }))

const UNAUTHENTICATED = "Unauthenticated."
const FORBIDDEN = "This action is unauthorized."

/** The body stream of a "drop" fault fails with this. */
class BodyDropped extends Data.TaggedError("BodyDropped")<{}> {}

/** An answer with another status than 200. */
class Reply {
  constructor(readonly body: unknown, readonly status: number) {}
}

interface RouteInput {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly url: URL
  readonly params: Readonly<Record<string, string | undefined>>
  readonly query: URLSearchParams
  /** Where links point (see `baseUrl`). */
  readonly origin: string
}

interface ApiInput extends RouteInput {
  readonly user: StoredEntity
  readonly userId: number
}

type Handler<I> = (input: I) => Effect.Effect<unknown, ApiFailure>
type Method = "GET" | "POST" | "PUT" | "DELETE"

/**
 * PHP's json_encode defaults, as Laravel's JSON responses use them: "/" escaped as "\/" and
 * every non-ASCII character as \uXXXX. Any JSON parser reads it back to the same value.
 */
const phpJson = (body: unknown) =>
  JSON.stringify(body)
    .replace(/\//g, "\\/")
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

const jsonResponse = (body: unknown, status = 200) =>
  HttpServerResponse.text(phpJson(body), { status, contentType: "application/json" })

const failureResponse = (failure: ApiFailure) =>
  jsonResponse(failure.errors === undefined ? { message: failure.message } : { message: failure.message, errors: failure.errors }, failure.status)

/** The path and query as the client sent them, whatever mount stripped a prefix since. */
const originalPathOf = (request: HttpServerRequest.HttpServerRequest) => {
  const original = request.originalUrl
  if (original.startsWith("/")) return original
  const start = original.indexOf("/", original.indexOf("//") + 2)
  return start === -1 ? "/" : original.slice(start)
}

const requestUrl = (request: HttpServerRequest.HttpServerRequest) => new URL(request.url, INFINITY_SANDBOX_BASE_URL)

/** The token of `Authorization: Bearer <token>`; a raw token (no "Bearer") is no token. */
const bearerOf = (request: HttpServerRequest.HttpServerRequest) => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers["authorization"] ?? "")
  return match?.[1]
}

/** Reads a body of at most INFINITY_MAX_BODY_BYTES; a request without a body gives no bytes. */
const readBytes = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const declared = Number(request.headers["content-length"] ?? "0")
    if (declared > INFINITY_MAX_BODY_BYTES) return yield* refuse(413, "The request body is larger than 10 MB.")
    const chunks: Array<Uint8Array> = []
    let size = 0
    yield* request.stream.pipe(
      Stream.runForEach((chunk) => {
        size += chunk.length
        if (size > INFINITY_MAX_BODY_BYTES) return refuse(413, "The request body is larger than 10 MB.")
        chunks.push(chunk)
        return Effect.void
      }),
      Effect.catchTag("RequestError", () => Effect.void) // no body at all
    )
    return new Uint8Array(Buffer.concat(chunks))
  })

const isObject = (value: unknown): value is StoredEntity =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A JSON object body; an empty body is an empty object (choice: its fields then fail validation with 422). */
const readJson = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const text = Buffer.from(yield* readBytes(request)).toString("utf8")
    if (text.trim() === "") return {} as StoredEntity
    const body = yield* Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: () => new ApiFailure({ status: 400, message: "The request body is not valid JSON." })
    })
    if (!isObject(body)) return yield* invalid("body", "The request body must be a JSON object.")
    return body
  })

const text = (entity: StoredEntity | undefined, key: string): string | undefined => {
  const value = entity?.[key]
  return typeof value === "string" ? value : undefined
}

const insertBefore = (entity: StoredEntity, before: string, key: string, value: unknown): Entity => {
  const out: Entity = {}
  let placed = false
  for (const [k, v] of Object.entries(entity)) {
    if (k === before && !placed) {
      out[key] = value
      placed = true
    }
    if (k !== key) out[k] = v
  }
  if (!placed) out[key] = value
  return out
}

const omit = (entity: StoredEntity, keys: ReadonlyArray<string>): Entity => {
  const out: Entity = { ...entity }
  for (const key of keys) delete out[key]
  return out
}

/** Empty settings/preferences are serialized as `[]` (documented). */
const emptyAsArray = (value: unknown) =>
  value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0) ? [] : value

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SHORT_ID = /^[A-Za-z0-9]{11}$/
const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** A new 11-character id (boards, folders, views). */
const newShortId = () => Array.from(randomBytes(11), (b) => BASE62[b % 62]).join("")

/** A new 32-character hook secret. */
const newSecret = () => Array.from(randomBytes(32), (b) => BASE62[b % 62]).join("")

/** UUIDv7 ids (time first) that sort in creation order even within one millisecond. */
const makeUuid7 = () => {
  let last = 0
  let sequence = 0
  return (ms: number) => {
    const time = Math.max(Math.floor(ms), last)
    sequence = time === last ? sequence + 1 : 0
    last = time
    const random = randomBytes(8).toString("hex")
    const hex = time.toString(16).padStart(12, "0") + (0x7000 | (sequence & 0xfff)).toString(16) +
      (0x8000 | (parseInt(random.slice(0, 4), 16) & 0x3fff)).toString(16) + random.slice(4, 16)
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
  }
}

/** The id of the value a reference attribute shows for an item (derived, stable). */
const referenceValueId = (itemId: string, attributeId: string) => {
  const hex = createHash("sha256").update(`reference-value:${itemId}:${attributeId}`).digest("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  json: "application/json",
  html: "text/html",
  sh: "application/x-sh",
  zip: "application/zip"
}

const contentTypeFor = (extension: string) => CONTENT_TYPES[extension.toLowerCase()] ?? "application/octet-stream"

/** The extension a stored file name gets: lower-case letters and digits only (choice). */
const storedExtension = (extension: string) => extension.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 10)

// ---------------------------------------------------------------------------------------------
// Cursor pages (infinity.md §4)

interface ListQuery {
  readonly limit: number
  readonly direction: "asc" | "desc"
  readonly before: Key | undefined
  readonly after: Key | undefined
}

const CURSOR_TEXT = /^([A-Za-z0-9-]+)(?:,(?:(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}))?)?$/

/** `<id>,<Y-m-d H:i:s>` (or `<id>,` or `<id>`) in base64; undefined when garbled. */
const decodeCursor = (raw: string): { readonly id: string; readonly time: number | undefined } | undefined => {
  const compact = raw.replace(/ /g, "+") // a "+" that arrived unencoded
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return undefined
  const decoded = Buffer.from(compact.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8")
  const match = CURSOR_TEXT.exec(decoded)
  if (match === null || match[1] === undefined) return undefined
  if (match[2] === undefined) return { id: match[1], time: undefined }
  const time = Date.parse(`${match[2]}T${match[3] ?? ""}Z`)
  return Number.isNaN(time) ? undefined : { id: match[1], time }
}

const cursorDate = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace("T", " ")

const parseListQuery = (query: URLSearchParams, table: Table, pageCap: number) =>
  Effect.gen(function*() {
    const rawLimit = query.get("limit")
    let limit = INFINITY_DEFAULT_LIMIT
    if (rawLimit !== null && rawLimit !== "") {
      if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1) return yield* invalid("limit", "The limit field must be an integer of at least 1.")
      limit = Number(rawLimit)
    }
    const sortBy = query.get("sort_by")
    if (sortBy !== null && sortBy !== "" && sortBy !== "created_at") {
      return yield* invalid("sort_by", "The selected sort_by is invalid.") // (choice) only created_at is documented
    }
    const rawDirection = (query.get("sort_direction") ?? "").toLowerCase()
    if (rawDirection !== "" && rawDirection !== "asc" && rawDirection !== "desc") {
      return yield* invalid("sort_direction", "The selected sort_direction is invalid.")
    }
    const keyOf = (name: "before" | "after") => {
      const raw = query.get(name)
      if (raw === null || raw === "") return Effect.succeed(undefined) // (choice) an empty cursor is no cursor
      const cursor = decodeCursor(raw)
      if (cursor === undefined) return refuse(400, `The ${name} cursor is not valid.`)
      // The entry it names, where it still is; else the time it carries.
      const time = table.timeOf(cursor.id) ?? cursor.time ?? Number.NEGATIVE_INFINITY
      return Effect.succeed<Key | undefined>({ id: cursor.id, time })
    }
    const before = yield* keyOf("before")
    const after = yield* keyOf("after")
    if (before !== undefined && after !== undefined) return yield* refuse(400, "Send before or after, not both.") // (choice)
    return {
      limit: Math.min(limit, pageCap),
      direction: rawDirection === "desc" ? "desc" : "asc", // (choice) asc by default
      before,
      after
    } satisfies ListQuery
  })

/**
 * One page of `ids` (in (time, id) order) that pass `keep`, walking from the cursor: `after`
 * goes on in the sort direction, `before` goes back. `has_more` says whether more entries
 * follow in the direction walked (choice). Cursors: `before` names the first entry of the page,
 * `after` the last; "" when the page is empty.
 */
const paginate = (
  table: Table,
  ids: ReadonlyArray<string>,
  q: ListQuery,
  keep: (entity: StoredEntity) => boolean,
  render: (entity: StoredEntity) => unknown,
  cursorStyle: "dated" | "id" = "dated"
) => {
  const keyAt = (i: number): Key => ({ id: ids[i] ?? "", time: table.timeOf(ids[i] ?? "") ?? 0 })
  /** The first index whose key is >= key (or > key when `strict`). */
  const bound = (key: Key, strict: boolean) => {
    let lo = 0
    let hi = ids.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const c = table.compare(keyAt(mid), key)
      if (c < 0 || (strict && c === 0)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const asc = q.direction === "asc"
  let start: number
  let step: 1 | -1
  let backwards = false
  if (q.after !== undefined) {
    start = asc ? bound(q.after, true) : bound(q.after, false) - 1
    step = asc ? 1 : -1
  } else if (q.before !== undefined) {
    start = asc ? bound(q.before, false) - 1 : bound(q.before, true)
    step = asc ? -1 : 1
    backwards = true
  } else {
    start = asc ? 0 : ids.length - 1
    step = asc ? 1 : -1
  }
  const found: Array<StoredEntity> = []
  for (let i = start; i >= 0 && i < ids.length && found.length <= q.limit; i += step) {
    const entity = table.get(ids[i] ?? "")
    if (entity !== undefined && keep(entity)) found.push(entity)
  }
  const hasMore = found.length > q.limit
  const page = found.slice(0, q.limit)
  if (backwards) page.reverse()
  const cursor = (entity: StoredEntity | undefined) => {
    if (entity === undefined) return ""
    const id = String(entity["id"])
    if (cursorStyle === "id") return Buffer.from(id).toString("base64")
    const shown = entity["created_at"]
    const date = "created_at" in entity
      ? (typeof shown === "string" && !Number.isNaN(Date.parse(shown)) ? cursorDate(Date.parse(shown)) : "")
      : cursorDate(table.timeOf(id) ?? 0)
    return Buffer.from(`${id},${date}`).toString("base64")
  }
  return {
    has_more: hasMore,
    before: cursor(page[0]),
    after: cursor(page[page.length - 1]),
    data: page.map(render)
  }
}

// ---------------------------------------------------------------------------------------------
// Rate limit: at most `perMinute` requests per credential in any sliding 60 s

const makeRateLimiter = (perMinute: number) => {
  const recent = new Map<string, Array<number>>()
  /** Counts the request unless refused; a refused request is not counted (choice, as Laravel's throttle). */
  return (key: string, at: number): { readonly ok: boolean; readonly remaining: number; readonly retryAfter: number } => {
    const times = recent.get(key) ?? []
    while (times.length > 0 && (times[0] ?? 0) <= at - 60_000) times.shift()
    recent.set(key, times)
    if (times.length >= perMinute) {
      const frees = (times[0] ?? at) + 60_000
      return { ok: false, remaining: 0, retryAfter: Math.max(1, Math.ceil((frees - at) / 1000)) }
    }
    times.push(at)
    return { ok: true, remaining: perMinute - times.length, retryAfter: 0 }
  }
}

// ---------------------------------------------------------------------------------------------
// The app

/** Documented attribute types, plus the ones real boards hold that the docs do not list. */
const ATTRIBUTE_TYPES = new Set([
  "text", "longtext", "checkbox", "number", "label", "members", "links", "checklist", "attachments", "reference",
  "progress", "rating", "email", "phone", "date", "formula"
])
/** `default_data` when a create sends none (choice, from the docs' examples). */
const DEFAULT_DATA: Readonly<Record<string, unknown>> = {
  text: "", longtext: "", checkbox: false, number: 0, label: [], members: [], attachments: [], reference: [], email: "", phone: ""
}
/** Only the profile shows these (member and list shapes leave them out). */
const PROFILE_ONLY_FIELDS = ["preferences", "is_developer", "timezone"] as const
const PHONE = /^[+]*[(]{0,1}[0-9]{1,4}[)]{0,1}[-\s0-9]*$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const STEP = 65536

const makeApp = (
  store: Store,
  counters: { requests: number; rateLimited: number; byRoute: Map<string, number> },
  options: InfinitySandboxOptions,
  now: () => number
): HttpApp.Default<never, never> => {
  const t = store.tables
  const pageCap = Math.max(1, options.pageCap ?? INFINITY_SANDBOX_PAGE_CAP)
  const limit = options.rateLimit === undefined ? INFINITY_SANDBOX_RATE_LIMIT : options.rateLimit
  const limiter = limit === false ? undefined : makeRateLimiter(limit.perMinute)
  const uuid7 = makeUuid7()
  // Deterministic per seed, so a link signed by one sandbox built from a seed verifies on another.
  const signingKey = createHash("sha256").update(`infinity-sandbox:${JSON.stringify(options.seed.tokens)}`).digest()

  const stamp = () => infinityTimestamp(now())
  const second = () => Math.floor(now() / 1000) * 1000

  // --- access --------------------------------------------------------------------------------

  const roleOf = (workspaceId: number, userId: number) => store.members.get(workspaceId)?.get(userId)

  const workspaceOf = (input: ApiInput) => {
    const raw = input.params["ws"] ?? ""
    const workspace = /^\d+$/.test(raw) ? t.workspaces.get(raw) : undefined
    if (workspace === undefined) return refuse(404, "Workspace not found.")
    if (roleOf(Number(raw), input.userId) === undefined) return refuse(403, FORBIDDEN)
    return Effect.succeed({ workspace, workspaceId: Number(raw) })
  }

  /** The workspace owner sees every board; others the boards open to all (`user_ids` []) or listing them (choice). */
  const canSeeBoard = (board: StoredEntity, workspace: StoredEntity, userId: number) => {
    const ids = board["user_ids"]
    return workspace["owner_id"] === userId || !Array.isArray(ids) || ids.length === 0 || ids.includes(userId)
  }

  const boardOf = (input: ApiInput) =>
    Effect.gen(function*() {
      const { workspace, workspaceId } = yield* workspaceOf(input)
      const boardId = input.params["board"] ?? ""
      const board = t.boards.get(boardId)
      if (board === undefined || t.boards.parentOf(boardId) !== String(workspaceId)) return yield* refuse(404, "Board not found.")
      if (!canSeeBoard(board, workspace, input.userId)) return yield* refuse(403, FORBIDDEN)
      return { workspace, workspaceId, board, boardId }
    })

  /** An object of the board (or of the item, for comments); 404 when it lives elsewhere. */
  const childOf = (table: Table, parent: string, id: string | undefined, what: string) => {
    const entity = id === undefined ? undefined : table.get(id)
    return entity === undefined || table.parentOf(id ?? "") !== parent ? refuse(404, `${what} not found.`) : Effect.succeed(entity)
  }

  // --- rendering -----------------------------------------------------------------------------

  const sign = (pathname: string, expires: number) =>
    createHmac("sha256", signingKey).update(`${pathname}?expires=${expires}`).digest("hex")

  const signedLink = (origin: string, path: string) => {
    const expires = Math.floor(now() / 1000) + INFINITY_LINK_TTL_SECONDS
    const pathname = `${INFINITY_STORAGE_PREFIX}/${path.split("/").map(encodeURIComponent).join("/")}`
    return `${origin}${pathname}?expires=${expires}&signature=${sign(pathname, expires)}`
  }

  const render = {
    profile: (user: StoredEntity): Entity => ({ ...user, preferences: emptyAsArray(user["preferences"]) }),
    member: (user: StoredEntity): Entity => omit(user, PROFILE_ONLY_FIELDS),
    attribute: (attribute: StoredEntity): Entity => ({ ...attribute, settings: emptyAsArray(attribute["settings"]) }),
    folder: (folder: StoredEntity): Entity => ({ ...folder, settings: emptyAsArray(folder["settings"]) }),
    view: (view: StoredEntity): Entity => ({ ...view, settings: emptyAsArray(view["settings"]) }),
    attachment: (attachment: StoredEntity, origin: string): Entity => {
      const { id, ...rest } = attachment
      return { id, link: signedLink(origin, String(attachment["path"])), ...rest }
    },
    comment: (comment: StoredEntity, expand: ReadonlySet<string>): Entity => {
      if (!expand.has("created_by")) return { ...comment }
      const author = t.users.get(String(comment["created_by"]))
      return { ...comment, created_by: author === undefined ? null : render.member(author) }
    },
    hook: (hook: StoredEntity, expand: ReadonlySet<string>): Entity =>
      expand.has("logs") ? insertBefore(hook, "events", "logs", t.hookLogs.entitiesUnder(String(hook["id"]))) : { ...hook },
    /** A value as Get item shows it: attachment data as full attachment objects. */
    value: (value: StoredEntity, withAttribute: boolean, origin: string): Entity => {
      const attribute = t.attributes.get(String(value["attribute_id"]))
      let out: Entity = { ...value }
      if (attribute?.["type"] === "attachments" && Array.isArray(value["data"])) {
        out["data"] = value["data"].flatMap((ref: unknown) => {
          const attachment = isObject(ref) ? t.attachments.get(String(ref["id"])) : undefined
          return attachment === undefined || attachment["deleted_at"] !== null ? [] : [render.attachment(attachment, origin)]
        })
      }
      if (withAttribute) out = insertBefore(out, "deleted", "attribute", attribute === undefined ? null : render.attribute(attribute))
      return out
    },
    item: (item: StoredEntity, expand: ReadonlySet<string>, origin: string): Entity => {
      const withAttribute = expand.has("values.attribute")
      if (!withAttribute && !expand.has("values")) return { ...item }
      const values = valuesOf(item).map((value) => render.value(value, withAttribute, origin))
      return insertBefore(item, "deleted", "values", values)
    }
  }

  /** An item's stored values, then one value per reference attribute it has references on. */
  const valuesOf = (item: StoredEntity): Array<StoredEntity> => {
    const itemId = String(item["id"])
    const stored = t.values.entitiesUnder(itemId)
    const byAttribute = new Map<string, Array<string>>()
    for (const reference of t.references.entitiesUnder(t.items.parentOf(itemId) ?? "")) {
      if (reference["from_item_id"] !== itemId) continue
      const attributeId = String(reference["attribute_id"])
      byAttribute.set(attributeId, [...(byAttribute.get(attributeId) ?? []), String(reference["to_item_id"])])
    }
    const derived = [...byAttribute.entries()].map(([attributeId, to]) => ({
      id: referenceValueId(itemId, attributeId),
      object: "value",
      data: to,
      attribute_id: attributeId,
      item_id: itemId,
      deleted: false
    }))
    return [...stored, ...derived]
  }

  /** `expand[]=x`, `expand[0]=x`, `expand=x,y`. */
  const expandOf = (query: URLSearchParams) => {
    const out = new Set<string>()
    for (const [key, value] of query) {
      if (/^expand(\[\d*\])?$/.test(key)) for (const part of value.split(",")) out.add(part.trim())
    }
    return out
  }

  /** A create answers `sort_order` as a number (documented for items and folders). */
  const numericSortOrder = (entity: Entity): Entity =>
    typeof entity["sort_order"] === "string" ? { ...entity, sort_order: Number(entity["sort_order"]) } : entity

  const deleted = (id: unknown, object: string) => ({ id, object, deleted: true })

  const nextSortOrder = (table: Table, parent: string, keep: (e: StoredEntity) => boolean = () => true) => {
    let max = 0
    for (const entity of table.entitiesUnder(parent)) {
      if (!keep(entity)) continue
      const n = Number(entity["sort_order"])
      if (Number.isFinite(n)) max = Math.max(max, n)
    }
    return decimalSortOrder(Math.floor(max / STEP) * STEP + STEP) ?? "0"
  }

  // --- validation ----------------------------------------------------------------------------

  const requireString = (body: StoredEntity, field: string) => {
    const value = body[field]
    if (typeof value === "string" && value.trim() !== "") return Effect.succeed(value)
    return invalid(field, value === undefined || value === null || value === "" ? `The ${field} field is required.` : `The ${field} field must be a string.`)
  }

  const optionalString = (body: StoredEntity, field: string) => {
    const value = body[field]
    if (value === undefined) return Effect.succeed(undefined)
    if (value === null || typeof value === "string") return Effect.succeed(value)
    return invalid(field, `The ${field} field must be a string.`)
  }

  const sortOrderOf = (body: StoredEntity) => {
    const value = body["sort_order"]
    if (value === undefined) return Effect.succeed(undefined)
    if (value === null) return Effect.succeed(null)
    const decimal = decimalSortOrder(value)
    return decimal === undefined ? invalid("sort_order", "The sort_order field must be a number.") : Effect.succeed(decimal)
  }

  const settingsOf = (body: StoredEntity) => {
    const value = body["settings"]
    if (value === undefined) return Effect.succeed(undefined)
    if (value === null || isObject(value) || (Array.isArray(value) && value.length === 0)) return Effect.succeed(emptyAsArray(value))
    return invalid("settings", "The settings field must be an object.")
  }

  /** The multi-action delete (infinity.md §2): `deleted_at` set deletes, null undeletes (choice). */
  const deletedFlagOf = (body: StoredEntity): { deleted?: boolean } =>
    !("deleted_at" in body) ? {} : { deleted: body["deleted_at"] !== null && body["deleted_at"] !== false }

  /**
   * What a create does with a body `id` (multi-action, §2; choice: items, folders, attributes,
   * views): unknown and well-formed → created with that id; known in this board → that object
   * is updated; known elsewhere or malformed → 422.
   */
  const createTarget = (table: Table, body: StoredEntity, boardId: string, shape: (id: string) => boolean) => {
    const id = body["id"]
    if (id === undefined || id === null) return Effect.succeed({ mode: "create" as const, id: undefined })
    if (typeof id !== "string" || !shape(id)) return invalid("id", "The id format is invalid.")
    if (!table.entities.has(id)) return Effect.succeed({ mode: "create" as const, id })
    if (table.parentOf(id) !== boardId) return invalid("id", "The id has already been taken.")
    return Effect.succeed({ mode: "update" as const, id })
  }

  const checkAttributeIds = (value: unknown, boardId: string, field: string) => {
    if (!Array.isArray(value)) return invalid(field, `The ${field} field must be an array.`)
    for (const [index, id] of value.entries()) {
      if (typeof id !== "string" || t.attributes.parentOf(id) !== boardId) {
        return invalid(`${field}.${index}`, `The selected ${field}.${index} is invalid.`)
      }
    }
    return Effect.succeed(value as ReadonlyArray<string>)
  }

  const checkFolderId = (value: unknown, boardId: string, field = "folder_id") =>
    typeof value === "string" && t.folders.parentOf(value) === boardId
      ? Effect.succeed(value)
      : invalid(field, value === undefined || value === null ? `The ${field} field is required.` : `The selected ${field} is invalid.`)

  /** Label settings: every label keeps a known id or gets a new one (a create always gives new ones; choice). */
  const labelSettings = (settings: unknown, known: ReadonlySet<string>) => {
    if (!isObject(settings) || !Array.isArray(settings["labels"])) return Effect.succeed(settings)
    const labels: Array<Entity> = []
    for (const [index, label] of settings["labels"].entries()) {
      if (!isObject(label) || typeof label["name"] !== "string") {
        return invalid(`settings.labels.${index}.name`, `The settings.labels.${index}.name field is required.`)
      }
      const id = typeof label["id"] === "string" && known.has(label["id"]) ? label["id"] : uuid7(now())
      labels.push({ ...label, id })
    }
    return Effect.succeed({ ...settings, labels })
  }

  /** The folder a reference attribute points at must be a folder of the workspace (choice). */
  const checkReferenceSettings = (settings: unknown, workspaceId: number) => {
    if (!isObject(settings) || settings["folderId"] === undefined) return Effect.void
    const folderId = settings["folderId"]
    const boardId = typeof folderId === "string" ? t.folders.parentOf(folderId) : undefined
    return boardId !== undefined && t.boards.parentOf(boardId) === String(workspaceId)
      ? Effect.void
      : invalid("settings.folderId", "The selected settings.folderId is invalid.")
  }

  const numberIn = (data: unknown): number | undefined =>
    typeof data === "number" && Number.isFinite(data)
      ? data
      : typeof data === "string" && /^-?\d+(\.\d+)?$/.test(data.trim())
      ? Number(data)
      : undefined

  /** A value's `data` for its attribute's type, as stored; a string says what is wrong. */
  const coerceData = (attribute: StoredEntity, data: unknown, workspaceId: number): { ok: unknown } | { error: string } => {
    const type = String(attribute["type"])
    const settings = isObject(attribute["settings"]) ? attribute["settings"] : {}
    if (data === null) return { ok: null }
    switch (type) {
      case "text":
      case "longtext":
        return typeof data === "string" ? { ok: data } : { error: "must be a string" }
      case "email":
        return typeof data === "string" && (data === "" || EMAIL.test(data)) ? { ok: data } : { error: "must be a valid email address" }
      case "phone":
        return typeof data === "string" && (data === "" || PHONE.test(data)) ? { ok: data } : { error: "must be a valid phone number" }
      case "checkbox":
        return typeof data === "boolean" ? { ok: data } : { error: "must be true or false" }
      case "number": {
        const n = numberIn(data)
        return n === undefined ? { error: "must be a number" } : { ok: n }
      }
      case "progress":
      case "rating": {
        const n = numberIn(data)
        const min = numberIn(settings["min"]) ?? 0
        const max = numberIn(settings["max"]) ?? (type === "progress" ? 100 : 5)
        return n === undefined || n < min || n > max ? { error: `must be a number from ${min} to ${max}` } : { ok: n }
      }
      case "label": {
        const labels = Array.isArray(settings["labels"]) ? settings["labels"] : []
        const ids = new Set(labels.flatMap((l: unknown) => (isObject(l) && typeof l["id"] === "string" ? [l["id"]] : [])))
        return Array.isArray(data) && data.every((id) => typeof id === "string" && ids.has(id))
          ? { ok: data }
          : { error: "must be an array of label ids of the attribute" }
      }
      case "members": {
        const ids = Array.isArray(data) ? data.map(numberIn) : [undefined]
        return ids.every((id) => id !== undefined && roleOf(workspaceId, id) !== undefined)
          ? { ok: ids }
          : { error: "must be an array of user ids of the workspace's members" }
      }
      case "attachments": {
        if (!Array.isArray(data)) return { error: "must be an array of {id} of attachments" }
        const out: Array<{ id: number }> = []
        for (const ref of data) {
          const id = isObject(ref) ? numberIn(ref["id"]) : undefined
          const attachment = id === undefined ? undefined : t.attachments.get(String(id))
          if (id === undefined || attachment === undefined || attachment["team_id"] !== workspaceId) {
            return { error: "must be an array of {id} of attachments of the workspace" }
          }
          out.push({ id })
        }
        return { ok: out }
      }
      case "reference":
        return { error: "cannot be set here: create references with the References endpoint" }
      default:
        return { ok: data } // links, checklist, date and the undocumented types: kept as sent (choice)
    }
  }

  const checkValues = (raw: unknown, boardId: string, workspaceId: number) =>
    Effect.gen(function*() {
      if (raw === undefined || raw === null) return []
      if (!Array.isArray(raw)) return yield* invalid("values", "The values field must be an array.")
      const out: Array<{ readonly attributeId: string; readonly data: unknown }> = []
      for (const [index, entry] of raw.entries()) {
        const attributeId = isObject(entry) ? entry["attribute_id"] : undefined
        const attribute = typeof attributeId === "string" && t.attributes.parentOf(attributeId) === boardId
          ? t.attributes.get(attributeId)
          : undefined
        if (attribute === undefined || typeof attributeId !== "string") {
          return yield* invalid(`values.${index}.attribute_id`, `The selected values.${index}.attribute_id is invalid.`)
        }
        const coerced = coerceData(attribute, isObject(entry) ? (entry["data"] ?? null) : null, workspaceId)
        if ("error" in coerced) return yield* invalid(`values.${index}.data`, `The values.${index}.data field ${coerced.error}.`)
        out.push({ attributeId, data: coerced.ok })
      }
      return out
    })

  /** Values merge per attribute: a new value for a new attribute, new data for a known one (choice). */
  const writeValues = (itemId: string, values: ReadonlyArray<{ readonly attributeId: string; readonly data: unknown }>) => {
    for (const { attributeId, data } of values) {
      const existing = t.values.entitiesUnder(itemId).find((v) => v["attribute_id"] === attributeId)
      if (existing !== undefined) {
        t.values.replace({ ...existing, data })
      } else {
        t.values.put(
          { id: uuid7(now()), object: "value", data, attribute_id: attributeId, item_id: itemId, deleted: false },
          itemId,
          second()
        )
      }
    }
  }

  // --- handlers ------------------------------------------------------------------------------

  const listQuery = (input: ApiInput, table: Table) => parseListQuery(input.query, table, pageCap)

  const createBoard: Handler<ApiInput> = (input) =>
    Effect.gen(function*() {
      const { workspaceId } = yield* workspaceOf(input)
      const body = yield* readJson(input.request)
      const name = yield* requireString(body, "name")
      const description = yield* optionalString(body, "description")
      const color = yield* optionalString(body, "color")
      const requested = body["user_ids"] ?? []
      if (!Array.isArray(requested)) return yield* invalid("user_ids", "The user_ids field must be an array.")
      const userIds: Array<number> = []
      for (const [index, raw] of requested.entries()) {
        const id = numberIn(raw)
        // (choice) only members of the workspace can be given a board
        if (id === undefined || roleOf(workspaceId, id) === undefined) {
          return yield* invalid(`user_ids.${index}`, `The selected user_ids.${index} is invalid.`)
        }
        if (!userIds.includes(id)) userIds.push(id)
      }
      if (!userIds.includes(input.userId)) userIds.push(input.userId) // the creator is added (documented)
      const board: Entity = {
        id: newShortId(),
        object: "board",
        name,
        sort_order: nextSortOrder(t.boards, String(workspaceId)),
        color: color ?? null,
        description: description ?? null,
        og_image: null,
        user_ids: userIds,
        deleted: false
      }
      t.boards.put(board, String(workspaceId), second())
      return new Reply(board, 201) // sort_order stays a string here (documented)
    })

  const saveAttribute = (input: ApiInput, existingId: string | undefined, status: number) =>
    Effect.gen(function*() {
      const { boardId, workspaceId } = yield* boardOf(input)
      const body = yield* readJson(input.request)
      const create = yield* (existingId === undefined
        ? createTarget(t.attributes, body, boardId, (id) => UUID.test(id))
        : Effect.succeed({ mode: "update" as const, id: existingId }))
      const existing = create.mode === "update" ? t.attributes.get(create.id) : undefined
      const name = existing === undefined || body["name"] !== undefined ? yield* requireString(body, "name") : undefined
      const type = existing === undefined || body["type"] !== undefined ? yield* requireString(body, "type") : undefined
      if (type !== undefined && !ATTRIBUTE_TYPES.has(type)) return yield* invalid("type", "The selected type is invalid.")
      const finalType = type ?? String(existing?.["type"])
      let settings: unknown = yield* settingsOf(body)
      if (settings !== undefined) {
        const knownLabels = new Set<string>()
        const previous = existing?.["settings"]
        if (isObject(previous) && Array.isArray(previous["labels"])) {
          for (const label of previous["labels"]) if (isObject(label) && typeof label["id"] === "string") knownLabels.add(label["id"])
        }
        settings = yield* labelSettings(settings, knownLabels)
        if (finalType === "reference") yield* checkReferenceSettings(settings, workspaceId)
      }
      let defaultData = body["default_data"]
      if (finalType === "number" && defaultData !== undefined && defaultData !== null) {
        defaultData = numberIn(defaultData)
        if (defaultData === undefined) return yield* invalid("default_data", "The default_data field must be a number.")
      }
      const attribute: Entity = existing === undefined
        ? {
          id: create.id ?? uuid7(now()),
          object: "attribute",
          name,
          type: finalType,
          default_data: defaultData === undefined ? (DEFAULT_DATA[finalType] ?? null) : defaultData,
          settings: settings ?? [],
          created_by: input.userId,
          created_at: stamp(),
          deleted: false,
          ...deletedFlagOf(body)
        }
        : {
          ...existing,
          ...(name === undefined ? {} : { name }),
          ...(type === undefined ? {} : { type }),
          ...(defaultData === undefined ? {} : { default_data: defaultData }),
          ...(settings === undefined ? {} : { settings }),
          ...deletedFlagOf(body)
        }
      if (existing === undefined) t.attributes.put(attribute, boardId, second())
      else t.attributes.replace(attribute)
      return new Reply(render.attribute(attribute), status)
    })

  const saveItem = (input: ApiInput, existingId: string | undefined) =>
    Effect.gen(function*() {
      const { boardId, workspaceId } = yield* boardOf(input)
      const body = yield* readJson(input.request)
      const target = yield* (existingId === undefined
        ? createTarget(t.items, body, boardId, (id) => UUID.test(id))
        : Effect.succeed({ mode: "update" as const, id: existingId }))
      const existing = target.mode === "update" ? t.items.get(target.id) : undefined
      const folderId = existing === undefined || body["folder_id"] !== undefined ? yield* checkFolderId(body["folder_id"], boardId) : undefined
      const sortOrder = yield* sortOrderOf(body) // (choice) accepted though undocumented for items
      const values = yield* checkValues(body["values"], boardId, workspaceId)
      // parent_id is documented on Update item only; a POST ignores it, even one that updates (choice)
      let parentId: string | null | undefined
      if (existingId !== undefined && "parent_id" in body) {
        const raw = body["parent_id"]
        if (raw === null) parentId = null
        else if (typeof raw !== "string" || t.items.parentOf(raw) !== boardId || raw === existingId || isAncestor(existingId, raw)) {
          return yield* invalid("parent_id", "The selected parent_id is invalid.")
        } else parentId = raw
      }
      if (existing === undefined) {
        const item: Entity = {
          id: target.id ?? uuid7(now()),
          object: "item",
          folder_id: folderId,
          parent_id: null,
          created_at: stamp(),
          sort_order: sortOrder ?? nextSortOrder(t.items, boardId),
          deleted: false,
          ...deletedFlagOf(body)
        }
        t.items.put(item, boardId, second())
        writeValues(String(item["id"]), values)
        return new Reply(numericSortOrder(item), 201)
      }
      const item: Entity = {
        ...existing,
        ...(folderId === undefined ? {} : { folder_id: folderId }),
        ...(parentId === undefined ? {} : { parent_id: parentId }),
        ...(sortOrder === undefined ? {} : { sort_order: sortOrder }),
        ...deletedFlagOf(body)
      }
      t.items.replace(item)
      writeValues(String(item["id"]), values)
      return new Reply({ ...item }, 200)
    })

  /** True when item `of` descends from item `itemId` (making `of` its parent would close a cycle). */
  const isAncestor = (itemId: string, of: string) => {
    let current: string | undefined = of
    for (let depth = 0; current !== undefined && depth < 10_000; depth++) {
      const parent: unknown = t.items.get(current)?.["parent_id"]
      if (parent === itemId) return true
      current = typeof parent === "string" ? parent : undefined
    }
    return false
  }

  const saveFolder = (input: ApiInput, existingId: string | undefined) =>
    Effect.gen(function*() {
      const { boardId } = yield* boardOf(input)
      const body = yield* readJson(input.request)
      const target = yield* (existingId === undefined
        ? createTarget(t.folders, body, boardId, (id) => SHORT_ID.test(id))
        : Effect.succeed({ mode: "update" as const, id: existingId }))
      const existing = target.mode === "update" ? t.folders.get(target.id) : undefined
      const name = existing === undefined || body["name"] !== undefined ? yield* requireString(body, "name") : undefined
      const color = yield* optionalString(body, "color") // echoed unvalidated, as the docs' "molestiae"
      const sortOrder = yield* sortOrderOf(body)
      const settings = yield* settingsOf(body)
      const attributeIds = body["attribute_ids"] === undefined ? undefined : yield* checkAttributeIds(body["attribute_ids"], boardId, "attribute_ids")
      let parentId: string | undefined
      if (body["parent_id"] !== undefined && body["parent_id"] !== null) {
        const raw = body["parent_id"]
        // the board, or (choice) another folder of the board that is not this one or below it
        const ok = raw === boardId ||
          (typeof raw === "string" && t.folders.parentOf(raw) === boardId && raw !== target.id && !folderBelow(raw, target.id))
        if (!ok) return yield* invalid("parent_id", "The selected parent_id is invalid.")
        parentId = String(raw)
      }
      if (existing === undefined) {
        const folder: Entity = {
          id: target.id ?? newShortId(),
          object: "folder",
          name,
          sort_order: sortOrder ?? nextSortOrder(t.folders, boardId),
          color: color ?? null,
          settings: settings ?? [],
          attribute_ids: attributeIds ?? [],
          parent_id: parentId ?? boardId,
          deleted: false,
          ...deletedFlagOf(body)
        }
        t.folders.put(folder, boardId, second())
        return new Reply(numericSortOrder(render.folder(folder)), 201)
      }
      const folder: Entity = {
        ...existing,
        ...(name === undefined ? {} : { name }),
        ...(color === undefined ? {} : { color }),
        ...(sortOrder === undefined ? {} : { sort_order: sortOrder }),
        ...(settings === undefined ? {} : { settings }),
        ...(attributeIds === undefined ? {} : { attribute_ids: attributeIds }),
        ...(parentId === undefined ? {} : { parent_id: parentId }),
        ...deletedFlagOf(body)
      }
      t.folders.replace(folder)
      return new Reply(render.folder(folder), 200)
    })

  /** True when folder `candidate` sits (at any depth) below folder `folderId`. */
  const folderBelow = (candidate: string, folderId: string | undefined) => {
    if (folderId === undefined) return false
    let current: unknown = candidate
    for (let depth = 0; typeof current === "string" && depth < 10_000; depth++) {
      if (current === folderId) return true
      current = t.folders.get(current)?.["parent_id"]
    }
    return false
  }

  const saveView = (input: ApiInput, existingId: string | undefined) =>
    Effect.gen(function*() {
      const { boardId } = yield* boardOf(input)
      const body = yield* readJson(input.request)
      const target = yield* (existingId === undefined
        ? createTarget(t.views, body, boardId, (id) => SHORT_ID.test(id) || UUID.test(id))
        : Effect.succeed({ mode: "update" as const, id: existingId }))
      const existing = target.mode === "update" ? t.views.get(target.id) : undefined
      const name = existing === undefined || body["name"] !== undefined ? yield* requireString(body, "name") : undefined
      const folderId = existing === undefined || body["folder_id"] !== undefined ? yield* checkFolderId(body["folder_id"], boardId) : undefined
      const type = body["type"] === undefined ? undefined : yield* requireString(body, "type")
      const settings = yield* settingsOf(body) // (choice) accepted on create too; the docs show only name/folder_id/type
      const sortOrder = yield* sortOrderOf(body)
      if (existing === undefined) {
        const view: Entity = {
          id: target.id ?? newShortId(),
          object: "folderview",
          folder_id: folderId,
          name,
          type: type ?? "list", // (choice) the docs always send one
          sort_order: sortOrder ?? null, // a new view has none (documented)
          settings: settings ?? [],
          created_by: input.userId,
          created_at: stamp(),
          deleted: false,
          ...deletedFlagOf(body)
        }
        t.views.put(view, boardId, second())
        return new Reply(numericSortOrder(render.view(view)), 201)
      }
      const view: Entity = {
        ...existing,
        ...(name === undefined ? {} : { name }),
        ...(folderId === undefined ? {} : { folder_id: folderId }),
        ...(type === undefined ? {} : { type }),
        ...(settings === undefined ? {} : { settings }),
        ...(sortOrder === undefined ? {} : { sort_order: sortOrder }),
        ...deletedFlagOf(body)
      }
      t.views.replace(view)
      return new Reply(render.view(view), 200)
    })

  /** Soft delete (choice): the object stays, listed and fetchable, with `deleted: true`. */
  const softDelete = (table: Table, object: string, what: string, param: string): Handler<ApiInput> => (input) =>
    Effect.gen(function*() {
      const { boardId } = yield* boardOf(input)
      const entity = yield* childOf(table, boardId, input.params[param], what)
      table.replace({ ...entity, deleted: true })
      return deleted(entity["id"], object)
    })

  const itemOf = (input: ApiInput) =>
    Effect.gen(function*() {
      const found = yield* boardOf(input)
      const item = yield* childOf(t.items, found.boardId, input.params["item"], "Item")
      return { ...found, item, itemId: String(item["id"]) }
    })

  const saveHook = (input: ApiInput, hookId: string | undefined) =>
    Effect.gen(function*() {
      const { boardId } = yield* boardOf(input)
      const existing = hookId === undefined ? undefined : yield* ownHook(input, boardId, hookId)
      const body = yield* readJson(input.request)
      const url = yield* requireString(body, "url")
      if (!/^https?:\/\/[^\s/]+/i.test(url)) return yield* invalid("url", "The url field must be a valid URL.")
      const rawEvents = body["events"]
      if (!Array.isArray(rawEvents)) return yield* invalid("events", "The events field must be an array.")
      const events: Array<Entity> = []
      for (const [index, entry] of rawEvents.entries()) {
        if (!isObject(entry) || typeof entry["event"] !== "string" || entry["event"] === "") {
          return yield* invalid(`events.${index}.event`, `The events.${index}.event field is required.`)
        }
        events.push({ event: entry["event"], data: entry["data"] ?? null })
      }
      if (existing !== undefined) {
        const hook = { ...existing, url, events } // the secret stays (documented)
        t.hooks.replace(hook)
        return new Reply(render.hook(hook, new Set()), 200)
      }
      const hook: Entity = {
        id: uuid7(now()),
        object: "hook",
        url,
        user_id: input.userId,
        board_id: boardId,
        secret: newSecret(),
        events,
        created_at: stamp(),
        deleted: false
      }
      t.hooks.put(hook, boardId, second())
      return new Reply(hook, 201)
    })

  /** Hooks are the current user's: another user's hook is not found (choice). */
  const ownHook = (input: ApiInput, boardId: string, hookId: string | undefined) =>
    Effect.flatMap(childOf(t.hooks, boardId, hookId, "Hook"), (hook) =>
      hook["user_id"] === input.userId ? Effect.succeed(hook) : refuse(404, "Hook not found."))

  /** Owners and admins manage members (choice). */
  const manageableWorkspace = (input: ApiInput) =>
    Effect.flatMap(workspaceOf(input), (found) => {
      const role = roleOf(found.workspaceId, input.userId)
      return role === "owner" || role === "admin" ? Effect.succeed(found) : refuse(403, FORBIDDEN)
    })

  const roleFrom = (body: StoredEntity) => {
    const role = body["role"]
    if (role === undefined || role === null) return Effect.succeed("full-member") // (choice) the docs' only role
    return typeof role === "string" && role !== "" && role !== "owner" ? Effect.succeed(role) : invalid("role", "The selected role is invalid.")
  }

  const createAttachment = (workspaceId: number, originalName: string, bytes: Uint8Array, contentType: string, origin: string) => {
    const id = t.attachments.maxId() + 1
    const info = pathInfo(originalName)
    const path = `item-files/${workspaceId}/${storedFileName(`${id}:${now()}:${randomBytes(8).toString("hex")}`, storedExtension(info.extension))}`
    const at = stamp()
    const attachment: Entity = {
      id,
      path,
      original_name: originalName,
      filesize: bytes.length,
      thumb: null,
      created_at: at,
      updated_at: at,
      team_id: workspaceId,
      deleted_at: null,
      checked_at: null,
      extension: info.extension,
      basename: info.basename,
      filename: info.filename
    }
    store.putAttachment(attachment, String(workspaceId), second(), bytes, contentType)
    return new Reply(render.attachment(attachment, origin), 201)
  }

  /** The attachment a signed storage link names, when the link is intact and unexpired. */
  const checkSignedLink = (url: URL) => {
    const expires = url.searchParams.get("expires") ?? ""
    const signature = url.searchParams.get("signature") ?? ""
    const expected = /^\d+$/.test(expires) ? sign(url.pathname, Number(expires)) : ""
    const intact = expected !== "" && signature.length === expected.length &&
      timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
    if (!intact || Number(expires) * 1000 < now()) return refuse(403, "Invalid signature.")
    const path = decodeURIComponent(url.pathname.slice(INFINITY_STORAGE_PREFIX.length + 1))
    const id = store.attachmentByPath.get(path)
    const attachment = id === undefined ? undefined : t.attachments.get(String(id))
    const file = id === undefined ? undefined : store.fileOf(id)
    return attachment === undefined || file === undefined || attachment["deleted_at"] !== null
      ? refuse(404, "Not Found")
      : Effect.succeed({ attachment, file })
  }

  /** A GET may carry a JSON body (documented for List references); read it when one is announced. */
  const getBodyFilters = (input: ApiInput) =>
    Number(input.request.headers["content-length"] ?? "0") > 0 || input.request.headers["transfer-encoding"] !== undefined
      ? readJson(input.request).pipe(Effect.orElseSucceed((): StoredEntity => ({}))) // (choice) a garbled GET body is ignored
      : Effect.succeed<StoredEntity>({})

  // --- the routes ----------------------------------------------------------------------------

  const P = INFINITY_API_PREFIX
  const WS = `${P}/workspaces/:ws`
  const BOARD = `${WS}/boards/:board`
  const ITEM = `${BOARD}/items/:item`

  const apiRoutes: ReadonlyArray<readonly [Method, `/${string}`, Handler<ApiInput>]> = [
    ["GET", `${P}/profile`, (input) => Effect.succeed(render.profile(input.user))],

    ["GET", `${P}/workspaces`, (input) =>
      Effect.map(listQuery(input, t.workspaces), (q) =>
        paginate(t.workspaces, t.workspaces.list(""), q, (ws) => roleOf(Number(ws["id"]), input.userId) !== undefined, (ws) => ({ ...ws })))],

    // boards
    ["GET", `${WS}/boards`, (input) =>
      Effect.gen(function*() {
        const { workspace, workspaceId } = yield* workspaceOf(input)
        const q = yield* listQuery(input, t.boards)
        // (choice) only the boards the user can open
        return paginate(t.boards, t.boards.list(String(workspaceId)), q, (board) => canSeeBoard(board, workspace, input.userId), (b) => ({ ...b }))
      })],
    ["POST", `${WS}/boards`, createBoard],
    ["GET", BOARD, (input) => Effect.map(boardOf(input), ({ board }) => ({ ...board }))],

    // attributes
    ["GET", `${BOARD}/attributes`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const q = yield* listQuery(input, t.attributes)
        return paginate(t.attributes, t.attributes.list(boardId), q, () => true, render.attribute)
      })],
    ["GET", `${BOARD}/attributes/:attribute`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        return render.attribute(yield* childOf(t.attributes, boardId, input.params["attribute"], "Attribute"))
      })],
    ["POST", `${BOARD}/attributes`, (input) => saveAttribute(input, undefined, 200)], // 200, documented
    ["PUT", `${BOARD}/attributes/:attribute`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const attribute = yield* childOf(t.attributes, boardId, input.params["attribute"], "Attribute")
        return yield* saveAttribute(input, String(attribute["id"]), 200)
      })],
    ["DELETE", `${BOARD}/attributes/:attribute`, softDelete(t.attributes, "attribute", "Attribute", "attribute")],

    // items and values
    ["GET", `${BOARD}/items`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const q = yield* listQuery(input, t.items)
        const expand = expandOf(input.query)
        const folderId = input.query.get("folder_id")
        const search = (input.query.get("q") ?? "").trim().toLowerCase()
        // (choice) q matches items with a text-like value containing it, case-insensitively
        const matches = (item: StoredEntity) =>
          search === "" ||
          t.values.entitiesUnder(String(item["id"])).some((v) => typeof v["data"] === "string" && v["data"].toLowerCase().includes(search))
        return paginate(
          t.items,
          t.items.list(boardId),
          q,
          (item) => (folderId === null || folderId === "" || item["folder_id"] === folderId) && matches(item),
          (item) => render.item(item, expand, input.origin)
        )
      })],
    ["POST", `${BOARD}/items`, (input) => saveItem(input, undefined)],
    ["GET", ITEM, (input) => Effect.map(itemOf(input), ({ item }) => render.item(item, expandOf(input.query), input.origin))],
    ["PUT", ITEM, (input) => Effect.flatMap(itemOf(input), ({ itemId }) => saveItem(input, itemId))],
    ["DELETE", ITEM, softDelete(t.items, "item", "Item", "item")],
    ["DELETE", `${ITEM}/values/:value`, (input) =>
      Effect.gen(function*() {
        const { item, itemId } = yield* itemOf(input)
        const valueId = input.params["value"] ?? ""
        if (t.values.parentOf(valueId) === itemId) {
          t.values.remove(valueId) // (choice) a deleted value is gone
          return deleted(valueId, "value")
        }
        // a reference value: deleting it removes the item's references of that attribute (choice)
        const derived = valuesOf(item).find((v) => v["id"] === valueId)
        if (derived === undefined) return yield* refuse(404, "Value not found.")
        for (const reference of t.references.entitiesUnder(t.items.parentOf(itemId) ?? "")) {
          if (reference["from_item_id"] === itemId && reference["attribute_id"] === derived["attribute_id"]) {
            t.references.remove(String(reference["id"]))
          }
        }
        return deleted(valueId, "value")
      })],

    // comments
    ["GET", `${ITEM}/comments`, (input) =>
      Effect.gen(function*() {
        const { itemId } = yield* itemOf(input)
        const q = yield* listQuery(input, t.comments)
        const expand = expandOf(input.query)
        return paginate(t.comments, t.comments.list(itemId), q, () => true, (c) => render.comment(c, expand))
      })],
    ["GET", `${ITEM}/comments/:comment`, (input) =>
      Effect.gen(function*() {
        const { itemId } = yield* itemOf(input)
        return render.comment(yield* childOf(t.comments, itemId, input.params["comment"], "Comment"), expandOf(input.query))
      })],
    ["POST", `${ITEM}/comments`, (input) =>
      Effect.gen(function*() {
        const { itemId } = yield* itemOf(input)
        const body = yield* readJson(input.request)
        const text = yield* requireString(body, "text")
        const comment: Entity = {
          id: uuid7(now()),
          object: "comment",
          parent_id: null, // Create comment takes only `text` (documented)
          text,
          created_at: stamp(),
          created_by: input.userId,
          deleted: false
        }
        t.comments.put(comment, itemId, second())
        return new Reply(comment, 201)
      })],
    ["PUT", `${ITEM}/comments/:comment`, (input) =>
      Effect.gen(function*() {
        const { itemId } = yield* itemOf(input)
        const comment = yield* childOf(t.comments, itemId, input.params["comment"], "Comment")
        if (comment["created_by"] !== input.userId) return yield* refuse(403, FORBIDDEN) // (choice) authors edit their own
        const body = yield* readJson(input.request)
        const text = yield* requireString(body, "text")
        return t.comments.replace({ ...comment, text })
      })],
    ["DELETE", `${ITEM}/comments/:comment`, (input) =>
      Effect.gen(function*() {
        const { itemId } = yield* itemOf(input)
        const comment = yield* childOf(t.comments, itemId, input.params["comment"], "Comment")
        if (comment["created_by"] !== input.userId) return yield* refuse(403, FORBIDDEN)
        t.comments.replace({ ...comment, deleted: true })
        return deleted(comment["id"], "comment")
      })],

    // folders
    ["GET", `${BOARD}/folders`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const q = yield* listQuery(input, t.folders)
        return paginate(t.folders, t.folders.list(boardId), q, () => true, render.folder)
      })],
    ["GET", `${BOARD}/folders/:folder`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        return render.folder(yield* childOf(t.folders, boardId, input.params["folder"], "Folder"))
      })],
    ["POST", `${BOARD}/folders`, (input) => saveFolder(input, undefined)],
    ["PUT", `${BOARD}/folders/:folder`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const folder = yield* childOf(t.folders, boardId, input.params["folder"], "Folder")
        return yield* saveFolder(input, String(folder["id"]))
      })],
    ["DELETE", `${BOARD}/folders/:folder`, softDelete(t.folders, "folder", "Folder", "folder")],

    // attachments
    ["POST", `${WS}/attachments/file`, (input) =>
      Effect.gen(function*() {
        const { workspaceId } = yield* workspaceOf(input)
        const contentType = input.request.headers["content-type"] ?? ""
        if (!/^multipart\/form-data;.*boundary=/i.test(contentType)) return yield* invalid("file", "The file field is required.")
        const bytes = yield* readBytes(input.request)
        const form = yield* Effect.tryPromise({
          try: () => new Response(bytes, { headers: { "content-type": contentType } }).formData(),
          catch: () => new ApiFailure({ status: 422, message: "The file field is required.", errors: { file: ["The file field is required."] } })
        })
        const file = form.get("file")
        if (file === null || typeof file === "string") return yield* invalid("file", "The file field must be a file.")
        const content = new Uint8Array(yield* Effect.promise(() => file.arrayBuffer()))
        const name = file.name === "" ? "file" : file.name
        const type = file.type === "" ? contentTypeFor(pathInfo(name).extension) : file.type
        return createAttachment(workspaceId, name, content, type, input.origin)
      })],
    ["POST", `${WS}/attachments/url`, (input) =>
      Effect.gen(function*() {
        const { workspaceId } = yield* workspaceOf(input)
        const body = yield* readJson(input.request)
        const raw = yield* requireString(body, "url")
        const url = URL.canParse(raw) ? new URL(raw) : undefined
        if (url === undefined || !/^https?:$/.test(url.protocol)) return yield* invalid("url", "The url field must be a valid URL.")
        // (choice) the sandbox never goes to the network: it copies only its own signed storage links
        const source = url.pathname.startsWith(`${INFINITY_STORAGE_PREFIX}/`)
          ? yield* Effect.either(checkSignedLink(url))
          : undefined
        if (source === undefined || source._tag === "Left") {
          return yield* invalid("url", "The file at the url could not be downloaded (the sandbox fetches only its own signed links).")
        }
        const name = decodeURIComponent(url.pathname.split("/").pop() ?? "") || "file"
        return createAttachment(workspaceId, name, source.right.file.bytes, source.right.file.contentType, input.origin)
      })],

    // views
    ["GET", `${BOARD}/views`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const q = yield* listQuery(input, t.views)
        const folderId = input.query.get("folder_id")
        // (choice) without folder_id: every view of the board
        return paginate(t.views, t.views.list(boardId), q, (v) => folderId === null || folderId === "" || v["folder_id"] === folderId, render.view)
      })],
    ["GET", `${BOARD}/views/:view`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        return render.view(yield* childOf(t.views, boardId, input.params["view"], "View"))
      })],
    ["POST", `${BOARD}/views`, (input) => saveView(input, undefined)],
    ["PUT", `${BOARD}/views/:view`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const view = yield* childOf(t.views, boardId, input.params["view"], "View")
        return yield* saveView(input, String(view["id"]))
      })],
    ["DELETE", `${BOARD}/views/:view`, softDelete(t.views, "folderview", "View", "view")],

    // members and users
    ["POST", `${WS}/members/invite`, (input) =>
      Effect.gen(function*() {
        const { workspaceId } = yield* manageableWorkspace(input)
        const body = yield* readJson(input.request)
        const email = yield* requireString(body, "email")
        if (!EMAIL.test(email)) return yield* invalid("email", "The email field must be a valid email address.")
        const role = yield* roleFrom(body)
        let user = [...t.users.entities.values()].find((u) => String(u["email"]).toLowerCase() === email.toLowerCase())
        if (user === undefined) {
          // (choice) an unknown email gets a new account, named after the address
          const id = t.users.maxId() + 1
          const name = email.split("@")[0] ?? email
          user = {
            id, object: "user", name, email,
            photo_url: `https://app.startinfinity.com/profile/avatar.svg?name=${encodeURIComponent(name)}`,
            created_at: stamp(), job: null, location: null, tagline: null, preferences: [], is_developer: false, deleted: false
          }
          t.users.put(user, "", second())
        }
        const userId = Number(user["id"])
        if (roleOf(workspaceId, userId) !== "owner") store.addMember(workspaceId, userId, role)
        return render.member(user) // 200, documented
      })],
    ["PUT", `${WS}/members/:user`, (input) =>
      Effect.gen(function*() {
        const { workspaceId } = yield* manageableWorkspace(input)
        const raw = input.params["user"] ?? ""
        const user = /^\d+$/.test(raw) ? t.users.get(raw) : undefined
        if (user === undefined) return yield* refuse(404, "User not found.")
        const role = yield* roleFrom(yield* readJson(input.request))
        if (roleOf(workspaceId, Number(raw)) !== "owner") store.addMember(workspaceId, Number(raw), role)
        return render.member(user)
      })],
    ["DELETE", `${WS}/members/:user`, (input) =>
      Effect.gen(function*() {
        const { workspaceId } = yield* manageableWorkspace(input)
        const raw = input.params["user"] ?? ""
        const role = /^\d+$/.test(raw) ? roleOf(workspaceId, Number(raw)) : undefined
        const user = t.users.get(raw)
        if (role === undefined || user === undefined) return yield* refuse(404, "Member not found.")
        if (role === "owner") return yield* invalid("user", "The owner of a workspace cannot be removed.")
        store.members.get(workspaceId)?.delete(Number(raw))
        return render.member(user) // with deleted: false, documented
      })],
    ...([`${WS}/users`, `${WS}/members`] as const).map((path) =>
      [
        "GET",
        path,
        (input: ApiInput) =>
          Effect.gen(function*() {
            const { workspaceId } = yield* workspaceOf(input)
            const q = yield* listQuery(input, t.users)
            return paginate(t.users, t.users.list(""), q, (u) => roleOf(workspaceId, Number(u["id"])) !== undefined, render.member)
          })
      ] as const
    ),

    // references
    ["GET", `${BOARD}/references`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const q = yield* listQuery(input, t.references)
        const body = yield* getBodyFilters(input)
        // (choice) the filters work as query parameters too
        const from = input.query.get("from_item_id") ?? text(body, "from_item_id")
        const to = input.query.get("to_item_id") ?? text(body, "to_item_id")
        return paginate(
          t.references,
          t.references.list(boardId),
          q,
          (r) => (from === undefined || from === "" || r["from_item_id"] === from) && (to === undefined || to === "" || r["to_item_id"] === to),
          (r) => ({ ...r })
        )
      })],
    ["GET", `${BOARD}/references/:reference`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        return { ...(yield* childOf(t.references, boardId, input.params["reference"], "Reference")) }
      })],
    ["POST", `${BOARD}/references`, (input) =>
      Effect.gen(function*() {
        const { boardId, workspaceId } = yield* boardOf(input)
        const body = yield* readJson(input.request)
        const attributeId = yield* requireString(body, "attribute_id")
        const attribute = t.attributes.parentOf(attributeId) === boardId ? t.attributes.get(attributeId) : undefined
        if (attribute?.["type"] !== "reference") return yield* invalid("attribute_id", "The selected attribute_id is invalid.")
        const from = yield* requireString(body, "from_item_id")
        if (t.items.parentOf(from) !== boardId) return yield* invalid("from_item_id", "The selected from_item_id is invalid.")
        const to = yield* requireString(body, "to_item_id")
        const toBoard = t.items.parentOf(to)
        // (choice) the referenced item may be on any board of the workspace
        if (toBoard === undefined || t.boards.parentOf(toBoard) !== String(workspaceId)) {
          return yield* invalid("to_item_id", "The selected to_item_id is invalid.")
        }
        const reference: Entity = { id: uuid7(now()), object: "reference", attribute_id: attributeId, from_item_id: from, to_item_id: to }
        t.references.put(reference, boardId, second())
        return new Reply(reference, 201)
      })],
    ["DELETE", `${BOARD}/references/:reference`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const reference = yield* childOf(t.references, boardId, input.params["reference"], "Reference")
        t.references.remove(String(reference["id"])) // (choice) gone for good: references have no `deleted`
        return deleted(reference["id"], "reference")
      })],

    // hooks
    ["GET", `${BOARD}/hooks`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const q = yield* listQuery(input, t.hooks)
        const expand = expandOf(input.query)
        // "Hooks of the currently logged in user"; cursors hold only the id (documented)
        return paginate(t.hooks, t.hooks.list(boardId), q, (h) => h["user_id"] === input.userId, (h) => render.hook(h, expand), "id")
      })],
    ["POST", `${BOARD}/hooks`, (input) => saveHook(input, undefined)],
    ["PUT", `${BOARD}/hooks/:hook`, (input) => saveHook(input, input.params["hook"] ?? "")],
    ["DELETE", `${BOARD}/hooks/:hook`, (input) =>
      Effect.gen(function*() {
        const { boardId } = yield* boardOf(input)
        const hook = yield* ownHook(input, boardId, input.params["hook"])
        t.hooks.remove(String(hook["id"])) // (choice) gone for good
        return deleted(hook["id"], "hook")
      })]
  ]

  const storageRoutes: ReadonlyArray<readonly [Method, `/${string}`, Handler<RouteInput>]> = [
    // Signed links need no token (documented: links are valid for 2 hours).
    ["GET", `${INFINITY_STORAGE_PREFIX}/item-files/:ws/:name`, (input) =>
      Effect.map(checkSignedLink(input.url), ({ file }) =>
        HttpServerResponse.uint8Array(file.bytes, {
          status: 200,
          contentType: file.contentType,
          headers: { "cache-control": "private, max-age=7200" }
        }))]
  ]

  const originOf = (request: HttpServerRequest.HttpServerRequest) => {
    if (options.baseUrl !== undefined) return options.baseUrl.replace(/\/+$/, "")
    if (/^https?:\/\//i.test(request.originalUrl)) return new URL(request.originalUrl).origin
    const host = request.headers["host"]
    return host === undefined || host === "" ? INFINITY_SANDBOX_BASE_URL : `http://${host}`
  }

  const respond = (result: Effect.Effect<unknown, ApiFailure>) =>
    result.pipe(
      Effect.map((body) =>
        HttpServerResponse.isServerResponse(body)
          ? body
          : body instanceof Reply
          ? jsonResponse(body.body, body.status)
          : jsonResponse(body)
      ),
      Effect.catchTag("ApiFailure", (failure) => Effect.succeed(failureResponse(failure)))
    )

  const routeInput = (method: string, path: string) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const context = yield* HttpRouter.RouteContext
      const key = `${method} ${path}`
      counters.byRoute.set(key, (counters.byRoute.get(key) ?? 0) + 1)
      const url = requestUrl(request)
      return { request, url, params: context.params, query: url.searchParams, origin: originOf(request) } satisfies RouteInput
    })

  const apiRoute = (method: Method, path: string, handler: Handler<ApiInput>) =>
    Effect.gen(function*() {
      const input = yield* routeInput(method, path)
      const token = bearerOf(input.request)
      const userId = token === undefined ? undefined : store.tokens.get(token)
      const user = userId === undefined ? undefined : t.users.get(String(userId))
      if (user === undefined || userId === undefined) return jsonResponse({ message: UNAUTHENTICATED }, 401)
      return yield* respond(handler({ ...input, user, userId }))
    })

  const storageRoute = (method: Method, path: string, handler: Handler<RouteInput>) =>
    Effect.flatMap(routeInput(method, path), (input) => respond(handler(input)))

  const withApi = apiRoutes.reduce(
    (router, [method, path, handler]) => HttpRouter.route(method)(path, apiRoute(method, path, handler))(router),
    HttpRouter.empty
  )
  const router = storageRoutes.reduce(
    (router, [method, path, handler]) => HttpRouter.route(method)(path, storageRoute(method, path, handler))(router),
    withApi
  )
  const routed = router.pipe(
    Effect.catchTag("RouteNotFound", (e) =>
      Effect.succeed(jsonResponse({ message: `The route ${requestUrl(e.request).pathname.slice(1)} could not be found.` }, 404)))
  )

  return Effect.gen(function*() {
    const received = yield* HttpServerRequest.HttpServerRequest
    // Route on the path the client sent, whatever a mount stripped from it.
    const full = originalPathOf(received)
    const request = full === received.url ? received : received.modify({ url: full })
    counters.requests += 1
    const n = counters.requests
    const path = requestUrl(request).pathname
    const isApi = path === P || path.startsWith(`${P}/`)
    let rateHeaders: Record<string, string> = {}
    if (isApi && limiter !== undefined && limit !== false) {
      // (choice) keyed by the Authorization header as sent; the storage links are not limited
      const decision = limiter(request.headers["authorization"] ?? "anonymous", now())
      rateHeaders = { "x-ratelimit-limit": String(limit.perMinute), "x-ratelimit-remaining": String(decision.remaining) }
      if (!decision.ok) {
        counters.rateLimited += 1
        return jsonResponse({ message: "Too Many Attempts." }, 429).pipe(
          HttpServerResponse.setHeaders({
            ...rateHeaders,
            "retry-after": String(decision.retryAfter),
            "x-ratelimit-reset": String(Math.ceil(now() / 1000) + decision.retryAfter)
          })
        )
      }
    }
    const fault = options.faults?.({ method: request.method, path, n }) ?? "none"
    if (fault === "error500") return jsonResponse({ message: "Server Error" }, 500)
    if (fault === "error503") return jsonResponse({ message: "Service Unavailable" }, 503)
    const response = HttpServerResponse.setHeaders(
      yield* routed.pipe(Effect.provideService(HttpServerRequest.HttpServerRequest, request)),
      rateHeaders
    )
    return fault === "drop" ? dropBody(response) : response
  })
}

/** Same status and headers, half the body, then a broken stream. */
const dropBody = (response: HttpServerResponse.HttpServerResponse) => {
  const bytes = response.body._tag === "Uint8Array" ? response.body.body : new Uint8Array([123])
  const contentType = response.body._tag === "Uint8Array" ? response.body.contentType : "application/json"
  const cut = Math.max(1, Math.floor(bytes.length / 2))
  return HttpServerResponse.stream(
    Stream.concat(Stream.succeed(bytes.subarray(0, cut)), Stream.fail(new BodyDropped())),
    { status: response.status, headers: response.headers, contentType, contentLength: bytes.length }
  )
}
