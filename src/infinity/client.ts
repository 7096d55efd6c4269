/**
 * Infinity's API v2, one function per route Ferry calls, over the shared `ApiClient` (budget,
 * retries, auth). Lists follow the cursor envelope to the end as Streams: a page is asked for
 * once (a retry repeats the same cursor, so nothing is lost or doubled), and no page size is
 * assumed, since the service may cap `limit` below what was asked.
 */
import type { HttpClient } from "@effect/platform"
import { HttpClientRequest } from "@effect/platform"
import { Chunk, Context, Duration, Effect, Layer, Option, Redacted, type Schema, Stream } from "effect"
import type { Entity } from "../connector.ts"
import { type ConnectorError, ResponseInvalid } from "../errors.ts"
import { type Checked, checkAgainst, expectEntities, expectEntity } from "../shared/decode.ts"
import { type ApiClient, type BodyInterrupted, makeApiClient, multipartFile, type RetryPolicy } from "../shared/http.ts"
import { type RateLimit, RateBudgets } from "../shared/rate-budget.ts"
import * as S from "./schema.ts"

export const INFINITY_DEFAULT_URL = "https://app.startinfinity.com"
const PREFIX = "/api/v2"
/** Documented: 180 requests per minute. */
export const INFINITY_RATE_PER_SECOND = 3
/** No lockout is documented; without a Retry-After, wait out a whole window. */
const INFINITY_DEFAULT_PAUSE = Duration.seconds(60)
/** What Ferry asks for; the service may send fewer per page. */
const PAGE_SIZE = "100"

export interface InfinityClientConfig {
  readonly baseUrl: string
  readonly token: Redacted.Redacted<string>
  readonly budget: number
  readonly perSecond?: number
  readonly retry?: Partial<RetryPolicy>
}

type Result<A> = Effect.Effect<A, ConnectorError>
/** A list, page by page: each page's entities with what did not match the docs. */
export type Pages = Stream.Stream<Checked<ReadonlyArray<Entity>>, ConnectorError>

export interface InfinityClient {
  readonly api: ApiClient
  readonly profile: Result<Checked<Entity>>
  readonly workspaces: Pages
  readonly users: (workspace: string) => Pages
  readonly boards: (workspace: string) => Pages
  readonly attributes: (workspace: string, board: string) => Pages
  readonly folders: (workspace: string, board: string) => Pages
  readonly views: (workspace: string, board: string) => Pages
  /** Items with their values (and each value's attribute), as `expand[]=values.attribute` gives them. */
  readonly items: (workspace: string, board: string) => Pages
  /** Oldest first (`sort_by=created_at&sort_direction=asc`). */
  readonly comments: (workspace: string, board: string, item: string) => Pages
  readonly references: (workspace: string, board: string) => Pages
  readonly hooks: (workspace: string, board: string) => Pages
  /** The bytes behind an attachment link (links expire two hours after they were listed). */
  readonly download: <A, E, R>(
    link: string,
    consume: (bytes: Stream.Stream<Uint8Array, BodyInterrupted>) => Effect.Effect<A, E | BodyInterrupted, R>
  ) => Effect.Effect<A, E | ConnectorError, R>

  // Writes (restore). `idempotent` creates carry a client-chosen id: sending one twice updates
  // the same entity (multi-action, infinity.md §2), so a retry after an unclear failure is safe.
  // The others (boards, comments, references, hooks, uploads, invites) get their id from the
  // service: they are sent once, and a caller that lost the answer must look before sending again.
  readonly createBoard: (workspace: string, body: Entity) => Result<Entity>
  readonly createFolder: (workspace: string, board: string, body: Entity) => Result<Entity>
  readonly updateFolder: (workspace: string, board: string, folder: string, body: Entity) => Result<Entity>
  readonly createAttribute: (workspace: string, board: string, body: Entity) => Result<Entity>
  readonly updateAttribute: (workspace: string, board: string, attribute: string, body: Entity) => Result<Entity>
  readonly createView: (workspace: string, board: string, body: Entity) => Result<Entity>
  readonly updateView: (workspace: string, board: string, view: string, body: Entity) => Result<Entity>
  readonly createItem: (workspace: string, board: string, body: Entity) => Result<Entity>
  readonly updateItem: (workspace: string, board: string, item: string, body: Entity) => Result<Entity>
  readonly createReference: (workspace: string, board: string, body: Entity) => Result<Entity>
  readonly createComment: (workspace: string, board: string, item: string, body: Entity) => Result<Entity>
  readonly createHook: (workspace: string, board: string, body: Entity) => Result<Entity>
  readonly inviteMember: (workspace: string, body: Entity) => Result<Entity>
  /** `POST /workspaces/{ws}/attachments/file`, multipart field `file`. */
  readonly uploadAttachment: (workspace: string, fileName: string, bytes: Uint8Array, contentType?: string) => Result<Entity>
}

export class Infinity extends Context.Tag("ferry/Infinity")<Infinity, InfinityClient>() {
  static readonly layer = (config: InfinityClientConfig) => Layer.effect(Infinity, makeInfinityClient(config))
}

const authorize = (request: HttpClientRequest.HttpClientRequest, token: string) =>
  HttpClientRequest.setHeader(request, "Authorization", `Bearer ${token}`)

const segment = (id: string) => encodeURIComponent(id)

export const makeInfinityClient = (
  config: InfinityClientConfig
): Effect.Effect<InfinityClient, never, HttpClient.HttpClient | RateBudgets> =>
  Effect.gen(function*() {
    const limit: RateLimit = { perSecond: config.perSecond ?? INFINITY_RATE_PER_SECOND, fraction: config.budget }
    const budget = yield* (yield* RateBudgets).forCredential("infinity", Redacted.value(config.token), limit)
    const api = yield* makeApiClient({
      service: "infinity",
      baseUrl: config.baseUrl,
      credential: config.token,
      authorize,
      budget,
      pauseAfter429: (retryAfter) => Option.getOrElse(retryAfter, () => INFINITY_DEFAULT_PAUSE),
      ...(config.retry === undefined ? {} : { retry: config.retry })
    })
    const at = (route: string) => ({ service: "infinity", route })

    const one = <A, I>(route: string, path: string, schema: Schema.Schema<A, I>): Result<Checked<Entity>> =>
      api.request({ method: "GET", route, path: PREFIX + path }).pipe(
        Effect.flatMap((body) => expectEntity(at(route), body)),
        Effect.map((value) => ({ value, warnings: checkAgainst(schema, value, route) }))
      )

    /** `requireIds`: whether Ferry asks for more by each entity's id (workspaces, boards, items). */
    const list = <A, I>(route: string, path: string, schema: Schema.Schema<A, I>, extra: Record<string, string> = {}, requireIds = false): Pages =>
      Stream.suspend(() => {
        // Every cursor this list has followed: a service that hands one back again would loop forever.
        const seen = new Set<string>()
        return Stream.paginateChunkEffect(Option.none<string>(), (cursor) =>
          api.request({
            method: "GET",
            route,
            path: PREFIX + path,
            query: { limit: PAGE_SIZE, ...extra, ...(Option.isSome(cursor) ? { after: cursor.value } : {}) }
          }).pipe(
            Effect.flatMap((body) => pageOf(route, body, schema, seen, requireIds)),
            Effect.map(({ next, page }) => [Chunk.of(page), next] as const)
          ))
      })

    const pageOf = <A, I>(route: string, body: unknown, schema: Schema.Schema<A, I>, seen: Set<string>, requireIds: boolean) =>
      Effect.gen(function*() {
        if (typeof body !== "object" || body === null || Array.isArray(body)) {
          return yield* new ResponseInvalid({ ...at(route), field: "body", problem: "is not a page object ({has_more, after, data})" })
        }
        const envelope = body as Record<string, unknown>
        const checked = yield* expectEntities(at(route), envelope["data"], schema, "data", { requireIds })
        const more = envelope["has_more"]
        // Tolerant: `true`, "true" and 1 all mean more; anything but a boolean is reported.
        const hasMore = more === true || more === "true" || more === 1 || more === "1"
        const page = typeof more === "boolean"
          ? checked
          : { ...checked, warnings: [...checked.warnings, `${route} has_more is ${JSON.stringify(more) ?? "missing"}, not a boolean; read as ${hasMore}`] }
        if (!hasMore) return { page, next: Option.none<Option.Option<string>>() }
        const after = envelope["after"]
        // A page that says "more" must say where, somewhere not visited yet.
        if (typeof after !== "string" || after === "" || seen.has(after)) {
          return yield* new ResponseInvalid({
            ...at(route),
            field: "after",
            problem: typeof after === "string" && after !== ""
              ? "hands back a cursor already followed while has_more is true (the list would never end)"
              : "is missing while has_more is true"
          })
        }
        seen.add(after)
        return { page, next: Option.some(Option.some(after)) }
      })

    const ws = (workspace: string) => `/workspaces/${segment(workspace)}`
    const board = (workspace: string, b: string) => `${ws(workspace)}/boards/${segment(b)}`

    /** One write; the answer must be an entity with an id. */
    const write = (method: "POST" | "PUT", route: string, path: string, body: unknown, idempotent: boolean): Result<Entity> =>
      api.request({ method, route, path: PREFIX + path, body, idempotent }).pipe(Effect.flatMap((answer) => expectEntity(at(route), answer)))

    return {
      api,
      profile: one("GET /profile", "/profile", S.User),
      workspaces: list("GET /workspaces", "/workspaces", S.Workspace, {}, true),
      users: (w) => list("GET /workspaces/{ws}/users", `${ws(w)}/users`, S.User),
      boards: (w) => list("GET /workspaces/{ws}/boards", `${ws(w)}/boards`, S.Board, {}, true),
      attributes: (w, b) => list("GET …/boards/{board}/attributes", `${board(w, b)}/attributes`, S.Attribute),
      folders: (w, b) => list("GET …/boards/{board}/folders", `${board(w, b)}/folders`, S.Folder),
      views: (w, b) => list("GET …/boards/{board}/views", `${board(w, b)}/views`, S.View),
      items: (w, b) =>
        list("GET …/boards/{board}/items", `${board(w, b)}/items`, S.Item, { "expand[]": "values.attribute" }, true),
      // Oldest first, asked for: the default order of a list is not documented (the list query's
      // sort_by documents created_at, sort_direction asc | desc).
      comments: (w, b, item) =>
        list("GET …/items/{item}/comments", `${board(w, b)}/items/${segment(item)}/comments`, S.Comment, {
          sort_by: "created_at",
          sort_direction: "asc"
        }),
      references: (w, b) => list("GET …/boards/{board}/references", `${board(w, b)}/references`, S.Reference),
      hooks: (w, b) => list("GET …/boards/{board}/hooks", `${board(w, b)}/hooks`, S.Hook),
      download: (link, consume) => api.download({ route: "GET attachment link", url: link }, consume),
      createBoard: (w, body) => write("POST", "POST /workspaces/{ws}/boards", `${ws(w)}/boards`, body, false),
      createFolder: (w, b, body) => write("POST", "POST …/boards/{board}/folders", `${board(w, b)}/folders`, body, true),
      updateFolder: (w, b, f, body) => write("PUT", "PUT …/folders/{folder}", `${board(w, b)}/folders/${segment(f)}`, body, true),
      createAttribute: (w, b, body) => write("POST", "POST …/boards/{board}/attributes", `${board(w, b)}/attributes`, body, true),
      updateAttribute: (w, b, a, body) =>
        write("PUT", "PUT …/attributes/{attribute}", `${board(w, b)}/attributes/${segment(a)}`, body, true),
      createView: (w, b, body) => write("POST", "POST …/boards/{board}/views", `${board(w, b)}/views`, body, true),
      updateView: (w, b, v, body) => write("PUT", "PUT …/views/{view}", `${board(w, b)}/views/${segment(v)}`, body, true),
      createItem: (w, b, body) => write("POST", "POST …/boards/{board}/items", `${board(w, b)}/items`, body, true),
      updateItem: (w, b, i, body) => write("PUT", "PUT …/items/{item}", `${board(w, b)}/items/${segment(i)}`, body, true),
      createReference: (w, b, body) => write("POST", "POST …/boards/{board}/references", `${board(w, b)}/references`, body, false),
      createComment: (w, b, i, body) =>
        write("POST", "POST …/items/{item}/comments", `${board(w, b)}/items/${segment(i)}/comments`, body, false),
      createHook: (w, b, body) => write("POST", "POST …/boards/{board}/hooks", `${board(w, b)}/hooks`, body, false),
      inviteMember: (w, body) => write("POST", "POST /workspaces/{ws}/members/invite", `${ws(w)}/members/invite`, body, false),
      uploadAttachment: (w, fileName, bytes, contentType) =>
        write("POST", "POST /workspaces/{ws}/attachments/file", `${ws(w)}/attachments/file`, multipartFile("file", fileName, bytes, contentType ?? ""), false)
    }
  })
