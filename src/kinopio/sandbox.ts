/**
 * The documented Kinopio API, in memory, as an `HttpApp`: what tests, `npm start`, `ferry
 * sandbox` and the benchmark talk to instead of api.kinopio.club. It is an honest stand-in: it
 * knows nothing about Ferry, enforces the documented limits (5 requests per sliding second,
 * then 30 s of 429s; 60 ids per `/space/multiple`) and follows the "Writing" rules of
 * kinopio-in-practice.md (client ids, 409 on any existing id, no child collections in a space
 * body). Where the docs are silent it does what a real server most likely does; those choices
 * are marked "(choice)".
 *
 * Time comes only from `options.now`, so tests drive the rate limit with a virtual clock.
 */
import { randomBytes, randomUUID } from "node:crypto"
import { FetchHttpClient, HttpApp, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Data, Effect, Layer, Stream } from "effect"
import { appFetchLayer } from "../sandbox/fetch.ts"
import { defaultTagColor, type KinopioSeed, type SeedFavorites, spaceUrl, tagNamesIn } from "./sandbox-seed.ts"

// ---------------------------------------------------------------------------------------------
// Contract

export type SandboxFault = "none" | "error500" | "error503" | "drop"

export interface KinopioSandboxOptions {
  readonly seed: KinopioSeed
  /** Epoch ms; default `Date.now`. Every date the sandbox writes and every rate-limit decision uses it. */
  readonly now?: () => number
  /** Default `{ perSecond: 5, lockoutMs: 30_000 }` (the documented limit); `false` turns it off. */
  readonly rateLimit?: { readonly perSecond: number; readonly lockoutMs: number } | false
  /**
   * Consulted for every request that passes the rate limit; `n` is the 1-based count of all
   * requests seen so far (429s included). "error500"/"error503" answer before the route runs
   * (nothing is written); "drop" runs the route (writes happen), sends its status and headers
   * and part of the body, then breaks the body.
   */
  readonly faults?: (request: { readonly method: string; readonly path: string; readonly n: number }) => SandboxFault
}

export interface SandboxAccount {
  readonly userId: string
  readonly apiKey: string
}

export interface KinopioSandboxStats {
  /** Every request received, 429s and faults included. */
  readonly requests: number
  /** Requests answered 429. */
  readonly rateLimited: number
  /** Requests that reached a route, keyed "METHOD /route/:template". */
  readonly byRoute: ReadonlyMap<string, number>
}

/** One stored entity. Stored objects are never mutated: a change replaces the object. */
export type StoredEntity = Readonly<Record<string, unknown>>

/** The collections the store keeps by id. */
export type SandboxCollection = "users" | "spaces" | "cards" | "connections" | "connectionTypes" | "tags"

export interface SpaceChildren {
  readonly cards: ReadonlySet<string>
  readonly connections: ReadonlySet<string>
  readonly connectionTypes: ReadonlySet<string>
  readonly tags: ReadonlySet<string>
}

/** The sandbox's data, for tests to inspect writes and to change data between requests. */
export interface KinopioState {
  readonly users: ReadonlyMap<string, StoredEntity>
  /** Stored space fields (boxes, lists, lines, drawingStrokes and undocumented fields included); no child collections. */
  readonly spaces: ReadonlyMap<string, StoredEntity>
  readonly cards: ReadonlyMap<string, StoredEntity>
  readonly connections: ReadonlyMap<string, StoredEntity>
  readonly connectionTypes: ReadonlyMap<string, StoredEntity>
  readonly tags: ReadonlyMap<string, StoredEntity>
  readonly notifications: ReadonlyArray<StoredEntity>
  /** spaceId → collaborator user ids (the owner is not listed). */
  readonly collaborators: ReadonlyMap<string, ReadonlySet<string>>
  readonly favorites: ReadonlyMap<string, SeedFavorites>
  /** Removed cards that `GET /space/:id` still lists inline. */
  readonly inlineRemovedCardIds: ReadonlySet<string>
  /** Ids of the entities in one space (removed cards included). */
  readonly childrenOf: (spaceId: string) => SpaceChildren
  /** Inserts or replaces an entity exactly as given: no dates set, no side effects. */
  readonly put: (collection: SandboxCollection, entity: StoredEntity) => void
  /**
   * Changes an entity as a person in the app would: merges `fields`, sets `updatedAt`, bumps its
   * space's `updatedAt` (and `editedAt` for cards) and keeps a card's tags in step with its name.
   * Returns the new entity, or undefined when there is none with that id.
   */
  readonly edit: (collection: SandboxCollection, id: string, fields: Readonly<Record<string, unknown>>) => StoredEntity | undefined
  /** Deletes an entity for good, with no cascade. */
  readonly remove: (collection: SandboxCollection, id: string) => boolean
}

export interface KinopioSandbox {
  /** The API; serve it (src/sandbox/server.ts) or call it in-process (`sandboxFetchLayer`). */
  readonly app: HttpApp.Default<never, never>
  readonly accounts: { readonly main: SandboxAccount; readonly target: SandboxAccount; readonly other: SandboxAccount }
  /** Live counters. */
  readonly stats: KinopioSandboxStats
  readonly state: KinopioState
}

/** Any base URL works in-process; this one says where requests go. */
export const SANDBOX_BASE_URL = "http://kinopio.sandbox"

/** The documented rate limit. */
export const KINOPIO_SANDBOX_RATE_LIMIT = { perSecond: 5, lockoutMs: 30_000 } as const

/** Bodies over this size are refused with 413 (choice: the docs give no limit). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024

export const makeKinopioSandbox = (options: KinopioSandboxOptions): KinopioSandbox => {
  const now = options.now ?? Date.now
  const store = new Store(now)
  store.load(options.seed)
  const counters = { requests: 0, rateLimited: 0, byRoute: new Map<string, number>() }
  const app = makeApp(store, counters, options, now)
  const account = (userId: string): SandboxAccount => ({
    userId,
    apiKey: String(store.users.get(userId)?.["apiKey"] ?? "")
  })
  return {
    app,
    accounts: {
      main: account(options.seed.accounts.main),
      target: account(options.seed.accounts.target),
      other: account(options.seed.accounts.other)
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

/** A `FetchHttpClient.Fetch` that hands every request straight to the sandbox app: no socket. */
export const sandboxFetchLayer = (
  sandbox: KinopioSandbox | HttpApp.Default<never, never>
): Layer.Layer<FetchHttpClient.Fetch> => appFetchLayer(Effect.isEffect(sandbox) ? sandbox : sandbox.app)

// ---------------------------------------------------------------------------------------------
// Store

type Entity = Record<string, unknown>
type Children = { cards: Set<string>; connections: Set<string>; connectionTypes: Set<string>; tags: Set<string> }
type ChildCollection = keyof Children

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
/** A nanoid-shaped id: 21 characters of A-Za-z0-9_- (what Kinopio's clients generate). */
const newId = () => Array.from(randomBytes(21), (b) => ID_ALPHABET[b & 63]).join("")

const text = (entity: StoredEntity | undefined, key: string): string | undefined => {
  const value = entity?.[key]
  return typeof value === "string" ? value : undefined
}

const omit = (entity: StoredEntity, keys: ReadonlyArray<string>): Entity => {
  const out: Entity = { ...entity }
  for (const key of keys) delete out[key]
  return out
}

const time = (entity: StoredEntity, key = "updatedAt") => {
  const parsed = Date.parse(text(entity, key) ?? "")
  return Number.isNaN(parsed) ? 0 : parsed
}

const newestFirst = (a: StoredEntity, b: StoredEntity) => time(b) - time(a)

const CHILD_COLLECTIONS: ReadonlyArray<ChildCollection> = ["cards", "connections", "connectionTypes", "tags"]
const isChild = (collection: SandboxCollection): collection is ChildCollection =>
  (CHILD_COLLECTIONS as ReadonlyArray<string>).includes(collection)

class Store implements KinopioState {
  readonly users = new Map<string, StoredEntity>()
  readonly spaces = new Map<string, StoredEntity>()
  readonly cards = new Map<string, StoredEntity>()
  readonly connections = new Map<string, StoredEntity>()
  readonly connectionTypes = new Map<string, StoredEntity>()
  readonly tags = new Map<string, StoredEntity>()
  readonly notifications: Array<StoredEntity> = []
  readonly collaborators = new Map<string, Set<string>>()
  readonly favorites = new Map<string, SeedFavorites>()
  readonly inlineRemovedCardIds = new Set<string>()
  private readonly children = new Map<string, Children>()
  private readonly tagsByCard = new Map<string, Set<string>>()
  private readonly userByKey = new Map<string, string>()

  constructor(readonly now: () => number) {}

  load(seed: KinopioSeed) {
    for (const user of seed.users) this.put("users", user)
    for (const space of seed.spaces) this.put("spaces", space)
    for (const { spaceId, userId } of seed.collaborators) this.addCollaborator(spaceId, userId)
    for (const entity of seed.cards) this.put("cards", entity)
    for (const entity of seed.connections) this.put("connections", entity)
    for (const entity of seed.connectionTypes) this.put("connectionTypes", entity)
    for (const entity of seed.tags) this.put("tags", entity)
    this.notifications.push(...seed.notifications)
    for (const favorites of seed.favorites) this.favorites.set(favorites.userId, favorites)
    for (const id of seed.inlineRemovedCardIds) this.inlineRemovedCardIds.add(id)
  }

  iso() {
    return new Date(this.now()).toISOString()
  }

  userByApiKey(apiKey: string): StoredEntity | undefined {
    const id = this.userByKey.get(apiKey)
    return id === undefined ? undefined : this.users.get(id)
  }

  addCollaborator(spaceId: string, userId: string) {
    const set = this.collaborators.get(spaceId) ?? new Set<string>()
    set.add(userId)
    this.collaborators.set(spaceId, set)
  }

  childrenOf(spaceId: string): SpaceChildren {
    return this.children.get(spaceId) ?? { cards: new Set(), connections: new Set(), connectionTypes: new Set(), tags: new Set() }
  }

  childEntities(spaceId: string, collection: ChildCollection): Array<StoredEntity> {
    const out: Array<StoredEntity> = []
    for (const id of this.childrenOf(spaceId)[collection]) {
      const entity = this[collection].get(id)
      if (entity !== undefined) out.push(entity)
    }
    return out
  }

  tagsOfCard(cardId: string): Array<StoredEntity> {
    return [...(this.tagsByCard.get(cardId) ?? [])].flatMap((id) => {
      const tag = this.tags.get(id)
      return tag === undefined ? [] : [tag]
    })
  }

  put(collection: SandboxCollection, entity: StoredEntity) {
    const id = text(entity, "id")
    if (id === undefined) throw new Error(`a ${collection} entity needs a string id`)
    if (collection === "users") {
      const previous = text(this.users.get(id), "apiKey")
      if (previous !== undefined) this.userByKey.delete(previous)
      const apiKey = text(entity, "apiKey")
      if (apiKey !== undefined) this.userByKey.set(apiKey, id)
      this.users.set(id, entity)
      return
    }
    if (!isChild(collection)) {
      this.spaces.set(id, entity)
      return
    }
    this.unindex(collection, id)
    this[collection].set(id, entity)
    const spaceId = text(entity, "spaceId")
    if (spaceId !== undefined) {
      let children = this.children.get(spaceId)
      if (children === undefined) {
        children = { cards: new Set(), connections: new Set(), connectionTypes: new Set(), tags: new Set() }
        this.children.set(spaceId, children)
      }
      children[collection].add(id)
    }
    const cardId = text(entity, "cardId")
    if (collection === "tags" && cardId !== undefined) {
      const set = this.tagsByCard.get(cardId) ?? new Set<string>()
      set.add(id)
      this.tagsByCard.set(cardId, set)
    }
  }

  remove(collection: SandboxCollection, id: string): boolean {
    if (collection === "users") {
      const apiKey = text(this.users.get(id), "apiKey")
      if (apiKey !== undefined) this.userByKey.delete(apiKey)
      return this.users.delete(id)
    }
    if (!isChild(collection)) return this.spaces.delete(id)
    this.unindex(collection, id)
    return this[collection].delete(id)
  }

  private unindex(collection: ChildCollection, id: string) {
    const old = this[collection].get(id)
    if (old === undefined) return
    const spaceId = text(old, "spaceId")
    if (spaceId !== undefined) this.children.get(spaceId)?.[collection].delete(id)
    const cardId = text(old, "cardId")
    if (collection === "tags" && cardId !== undefined) this.tagsByCard.get(cardId)?.delete(id)
  }

  edit(collection: SandboxCollection, id: string, fields: Readonly<Record<string, unknown>>): StoredEntity | undefined {
    const old = this[collection].get(id)
    if (old === undefined) return undefined
    const updated = { ...old, ...fields, updatedAt: this.iso() }
    this.put(collection, updated)
    if (collection === "cards" && fields["name"] !== undefined && fields["name"] !== old["name"]) {
      this.syncTags(updated, text(updated, "userId"))
    }
    const spaceId = collection === "spaces" ? undefined : text(updated, "spaceId")
    if (spaceId !== undefined) this.touchSpace(spaceId, undefined, collection === "cards")
    return updated
  }

  /** Any change inside a space moves its `updatedAt`; card content also moves `editedAt`. */
  touchSpace(spaceId: string, userId: string | undefined, edited: boolean) {
    const space = this.spaces.get(spaceId)
    if (space === undefined) return
    const at = this.iso()
    const byUser = userId === undefined ? {} : { editedByUserId: userId }
    this.spaces.set(spaceId, edited ? { ...space, updatedAt: at, editedAt: at, ...byUser } : { ...space, updatedAt: at })
  }

  /** One tag entity per `[[tag]]` name per card; a new name takes the colour its name already has, if any. */
  syncTags(card: StoredEntity, userId: string | undefined) {
    const cardId = text(card, "id") ?? ""
    const spaceId = text(card, "spaceId")
    const wanted = new Set(tagNamesIn(text(card, "name") ?? ""))
    for (const tag of this.tagsOfCard(cardId)) {
      const name = text(tag, "name") ?? ""
      if (wanted.has(name)) wanted.delete(name)
      else this.remove("tags", text(tag, "id") ?? "")
    }
    const at = this.iso()
    for (const name of wanted) {
      this.put("tags", {
        id: newId(),
        name,
        color: this.tagColor(name, spaceId),
        cardId,
        spaceId,
        userId,
        createdAt: at,
        updatedAt: at
      })
    }
  }

  private tagColor(name: string, spaceId: string | undefined): string {
    const sameSpace = spaceId === undefined ? [] : this.childEntities(spaceId, "tags")
    for (const tag of sameSpace) if (tag["name"] === name && typeof tag["color"] === "string") return tag["color"]
    return defaultTagColor(name)
  }
}

// ---------------------------------------------------------------------------------------------
// Who may do what

const isMember = (store: Store, space: StoredEntity, userId: string | undefined) =>
  userId !== undefined &&
  (space["ownerUserId"] === userId || (store.collaborators.get(text(space, "id") ?? "")?.has(userId) ?? false))

const isPublic = (space: StoredEntity) => space["privacy"] === "open" || space["privacy"] === "closed"

/** Open and closed spaces: anyone; private: owner and collaborators; removed: only their users. */
const canView = (store: Store, space: StoredEntity, userId: string | undefined) =>
  isMember(store, space, userId) || (space["isRemoved"] !== true && isPublic(space))

/** Owner and collaborators; any signed-in user for an open space. */
const canEdit = (store: Store, space: StoredEntity, userId: string | undefined) =>
  userId !== undefined &&
  (isMember(store, space, userId) || (space["isRemoved"] !== true && space["privacy"] === "open"))

// ---------------------------------------------------------------------------------------------
// Views: what the routes answer with

const PUBLIC_USER_FIELDS = ["id", "name", "color", "description", "website", "createdAt"] as const
const SPACE_SECRETS = ["collaboratorKey", "readOnlyKey"] as const
/** What a summary leaves out: the child collections and the heavy undocumented ones. */
const SPACE_HEAVY = ["cards", "connections", "connectionTypes", "tags", "boxes", "lists", "lines", "drawingStrokes"] as const

const publicUser = (user: StoredEntity): Entity => {
  const out: Entity = {}
  for (const key of PUBLIC_USER_FIELDS) if (key in user) out[key] = user[key]
  return out
}

const makeViews = (store: Store) => {
  const owners = (space: StoredEntity) => {
    const owner = store.users.get(text(space, "ownerUserId") ?? "")
    return owner === undefined ? [] : [publicUser(owner)]
  }
  const collaborators = (space: StoredEntity) =>
    [...(store.collaborators.get(text(space, "id") ?? "") ?? [])].flatMap((id) => {
      const user = store.users.get(id)
      return user === undefined ? [] : [publicUser(user)]
    })
  /** The stored fields; the space's keys only for its owner and collaborators (choice). */
  const fields = (space: StoredEntity, viewerId: string | undefined): Entity =>
    isMember(store, space, viewerId) ? { ...space } : omit(space, SPACE_SECRETS)

  return {
    publicUser,
    /** For lists: the space's own fields without child or heavy collections, plus its owner. */
    summary: (space: StoredEntity, viewerId: string | undefined): Entity => ({
      ...omit(fields(space, viewerId), SPACE_HEAVY),
      users: owners(space)
    }),
    /** A space's fields with its owner and collaborators, no child collections (answers to space writes). */
    record: (space: StoredEntity, viewerId: string | undefined): Entity => ({
      ...fields(space, viewerId),
      users: owners(space),
      collaborators: collaborators(space)
    }),
    /** `GET /space/:id`: everything, with some soft-removed cards inline as the real service does. */
    full: (space: StoredEntity, viewerId: string | undefined): Entity => {
      const id = text(space, "id") ?? ""
      return {
        ...fields(space, viewerId),
        users: owners(space),
        collaborators: collaborators(space),
        cards: store.childEntities(id, "cards").filter((card) =>
          card["isRemoved"] !== true || store.inlineRemovedCardIds.has(text(card, "id") ?? "")
        ),
        connections: store.childEntities(id, "connections"),
        connectionTypes: store.childEntities(id, "connectionTypes"),
        tags: store.childEntities(id, "tags")
      }
    },
    notification: (n: StoredEntity): Entity => {
      const card = store.cards.get(text(n, "cardId") ?? "")
      const space = store.spaces.get(text(n, "spaceId") ?? "")
      const user = store.users.get(text(n, "userId") ?? "")
      return {
        ...n,
        card: card === undefined ? (n["card"] ?? null) : { id: card["id"], name: card["name"] },
        space: space === undefined
          ? (n["space"] ?? null)
          : { id: space["id"], name: space["name"], privacy: space["privacy"], background: space["background"] ?? null },
        user: user === undefined ? (n["user"] ?? null) : { id: user["id"], name: user["name"], color: user["color"] }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Requests, answers and failures

/** An answer a route gives up on; becomes `{"message": ...}` with the status. */
class ApiFailure extends Data.TaggedError("ApiFailure")<{ readonly status: number; readonly message: string }> {}

const refuse = (status: number, message: string) => Effect.fail(new ApiFailure({ status, message }))

/** The body stream of a "drop" fault fails with this. */
class BodyDropped extends Data.TaggedError("BodyDropped")<{}> {}

/** A non-default answer: another status or content type. */
class Reply {
  constructor(readonly body: unknown, readonly status = 200, readonly contentType = "application/json") {}
}

interface Caller {
  /** What the request authenticated with (header first, then `?apiKey=`), if anything. */
  readonly credential: string | undefined
  readonly user: StoredEntity | undefined
}

interface RouteInput {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly params: Readonly<Record<string, string | undefined>>
  readonly query: URLSearchParams
  readonly caller: Caller
}

type Handler = (input: RouteInput) => Effect.Effect<unknown, ApiFailure>

const requestUrl = (request: HttpServerRequest.HttpServerRequest) => new URL(request.url, SANDBOX_BASE_URL)

/** Kinopio takes the raw apiKey as the whole Authorization value (so "Bearer <key>" matches no user). */
const credentialOf = (request: HttpServerRequest.HttpServerRequest, url: URL): string | undefined => {
  const header = request.headers["authorization"]
  if (header !== undefined && header !== "") return header
  return url.searchParams.get("apiKey") ?? undefined
}

const jsonResponse = (body: unknown, status = 200, contentType = "application/json") =>
  HttpServerResponse.unsafeJson(body, { status, contentType })

/** Reads a JSON body of at most MAX_BODY_BYTES. */
const readJson = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const declared = Number(request.headers["content-length"] ?? "0")
    if (declared > MAX_BODY_BYTES) return yield* refuse(413, "the body is larger than 10 MB")
    const chunks: Array<Uint8Array> = []
    let size = 0
    yield* request.stream.pipe(
      Stream.runForEach((chunk) => {
        size += chunk.length
        if (size > MAX_BODY_BYTES) return refuse(413, "the body is larger than 10 MB")
        chunks.push(chunk)
        return Effect.void
      }),
      Effect.catchTag("RequestError", () => refuse(400, "a JSON body is required"))
    )
    const body = Buffer.concat(chunks).toString("utf8")
    if (body.trim() === "") return yield* refuse(400, "a JSON body is required")
    return yield* Effect.try({
      try: () => JSON.parse(body) as unknown,
      catch: () => new ApiFailure({ status: 400, message: "the body is not valid JSON" })
    })
  })

const isObject = (value: unknown): value is StoredEntity =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** "(s)" routes take one object or an array of objects, and answer in the same shape. */
const readBatch = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.flatMap(readJson(request), (body) => {
    if (isObject(body)) return Effect.succeed({ many: false, items: [body] as ReadonlyArray<StoredEntity> })
    if (Array.isArray(body) && body.every(isObject)) return Effect.succeed({ many: true, items: body as ReadonlyArray<StoredEntity> })
    return refuse(400, "the body must be an object or an array of objects")
  })

const answer = (many: boolean, results: ReadonlyArray<unknown>) => (many ? results : results[0])

/** Names the item in a batch, for messages. */
const where = (many: boolean, index: number) => (many ? `item ${index}: ` : "")

/** A required string field; only `name` may be empty (a card can be blank). */
const requireString = (item: StoredEntity, field: string, many: boolean, index: number) => {
  const value = item[field]
  if (typeof value === "string" && (value !== "" || field === "name")) return Effect.succeed(value)
  const problem = value === undefined || value === null ? "is required" : value === "" ? "must not be empty" : "must be a string"
  return refuse(400, `${where(many, index)}${field} ${problem}`)
}

/** A create refuses, whole, a batch naming any id that exists already (in any account) or twice. */
const requireFreshIds = (existing: ReadonlyMap<string, unknown>, items: ReadonlyArray<StoredEntity>, many: boolean) =>
  Effect.gen(function*() {
    const seen = new Set<string>()
    for (const [index, item] of items.entries()) {
      const id = item["id"]
      if (id === undefined || id === null) continue
      if (typeof id !== "string" || id === "") return yield* refuse(400, `${where(many, index)}id must be a non-empty string`)
      if (existing.has(id) || seen.has(id)) return yield* refuse(409, `${where(many, index)}id ${id} already exists`)
      seen.add(id)
    }
  })

// ---------------------------------------------------------------------------------------------
// Rate limit: a sliding 1,000 ms window per credential, then a lockout

const makeRateLimiter = (limit: { readonly perSecond: number; readonly lockoutMs: number }) => {
  const recent = new Map<string, Array<number>>()
  const lockedUntil = new Map<string, number>()
  /** True when this request must get 429. A 429 during a lockout does not extend it. */
  return (key: string, at: number): boolean => {
    const until = lockedUntil.get(key)
    if (until !== undefined && at < until) return true
    const times = recent.get(key) ?? []
    while (times.length > 0 && (times[0] ?? 0) <= at - 1000) times.shift()
    if (times.length >= limit.perSecond) {
      lockedUntil.set(key, at + limit.lockoutMs)
      recent.set(key, times)
      return true
    }
    times.push(at)
    recent.set(key, times)
    return false
  }
}

// ---------------------------------------------------------------------------------------------
// The app

const SPACE_CHILD_FIELDS = ["cards", "connections", "connectionTypes", "tags"] as const
/** Set by the server on spaces; a body's values for these are ignored. */
const SPACE_SERVER_FIELDS = [
  "createdAt", "updatedAt", "editedAt", "editedByUserId", "ownerUserId", "userId", "users", "collaborators",
  "collaboratorKey", "readOnlyKey", "isRemoved", "removedByUserId", "url"
] as const
/** Set by the server on cards, connections and connection types. */
const CHILD_SERVER_FIELDS = ["createdAt", "updatedAt", "userId", "isRemoved", "nameUpdatedAt", "nameUpdatedByUserId"] as const
/** Documented as not updatable on a user. */
const USER_FIXED_FIELDS = [
  "id", "apiKey", "password", "email", "emailIsVerified", "cardsCreatedCount", "isUpgraded", "createdAt", "updatedAt"
] as const
const PRIVACIES = ["open", "closed", "private"]

const makeApp = (
  store: Store,
  counters: { requests: number; rateLimited: number; byRoute: Map<string, number> },
  options: KinopioSandboxOptions,
  now: () => number
): HttpApp.Default<never, never> => {
  const views = makeViews(store)
  const limit = options.rateLimit === undefined ? KINOPIO_SANDBOX_RATE_LIMIT : options.rateLimit
  const limited = limit === false ? () => false : makeRateLimiter(limit)

  // --- access checks -------------------------------------------------------------------------

  const requireUser = (input: RouteInput) =>
    input.caller.user === undefined
      ? refuse(401, input.caller.credential === undefined ? "an apiKey is required" : "the apiKey is not valid")
      : Effect.succeed(input.caller.user)

  /** Routes open to anyone: a key that is sent must still be valid. */
  const viewerOf = (input: RouteInput) =>
    input.caller.credential !== undefined && input.caller.user === undefined
      ? refuse(401, "the apiKey is not valid")
      : Effect.succeed(text(input.caller.user, "id"))

  const findSpace = (spaceId: string | undefined, viewerId: string | undefined) => {
    const space = store.spaces.get(spaceId ?? "")
    // A removed space is gone for everyone but its users.
    if (space === undefined || (space["isRemoved"] === true && !isMember(store, space, viewerId))) {
      return refuse(404, "space not found")
    }
    return Effect.succeed(space)
  }

  const viewableSpace = (spaceId: string | undefined, viewerId: string | undefined) =>
    Effect.flatMap(findSpace(spaceId, viewerId), (space) =>
      canView(store, space, viewerId)
        ? Effect.succeed(space)
        : viewerId === undefined
        ? refuse(401, "an apiKey is required for this space")
        : refuse(403, "you cannot view this space"))

  const editableSpace = (spaceId: string | undefined, userId: string) =>
    Effect.flatMap(viewableSpace(spaceId, userId), (space) =>
      canEdit(store, space, userId) ? Effect.succeed(space) : refuse(403, "you cannot edit this space"))

  /** Spaces the user owns or collaborates on, not removed. */
  const memberSpaces = (userId: string) =>
    [...store.spaces.values()].filter((space) => space["isRemoved"] !== true && isMember(store, space, userId))

  const tagsInSpacesOf = (userId: string) => memberSpaces(userId).flatMap((space) => store.childEntities(text(space, "id") ?? "", "tags"))

  const idList = (value: string | null) => [...new Set((value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== ""))]

  // --- reads ---------------------------------------------------------------------------------

  const childEntity = (collection: "cards" | "connections" | "connectionTypes", what: string, param: string): Handler => (input) =>
    Effect.gen(function*() {
      const viewerId = yield* viewerOf(input)
      const entity = store[collection].get(input.params[param] ?? "")
      if (entity === undefined) return yield* refuse(404, `${what} not found`)
      // (choice) the docs say "None", but an entity of a space you cannot view is not shown
      yield* viewableSpace(text(entity, "spaceId"), viewerId)
      return entity
    })

  const favoritesOf = (user: StoredEntity) => {
    const userId = text(user, "id") ?? ""
    const favorites = store.favorites.get(userId)
    return {
      id: userId,
      name: user["name"],
      favoriteUsers: (favorites?.favoriteUserIds ?? []).flatMap((id) => {
        const favorite = store.users.get(id)
        return favorite === undefined ? [] : [publicUser(favorite)]
      }),
      favoriteSpaces: (favorites?.favoriteSpaces ?? []).flatMap(({ isEdited, spaceId }) => {
        const space = store.spaces.get(spaceId)
        return space === undefined || space["isRemoved"] === true || !canView(store, space, userId)
          ? []
          : [{ ...views.summary(space, userId), isEdited }]
      }),
      favoriteColors: [...(favorites?.favoriteColors ?? [])]
    }
  }

  const spaceFeed = (space: StoredEntity) => {
    const id = text(space, "id") ?? ""
    const owner = store.users.get(text(space, "ownerUserId") ?? "")
    const page = `https://kinopio.club/${text(space, "url") ?? id}`
    const cards = store.childEntities(id, "cards").filter((card) => card["isRemoved"] !== true).sort(newestFirst)
    return new Reply({
      version: "https://jsonfeed.org/version/1.1",
      title: text(space, "name") ?? "",
      home_page_url: page,
      feed_url: `https://api.kinopio.club/space/${id}/feed.json`,
      authors: owner === undefined ? [] : [{ name: text(owner, "name") ?? "" }],
      items: cards.map((card) => ({
        id: text(card, "id") ?? "",
        url: `${page}?cardId=${text(card, "id") ?? ""}`,
        content_text: text(card, "name") ?? "",
        date_published: card["createdAt"] ?? undefined,
        date_modified: card["updatedAt"] ?? undefined
      }))
    }, 200, "application/feed+json")
  }

  const publicSpaces = () =>
    [...store.spaces.values()].filter((space) => space["isRemoved"] !== true && isPublic(space))

  // --- writes --------------------------------------------------------------------------------

  /** Near the last updated card in the space, when the body gives no position. */
  const placeCard = (spaceId: string, item: StoredEntity): Entity => {
    if (item["x"] !== undefined && item["y"] !== undefined && item["z"] !== undefined) return {}
    const last = store.childEntities(spaceId, "cards").reduce<StoredEntity | undefined>(
      (best, card) => (best === undefined || time(card) >= time(best) ? card : best),
      undefined
    )
    const num = (key: string, fallback: number) => (typeof last?.[key] === "number" ? (last[key] as number) : fallback)
    return {
      ...(item["x"] === undefined ? { x: num("x", 80) } : {}),
      ...(item["y"] === undefined ? { y: last === undefined ? 80 : num("y", 80) + num("height", 60) + 20 } : {}),
      ...(item["z"] === undefined ? { z: num("z", 0) + 1 } : {})
    }
  }

  const notifyMembers = (space: StoredEntity, card: StoredEntity, userId: string) => {
    const spaceId = text(space, "id") ?? ""
    const members = [text(space, "ownerUserId"), ...(store.collaborators.get(spaceId) ?? [])]
    for (const recipient of new Set(members)) {
      if (recipient === undefined || recipient === userId) continue
      store.notifications.push({
        id: newId(),
        type: "addCard",
        recipientUserId: recipient,
        userId,
        cardId: card["id"],
        spaceId,
        isRead: false,
        isEmailed: false,
        createdAt: store.iso()
      })
    }
  }

  /** The items of a PATCH/DELETE batch with their entities and spaces, checked for edit rights. */
  const targets = (
    collection: "cards" | "connections" | "connectionTypes",
    what: string,
    items: ReadonlyArray<StoredEntity>,
    many: boolean,
    userId: string
  ) =>
    Effect.forEach(items, (item, index) =>
      Effect.gen(function*() {
        const id = yield* requireString(item, "id", many, index)
        const entity = store[collection].get(id)
        if (entity === undefined) return yield* refuse(404, `${where(many, index)}${what} not found`)
        const space = yield* editableSpace(text(entity, "spaceId"), userId)
        return { item, entity, space }
      }))

  const createChildren = (
    collection: "cards" | "connections" | "connectionTypes",
    validate: (item: StoredEntity, many: boolean, index: number) => Effect.Effect<void, ApiFailure>
  ): Handler => (input) =>
    Effect.gen(function*() {
      const user = yield* requireUser(input)
      const userId = text(user, "id") ?? ""
      const { items, many } = yield* readBatch(input.request)
      for (const [index, item] of items.entries()) {
        yield* requireString(item, "spaceId", many, index)
        yield* validate(item, many, index)
      }
      const spaces = yield* Effect.forEach(items, (item) => editableSpace(text(item, "spaceId"), userId))
      yield* requireFreshIds(store[collection], items, many)
      const at = store.iso()
      const results = items.map((item, index) => {
        const space = spaces[index] ?? {}
        const spaceId = text(item, "spaceId") ?? ""
        const entity: Entity = {
          ...omit(item, CHILD_SERVER_FIELDS),
          id: text(item, "id") ?? newId(),
          userId,
          createdAt: at,
          updatedAt: at
        }
        if (collection === "cards") {
          Object.assign(entity, placeCard(spaceId, item), { isRemoved: false, nameUpdatedAt: at, nameUpdatedByUserId: userId })
        }
        store.put(collection, entity)
        if (collection === "cards") {
          store.syncTags(entity, userId)
          notifyMembers(space, entity, userId)
        }
        store.touchSpace(spaceId, userId, collection === "cards")
        return store[collection].get(text(entity, "id") ?? "") ?? entity
      })
      return answer(many, results)
    })

  const updateChildren = (collection: "cards" | "connections" | "connectionTypes", what: string): Handler => (input) =>
    Effect.gen(function*() {
      const user = yield* requireUser(input)
      const userId = text(user, "id") ?? ""
      const { items, many } = yield* readBatch(input.request)
      const found = yield* targets(collection, what, items, many, userId)
      for (const [index, { item }] of found.entries()) {
        if (item["name"] !== undefined && item["name"] !== null && typeof item["name"] !== "string") {
          return yield* refuse(400, `${where(many, index)}name must be a string`)
        }
      }
      const at = store.iso()
      const results = found.map(({ entity, item }) => {
        // `spaceId` cannot be patched: it is dropped with the server-set fields
        const patch = omit(item, ["id", "spaceId", ...CHILD_SERVER_FIELDS])
        const renamed = "name" in patch && patch["name"] !== entity["name"]
        const updated: Entity = { ...entity, ...patch, updatedAt: at }
        if (collection === "cards" && renamed) Object.assign(updated, { nameUpdatedAt: at, nameUpdatedByUserId: userId })
        store.put(collection, updated)
        if (collection === "cards" && renamed) store.syncTags(updated, userId)
        store.touchSpace(text(entity, "spaceId") ?? "", userId, collection === "cards")
        return updated
      })
      return answer(many, results)
    })

  /** Soft removal and restore of cards. */
  const setCardRemoved = (isRemoved: boolean): Handler => (input) =>
    Effect.gen(function*() {
      const user = yield* requireUser(input)
      const userId = text(user, "id") ?? ""
      const { items, many } = yield* readBatch(input.request)
      const found = yield* targets("cards", "card", items, many, userId)
      const at = store.iso()
      const results = found.map(({ entity }) => {
        const updated = { ...entity, isRemoved, updatedAt: at }
        store.put("cards", updated)
        if (!isRemoved) store.inlineRemovedCardIds.delete(text(entity, "id") ?? "")
        store.touchSpace(text(entity, "spaceId") ?? "", userId, true)
        return updated
      })
      return answer(many, results)
    })

  /** Permanent deletion; a card takes its tags with it. */
  const deleteChildren = (collection: "cards" | "connections" | "connectionTypes", what: string): Handler => (input) =>
    Effect.gen(function*() {
      const user = yield* requireUser(input)
      const userId = text(user, "id") ?? ""
      const { items, many } = yield* readBatch(input.request)
      const found = yield* targets(collection, what, items, many, userId)
      const results = found.map(({ entity }) => {
        const id = text(entity, "id") ?? ""
        if (collection === "cards") {
          for (const tag of store.tagsOfCard(id)) store.remove("tags", text(tag, "id") ?? "")
          store.inlineRemovedCardIds.delete(id)
        }
        store.remove(collection, id)
        store.touchSpace(text(entity, "spaceId") ?? "", userId, collection === "cards")
        return entity
      })
      return answer(many, results)
    })

  const checkSpaceBody = (item: StoredEntity, many: boolean, index: number) => {
    const child = SPACE_CHILD_FIELDS.find((field) => field in item)
    if (child !== undefined) {
      return refuse(400, `${where(many, index)}${child} cannot be sent with a space: create them with their own routes`)
    }
    if (item["privacy"] !== undefined && !PRIVACIES.includes(String(item["privacy"]))) {
      return refuse(400, `${where(many, index)}privacy must be open, closed or private`)
    }
    if (item["name"] !== undefined && typeof item["name"] !== "string") {
      return refuse(400, `${where(many, index)}name must be a string`)
    }
    return Effect.void
  }

  /** The items of a space batch, each an existing space the user may edit. */
  const spaceTargets = (items: ReadonlyArray<StoredEntity>, many: boolean, userId: string) =>
    Effect.forEach(items, (item, index) =>
      Effect.flatMap(requireString(item, "id", many, index), (id) => editableSpace(id, userId)))

  const setSpaceRemoved = (isRemoved: boolean): Handler => (input) =>
    Effect.gen(function*() {
      const user = yield* requireUser(input)
      const userId = text(user, "id") ?? ""
      const { items, many } = yield* readBatch(input.request)
      const spaces = yield* spaceTargets(items, many, userId)
      const at = store.iso()
      const results = spaces.map((space) => {
        const updated = isRemoved
          ? { ...space, isRemoved: true, removedByUserId: userId, updatedAt: at }
          : { ...space, isRemoved: false, updatedAt: at }
        store.put("spaces", updated)
        return views.record(updated, userId)
      })
      return answer(many, results)
    })

  // --- the routes ----------------------------------------------------------------------------

  const routes: ReadonlyArray<readonly ["GET" | "POST" | "PATCH" | "DELETE", HttpRouter.PathInput, Handler]> = [
    ["GET", "/", () => Effect.succeed({ message: "Kinopio API is online" })],

    // users
    ["GET", "/user", (input) => requireUser(input)],
    ["GET", "/user/public/multiple", (input) =>
      Effect.succeed(idList(input.query.get("userIds")).flatMap((id) => {
        const user = store.users.get(id)
        return user === undefined ? [] : [publicUser(user)]
      }))],
    ["GET", "/user/public/:userId", (input) => {
      const user = store.users.get(input.params["userId"] ?? "")
      return user === undefined ? refuse(404, "user not found") : Effect.succeed(publicUser(user))
    }],
    ["GET", "/user/favorites", (input) => Effect.map(requireUser(input), favoritesOf)],
    ["PATCH", "/user/favorites", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const userId = text(user, "id") ?? ""
        const body = yield* readJson(input.request)
        if (!isObject(body)) return yield* refuse(400, "the body must be an object")
        const current = store.favorites.get(userId) ?? { userId, favoriteUserIds: [], favoriteSpaces: [], favoriteColors: [] }
        const toggle = <A>(list: ReadonlyArray<A>, has: (a: A) => boolean, add: A) =>
          list.some(has) ? list.filter((a) => !has(a)) : [...list, add]
        const favoriteUserId = text(body, "userId")
        const favoriteSpaceId = text(body, "spaceId")
        const color = text(body, "color")
        if (favoriteUserId !== undefined) {
          if (!store.users.has(favoriteUserId)) return yield* refuse(404, "user not found")
          store.favorites.set(userId, {
            ...current,
            favoriteUserIds: toggle(current.favoriteUserIds, (id) => id === favoriteUserId, favoriteUserId)
          })
        } else if (favoriteSpaceId !== undefined) {
          yield* viewableSpace(favoriteSpaceId, userId)
          store.favorites.set(userId, {
            ...current,
            favoriteSpaces: toggle(current.favoriteSpaces, (f) => f.spaceId === favoriteSpaceId, {
              spaceId: favoriteSpaceId,
              isEdited: false
            })
          })
        } else if (color !== undefined) {
          store.favorites.set(userId, { ...current, favoriteColors: toggle(current.favoriteColors, (c) => c === color, color) })
        } else {
          return yield* refuse(400, "userId, spaceId or color is required")
        }
        return favoritesOf(user)
      })],
    ["GET", "/user/spaces", (input) =>
      Effect.map(requireUser(input), (user) => {
        const userId = text(user, "id") ?? ""
        return memberSpaces(userId).sort(newestFirst).map((space) => views.summary(space, userId))
      })],
    ["GET", "/user/removed-spaces", (input) =>
      Effect.map(requireUser(input), (user) => {
        const userId = text(user, "id") ?? ""
        return [...store.spaces.values()]
          .filter((space) => space["isRemoved"] === true && space["removedByUserId"] === userId)
          .sort(newestFirst)
          .map((space) => views.summary(space, userId))
      })],
    ["GET", "/user/tags", (input) =>
      Effect.map(requireUser(input), (user) => {
        // the last edited tag of each name
        const latest = new Map<string, StoredEntity>()
        for (const tag of tagsInSpacesOf(text(user, "id") ?? "")) {
          const name = text(tag, "name") ?? ""
          const seen = latest.get(name)
          if (seen === undefined || time(tag) > time(seen)) latest.set(name, tag)
        }
        return [...latest.values()].sort(newestFirst)
      })],
    ["PATCH", "/user", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const userId = text(user, "id") ?? ""
        const { items, many } = yield* readBatch(input.request)
        let updated = user
        for (const [index, item] of items.entries()) {
          const name = item["name"]
          if (name !== undefined && typeof name !== "string") return yield* refuse(400, `${where(many, index)}name must be a string`)
          const taken = name !== undefined && [...store.users.values()].some((u) => u["name"] === name && u["id"] !== userId)
          if (taken) return yield* refuse(409, `${where(many, index)}that name is taken`)
        }
        for (const item of items) {
          updated = { ...updated, ...omit(item, USER_FIXED_FIELDS), updatedAt: store.iso() }
          store.put("users", updated)
        }
        return answer(many, items.map(() => updated))
      })],

    // spaces: static paths first in meaning; the router prefers them over /space/:spaceId
    ["GET", "/space/new-spaces", () =>
      Effect.succeed(
        publicSpaces()
          .filter((space) => (text(space, "name") ?? "") !== "" && !/^Hello Kinopio/.test(text(space, "name") ?? ""))
          .sort(newestFirst)
          .slice(0, 30)
          .map((space) => views.summary(space, undefined))
      )],
    ["GET", "/space/new-spaces/feed.json", () =>
      Effect.succeed(new Reply({
        version: "https://jsonfeed.org/version/1.1",
        title: "Kinopio – new spaces",
        home_page_url: "https://kinopio.club/explore",
        feed_url: "https://api.kinopio.club/space/new-spaces/feed.json",
        items: publicSpaces().filter((space) => space["showInExplore"] === true).sort(newestFirst).slice(0, 30).map((space) => ({
          id: text(space, "id") ?? "",
          url: `https://kinopio.club/${text(space, "url") ?? ""}`,
          title: text(space, "name") ?? "",
          content_text: text(space, "name") ?? "",
          date_published: space["createdAt"] ?? undefined,
          date_modified: space["updatedAt"] ?? undefined
        }))
      }, 200, "application/feed+json"))],
    ["GET", "/space/live-spaces", () =>
      // (choice) "being edited" = changed within the last minute
      Effect.succeed(publicSpaces().filter((space) => time(space) > now() - 60_000).map((space) => views.summary(space, undefined)))],
    ["GET", "/space/multiple", (input) =>
      Effect.gen(function*() {
        const viewerId = yield* viewerOf(input)
        const ids = idList(input.query.get("spaceIds"))
        if (ids.length === 0) return yield* refuse(400, "spaceIds is required")
        if (ids.length > 60) return yield* refuse(400, "at most 60 spaceIds at a time")
        return ids.flatMap((id) => {
          const space = store.spaces.get(id)
          return space === undefined || !canView(store, space, viewerId) ? [] : [views.full(space, viewerId)]
        })
      })],
    ["GET", "/space/by-url/:spaceUrl", (input) =>
      Effect.gen(function*() {
        const viewerId = yield* viewerOf(input)
        const url = input.params["spaceUrl"] ?? ""
        // ids may contain "-": try every suffix after a dash, longest first
        const candidates = [url, ...[...url.matchAll(/-/g)].map((m) => url.slice((m.index ?? 0) + 1))]
        const id = candidates.find((candidate) => store.spaces.has(candidate))
        const space = yield* viewableSpace(id, viewerId)
        return views.full(space, viewerId)
      })],
    ["GET", "/space/:spaceId", (input) =>
      Effect.gen(function*() {
        const viewerId = yield* viewerOf(input)
        const space = yield* viewableSpace(input.params["spaceId"], viewerId)
        return views.full(space, viewerId)
      })],
    ["GET", "/space/:spaceId/removedCards", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const space = yield* editableSpace(input.params["spaceId"], text(user, "id") ?? "")
        return store.childEntities(text(space, "id") ?? "", "cards").filter((card) => card["isRemoved"] === true)
      })],
    ["GET", "/space/:spaceId/feed.json", (input) =>
      Effect.gen(function*() {
        const viewerId = yield* viewerOf(input)
        return spaceFeed(yield* viewableSpace(input.params["spaceId"], viewerId))
      })],
    ["POST", "/space", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const userId = text(user, "id") ?? ""
        const { items, many } = yield* readBatch(input.request)
        for (const [index, item] of items.entries()) yield* checkSpaceBody(item, many, index)
        yield* requireFreshIds(store.spaces, items, many)
        const at = store.iso()
        const results = items.map((item) => {
          const id = text(item, "id") ?? newId()
          const space: Entity = {
            ...omit(item, SPACE_SERVER_FIELDS),
            id,
            url: spaceUrl(text(item, "name") ?? "", id),
            ownerUserId: userId,
            userId,
            privacy: item["privacy"] ?? "private",
            isRemoved: false,
            collaboratorKey: randomUUID(),
            readOnlyKey: randomUUID(),
            boxes: item["boxes"] ?? [],
            lists: item["lists"] ?? [],
            lines: item["lines"] ?? [],
            drawingStrokes: item["drawingStrokes"] ?? [],
            createdAt: at,
            updatedAt: at,
            editedAt: at,
            editedByUserId: userId
          }
          store.put("spaces", space)
          return views.record(space, userId)
        })
        return answer(many, results)
      })],
    ["PATCH", "/space", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const userId = text(user, "id") ?? ""
        const { items, many } = yield* readBatch(input.request)
        for (const [index, item] of items.entries()) yield* checkSpaceBody(item, many, index)
        const spaces = yield* spaceTargets(items, many, userId)
        const at = store.iso()
        const results = spaces.map((space, index) => {
          const patch = omit(items[index] ?? {}, ["id", ...SPACE_SERVER_FIELDS])
          const updated: Entity = { ...space, ...patch, updatedAt: at }
          if ("name" in patch) updated["url"] = spaceUrl(text(patch, "name") ?? "", text(space, "id") ?? "")
          store.put("spaces", updated)
          return views.record(updated, userId)
        })
        return answer(many, results)
      })],
    ["PATCH", "/space/restore", setSpaceRemoved(false)],
    ["DELETE", "/space", setSpaceRemoved(true)],
    ["DELETE", "/space/permanent", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const userId = text(user, "id") ?? ""
        const { items, many } = yield* readBatch(input.request)
        const spaces = yield* spaceTargets(items, many, userId)
        const results = spaces.map((space) => {
          const id = text(space, "id") ?? ""
          const record = views.record(space, userId)
          const children = store.childrenOf(id)
          for (const collection of CHILD_COLLECTIONS) {
            for (const childId of [...children[collection]]) store.remove(collection, childId)
          }
          store.collaborators.delete(id)
          store.remove("spaces", id)
          return record
        })
        return answer(many, results)
      })],
    ["DELETE", "/space/collaborator", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const body = yield* readJson(input.request)
        if (!isObject(body)) return yield* refuse(400, "the body must be an object")
        const spaceId = yield* requireString(body, "spaceId", false, 0)
        const userId = yield* requireString(body, "userId", false, 0)
        yield* editableSpace(spaceId, text(user, "id") ?? "")
        if (!(store.collaborators.get(spaceId)?.delete(userId) ?? false)) return yield* refuse(404, "collaborator not found")
        store.touchSpace(spaceId, undefined, false)
        return { spaceId, userId }
      })],

    // cards
    ["GET", "/card/by-tag-name/:tagName", (input) =>
      Effect.map(requireUser(input), (user) => {
        const name = input.params["tagName"] ?? ""
        const tagged = tagsInSpacesOf(text(user, "id") ?? "").filter((tag) => tag["name"] === name)
        const cardIds = new Set(tagged.map((tag) => text(tag, "cardId") ?? ""))
        return [...cardIds].flatMap((id) => {
          const card = store.cards.get(id)
          return card === undefined || card["isRemoved"] === true ? [] : [card]
        })
      })],
    ["GET", "/card/by-link-to-space/:spaceId", (input) =>
      Effect.map(requireUser(input), (user) => {
        const userId = text(user, "id") ?? ""
        const linked = input.params["spaceId"] ?? ""
        return [...store.cards.values()].flatMap((card) => {
          if (card["linkToSpaceId"] !== linked || card["isRemoved"] === true) return []
          const space = store.spaces.get(text(card, "spaceId") ?? "")
          return space === undefined || space["isRemoved"] === true || !canView(store, space, userId)
            ? []
            : [{ ...card, space: views.summary(space, userId) }]
        })
      })],
    ["GET", "/card/:cardId", childEntity("cards", "card", "cardId")],
    ["POST", "/card", createChildren("cards", (item, many, index) => Effect.asVoid(requireString(item, "name", many, index)))],
    ["PATCH", "/card", updateChildren("cards", "card")],
    ["PATCH", "/card/restore", setCardRemoved(false)],
    ["DELETE", "/card", setCardRemoved(true)],
    ["DELETE", "/card/permanent", deleteChildren("cards", "card")],

    // connections: documented (connectionTypeId) and current (startItemId/endItemId, no type) bodies
    ["GET", "/connection/:connectionId", childEntity("connections", "connection", "connectionId")],
    ["POST", "/connection", createChildren("connections", (item, many, index) =>
      typeof item["connectionTypeId"] === "string" ||
        (typeof item["startItemId"] === "string" && typeof item["endItemId"] === "string")
        ? Effect.void
        : refuse(400, `${where(many, index)}connectionTypeId is required (or startItemId and endItemId)`))],
    ["PATCH", "/connection", updateChildren("connections", "connection")],
    ["DELETE", "/connection", deleteChildren("connections", "connection")],

    // connection types
    ["GET", "/connection-type/:connectionTypeId", childEntity("connectionTypes", "connection type", "connectionTypeId")],
    ["POST", "/connection-type", createChildren("connectionTypes", () => Effect.void)],
    ["PATCH", "/connection-type", updateChildren("connectionTypes", "connection type")],
    ["DELETE", "/connection-type", deleteChildren("connectionTypes", "connection type")],

    // tags
    ["GET", "/tags/by-card/:cardId", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const card = store.cards.get(input.params["cardId"] ?? "")
        if (card === undefined) return yield* refuse(404, "card not found")
        yield* viewableSpace(text(card, "spaceId"), text(user, "id"))
        return store.tagsOfCard(text(card, "id") ?? "")
      })],
    ["GET", "/tags/:tagName", (input) =>
      Effect.map(requireUser(input), (user) =>
        tagsInSpacesOf(text(user, "id") ?? "").filter((tag) => tag["name"] === input.params["tagName"]))],
    ["PATCH", "/tags/color", (input) =>
      Effect.gen(function*() {
        const user = yield* requireUser(input)
        const userId = text(user, "id") ?? ""
        const { items, many } = yield* readBatch(input.request)
        for (const [index, item] of items.entries()) {
          yield* requireString(item, "name", many, index)
          yield* requireString(item, "color", many, index)
        }
        const at = store.iso()
        for (const item of items) {
          for (const tag of tagsInSpacesOf(userId).filter((t) => t["name"] === item["name"])) {
            store.put("tags", { ...tag, color: item["color"], updatedAt: at })
            store.touchSpace(text(tag, "spaceId") ?? "", undefined, false)
          }
        }
        return answer(many, items.map((item) => ({ name: item["name"], color: item["color"] })))
      })],

    // notifications
    ["GET", "/notifications", (input) =>
      Effect.map(requireUser(input), (user) =>
        store.notifications
          .filter((n) => n["recipientUserId"] === user["id"])
          .sort((a, b) => time(b, "createdAt") - time(a, "createdAt"))
          .slice(0, 50)
          .map(views.notification))]
  ]

  const toRoute = (method: string, path: string, handler: Handler) =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const context = yield* HttpRouter.RouteContext
      const key = `${method} ${path}`
      counters.byRoute.set(key, (counters.byRoute.get(key) ?? 0) + 1)
      const url = requestUrl(request)
      const credential = credentialOf(request, url)
      const caller: Caller = { credential, user: credential === undefined ? undefined : store.userByApiKey(credential) }
      return yield* handler({ request, params: context.params, query: url.searchParams, caller }).pipe(
        Effect.map((body) => body instanceof Reply ? jsonResponse(body.body, body.status, body.contentType) : jsonResponse(body)),
        Effect.catchTag("ApiFailure", (failure) => Effect.succeed(jsonResponse({ message: failure.message }, failure.status)))
      )
    })

  const router = routes.reduce(
    (router, [method, path, handler]) => HttpRouter.route(method)(path, toRoute(method, path, handler))(router),
    HttpRouter.empty
  )
  const routed = router.pipe(
    Effect.catchTag("RouteNotFound", () => Effect.succeed(jsonResponse({ message: "not found" }, 404)))
  )

  return Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    counters.requests += 1
    const n = counters.requests
    const url = requestUrl(request)
    if (limited(credentialOf(request, url) ?? "anonymous", now())) {
      counters.rateLimited += 1
      return jsonResponse({ message: "too many requests: wait before trying again" }, 429)
    }
    const fault = options.faults?.({ method: request.method, path: url.pathname, n }) ?? "none"
    if (fault === "error500") return jsonResponse({ message: "internal server error" }, 500)
    if (fault === "error503") return jsonResponse({ message: "service unavailable" }, 503)
    const response = yield* routed
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
