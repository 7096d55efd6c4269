/**
 * Kinopio's API, one function per route Ferry calls, over the shared `ApiClient` (budget,
 * retries, auth). Responses come back as received, checked against the documented schemas.
 */
import type { HttpClient } from "@effect/platform"
import { HttpClientRequest } from "@effect/platform"
import { Context, Duration, Effect, Layer, Option, Redacted, type Schema } from "effect"
import type { Entity } from "../connector.ts"
import type { ConnectorError } from "../errors.ts"
import { type Checked, checkAgainst, expectEntities, expectEntity } from "../shared/decode.ts"
import { type ApiClient, makeApiClient, type RetryPolicy } from "../shared/http.ts"
import { type RateLimit, RateBudgets } from "../shared/rate-budget.ts"
import * as S from "./schema.ts"

export const KINOPIO_DEFAULT_URL = "https://api.kinopio.club"
/** Documented: 5 requests per second, and a 30 s wait after a 429. */
export const KINOPIO_RATE_PER_SECOND = 5
export const KINOPIO_COOLDOWN = Duration.seconds(30)
/** Documented: `/space/multiple` takes up to 60 ids. */
export const SPACES_PER_REQUEST = 60

export interface KinopioClientConfig {
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted<string>
  /** Fraction of the documented limit (`--budget`). */
  readonly budget: number
  /** Only for a sandbox whose limit was raised (benchmarks); real Kinopio is 5. */
  readonly perSecond?: number
  readonly retry?: Partial<RetryPolicy>
}

type Result<A> = Effect.Effect<A, ConnectorError>

export interface KinopioClient {
  readonly api: ApiClient
  readonly user: Result<Checked<Entity>>
  readonly userSpaces: Result<Checked<ReadonlyArray<Entity>>>
  readonly removedSpaces: Result<Checked<ReadonlyArray<Entity>>>
  /** Full records, with their child collections; at most SPACES_PER_REQUEST ids. */
  readonly spaces: (ids: ReadonlyArray<string>) => Result<Checked<ReadonlyArray<Entity>>>
  readonly space: (id: string) => Result<Checked<Entity>>
  readonly removedCards: (spaceId: string) => Result<Checked<ReadonlyArray<Entity>>>
  readonly favorites: Result<unknown>
  readonly notifications: Result<Checked<ReadonlyArray<Entity>>>
  /**
   * Creates entities with the ids they carry (`POST /space`, `/connection-type`, `/card`,
   * `/connection`, each taking an array). Kinopio refuses a batch holding an existing id with
   * 409 and writes nothing, so sending a batch again after an unclear failure is harmless.
   */
  readonly create: (kind: WritableKind, entities: ReadonlyArray<Entity>) => Result<unknown>
  /** Soft-removes one space or card (`DELETE /space`, `DELETE /card`, each with `{id}`). */
  readonly remove: (kind: "space" | "card", id: string) => Result<unknown>
}

export type WritableKind = "space" | "connection-type" | "card" | "connection"

export class Kinopio extends Context.Tag("ferry/Kinopio")<Kinopio, KinopioClient>() {
  static readonly layer = (config: KinopioClientConfig) => Layer.effect(Kinopio, makeKinopioClient(config))
}

// Kinopio takes the raw apiKey as the whole header value; "Bearer <key>" is refused.
const authorize = (request: HttpClientRequest.HttpClientRequest, apiKey: string) =>
  HttpClientRequest.setHeader(request, "Authorization", apiKey)

export const makeKinopioClient = (
  config: KinopioClientConfig
): Effect.Effect<KinopioClient, never, HttpClient.HttpClient | RateBudgets> =>
  Effect.gen(function*() {
    const limit: RateLimit = { perSecond: config.perSecond ?? KINOPIO_RATE_PER_SECOND, fraction: config.budget }
    const budget = yield* (yield* RateBudgets).forCredential("kinopio", Redacted.value(config.apiKey), limit)
    const api = yield* makeApiClient({
      service: "kinopio",
      baseUrl: config.baseUrl,
      credential: config.apiKey,
      authorize,
      budget,
      // Documented: a 429 locks the key out for 30 s; a longer Retry-After wins.
      pauseAfter429: (retryAfter) => Option.match(retryAfter, { onNone: () => KINOPIO_COOLDOWN, onSome: (d) => Duration.max(d, KINOPIO_COOLDOWN) }),
      ...(config.retry === undefined ? {} : { retry: config.retry })
    })
    const at = (route: string) => ({ service: "kinopio", route })
    const get = (route: string, path: string, query?: Record<string, string>) =>
      api.request({ method: "GET", route, path, ...(query === undefined ? {} : { query }) })

    const one = <A, I>(route: string, path: string, schema: Schema.Schema<A, I>): Result<Checked<Entity>> =>
      get(route, path).pipe(
        Effect.flatMap((body) => expectEntity(at(route), body)),
        Effect.map((value) => ({ value, warnings: checkAgainst(schema, value, route) }))
      )
    const many = <A, I>(route: string, path: string, schema: Schema.Schema<A, I>, query?: Record<string, string>, requireIds = true) =>
      get(route, path, query).pipe(Effect.flatMap((body) => expectEntities(at(route), body, schema, "body", { requireIds })))

    return {
      api,
      user: one("GET /user", "/user", S.User),
      userSpaces: many("GET /user/spaces", "/user/spaces", S.Space),
      removedSpaces: many("GET /user/removed-spaces", "/user/removed-spaces", S.Space),
      spaces: (ids) =>
        many("GET /space/multiple", "/space/multiple", S.Space, { spaceIds: ids.join(",") }),
      space: (id) => one("GET /space/:spaceId", `/space/${encodeURIComponent(id)}`, S.Space),
      removedCards: (spaceId) =>
        many("GET /space/:spaceId/removedCards", `/space/${encodeURIComponent(spaceId)}/removedCards`, S.Card, undefined, false),
      // Its shape is not documented ("user and space favorites"): taken as it comes.
      favorites: get("GET /user/favorites", "/user/favorites"),
      notifications: many("GET /notifications", "/notifications", S.Notification, undefined, false),
      create: (kind, entities) =>
        api.request({ method: "POST", route: `POST /${kind}`, path: `/${kind}`, body: entities, idempotent: true }),
      // Removing twice leaves it removed: safe to repeat.
      remove: (kind, id) => api.request({ method: "DELETE", route: `DELETE /${kind}`, path: `/${kind}`, body: { id }, idempotent: true })
    }
  })
