/**
 * Kinopio as a backup source. Requests are the cost people pay, so it uses the routes that
 * return the most per call: `/space/multiple` brings up to 60 full spaces (cards, connections,
 * types, tags) at once; only removed cards need one request per space, since
 * `/space/:id/removedCards` is their only complete source.
 */
import { Chunk, Effect, Layer, Option, Stream } from "effect"
import { safeFileName } from "../archive/safe-name.ts"
import { type BackupOptions, type BackupPart, BackupSource, type Entity, type Source } from "../connector.ts"
import type { ConnectorError } from "../errors.ts"
import type { Checked } from "../shared/decode.ts"
import { Kinopio, type KinopioClient, SPACES_PER_REQUEST } from "./client.ts"
import { renderSpace } from "./markdown.ts"
import { spaceChildren } from "./schema.ts"

export const KINOPIO_COLLECTIONS = [
  "user",
  "spaces",
  "removedSpaces",
  "cards",
  "removedCards",
  "connections",
  "connectionTypes",
  "tags",
  "favorites",
  "notifications"
] as const

/** Removed-card fetches in flight: enough to hide network latency; the budget sets the pace. */
const REMOVED_CARDS_CONCURRENCY = 4

const entities = (collection: string, list: ReadonlyArray<Entity>): BackupPart =>
  ({ _tag: "Entities", collection, entities: list })
const warnings = (checked: Checked<unknown>): ReadonlyArray<BackupPart> =>
  checked.warnings.map((message) => ({ _tag: "Warning", message }))

/** A full space split as the contract says: children to their own files, each keeping its spaceId. */
export const splitSpace = (space: Entity): { readonly record: Entity; readonly children: Record<string, ReadonlyArray<Entity>>; readonly warnings: ReadonlyArray<string> } => {
  const record: Record<string, unknown> = {}
  const children: Record<string, Array<Entity>> = {}
  const problems: Array<string> = []
  const spaceId = space["id"]
  for (const [key, value] of Object.entries(space)) {
    const collection = (spaceChildren as Record<string, string>)[key]
    if (collection === undefined) {
      record[key] = value
      continue
    }
    if (value === null || value === undefined) continue
    if (!Array.isArray(value) || !value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
      // Not a list of entities: nothing can be moved out safely, so it stays where it was.
      record[key] = value
      problems.push(`space ${String(spaceId)}: ${key} is not a list of objects; kept inside the space record`)
      continue
    }
    children[collection] = (value as ReadonlyArray<Entity>).map((child) =>
      child["spaceId"] === undefined ? { ...child, spaceId } : child
    )
  }
  return { record, children, warnings: problems }
}

const fetchSpaces = (client: KinopioClient, ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const fetched = yield* client.spaces(ids)
    const byId = new Map(fetched.value.map((s) => [s["id"] as string, s]))
    const parts: Array<BackupPart> = [...warnings(fetched)]
    // An implementation may leave some out (a removed space, say): ask for those one by one.
    const spaces: Array<Entity> = []
    for (const id of ids) {
      const found = byId.get(id)
      if (found !== undefined) {
        spaces.push(found)
        continue
      }
      const single = yield* client.space(id).pipe(
        Effect.map(Option.some),
        Effect.catchTag("ServiceError", (e) =>
          e.reason === "NotFound" || e.reason === "Forbidden"
            ? Effect.as(Effect.sync(() => parts.push({ _tag: "Warning", message: `space ${id} is listed but could not be read (${e.reason}); skipped` })), Option.none())
            : Effect.fail(e))
      )
      if (Option.isSome(single)) {
        parts.push(...warnings(single.value))
        spaces.push(single.value.value)
      }
    }
    return { spaces, parts }
  })

const removedCardsOf = (client: KinopioClient, spaceId: string): Effect.Effect<ReadonlyArray<BackupPart>, ConnectorError> =>
  client.removedCards(spaceId).pipe(
    Effect.map((checked): ReadonlyArray<BackupPart> => [
      ...warnings(checked),
      entities("removedCards", checked.value.map((c) => (c["spaceId"] === undefined ? { ...c, spaceId } : c)))
    ]),
    // Only editors may list removed cards: a space the account can only view has none to keep.
    Effect.catchTag("ServiceError", (e) =>
      e.reason === "Forbidden" || e.reason === "NotFound"
        ? Effect.succeed([{ _tag: "Warning", message: `removed cards of space ${spaceId} are not readable by this account (${e.reason}); none kept` }] as const)
        : Effect.fail(e))
  )

/**
 * Favorites come as one object of lists (users, spaces, colours...): one line per favorite,
 * `favoriteList` naming the list it came from; a favorite that is not an object (a colour)
 * is kept as `value`.
 */
export const favoritesOf = (body: unknown): ReadonlyArray<Entity> => {
  const line = (value: unknown, list?: string): Entity => {
    const context = list === undefined ? {} : { favoriteList: list }
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? { ...(value as Entity), ...context }
      : { ...context, value }
  }
  if (Array.isArray(body)) return body.map((v) => line(v))
  if (typeof body !== "object" || body === null) return []
  // The other top-level fields are the user's own, already in data/user.jsonl.
  return Object.entries(body as Entity).flatMap(([key, value]) => (Array.isArray(value) ? value.map((v) => line(v, key)) : []))
}

export const backupKinopio = (client: KinopioClient, options: BackupOptions): Stream.Stream<BackupPart, ConnectorError> =>
  Stream.unwrap(Effect.gen(function*() {
    const user = yield* client.user
    const listed = yield* client.userSpaces
    const removed = yield* client.removedSpaces
    const only = new Set(options.only)
    const keep = (e: Entity) => only.size === 0 || only.has(e["id"] as string)
    const removedIds = new Set(removed.value.map((s) => s["id"] as string))
    const ids = [...new Set([
      ...listed.value.filter(keep).map((s) => s["id"] as string),
      ...removed.value.filter(keep).map((s) => s["id"] as string),
      // A space named with --space that the account can view without owning it.
      ...options.only
    ])]
    const total = ids.length
    let done = 0

    const head: ReadonlyArray<BackupPart> = [
      { _tag: "Account", id: user.value["id"] as string },
      ...warnings(user),
      ...warnings(listed),
      ...warnings(removed),
      entities("user", [user.value]),
      { _tag: "Progress", unit: "spaces", done: 0, total }
    ]

    const batches = Stream.fromIterable(chunksOf(ids, SPACES_PER_REQUEST)).pipe(
      Stream.mapEffect((batch) => fetchSpaces(client, batch)),
      Stream.flatMap(({ parts, spaces }) =>
        Stream.concat(
          Stream.fromIterable(parts),
          Stream.fromIterable(spaces).pipe(
            Stream.mapEffect((space) =>
              removedCardsOf(client, space["id"] as string).pipe(Effect.map((removedCards) => {
                const { children, record, warnings: problems } = splitSpace(space)
                const id = space["id"] as string
                const parts: Array<BackupPart> = [
                  ...problems.map((message): BackupPart => ({ _tag: "Warning", message })),
                  entities(removedIds.has(id) ? "removedSpaces" : "spaces", [record]),
                  ...Object.entries(children).map(([collection, list]) => entities(collection, list)),
                  ...removedCards,
                  {
                    _tag: "Document",
                    path: `markdown/${safeFileName(String(space["name"] ?? ""), id, "md")}`,
                    content: renderSpace({
                      space,
                      cards: children["cards"] ?? [],
                      connections: children["connections"] ?? [],
                      connectionTypes: children["connectionTypes"] ?? []
                    })
                  },
                  { _tag: "Progress", unit: "spaces", done: ++done, total }
                ]
                return parts
              })), { concurrency: REMOVED_CARDS_CONCURRENCY }),
            Stream.flattenIterables
          )
        )
      )
    )

    const tail = Stream.fromIterableEffect(Effect.gen(function*() {
      const favorites = favoritesOf(yield* client.favorites)
      const notifications = yield* client.notifications
      return [...warnings(notifications), entities("favorites", favorites), entities("notifications", notifications.value)]
    }))

    return Stream.concat(Stream.concat(Stream.fromIterable(head), batches), tail)
  }))

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> =>
  Chunk.toReadonlyArray(Chunk.chunksOf(Chunk.fromIterable(items), size)).map(Chunk.toReadonlyArray)

export const kinopioSource = (client: KinopioClient): Source => ({
  service: "kinopio",
  apiUrl: client.api.baseUrl,
  collections: KINOPIO_COLLECTIONS,
  backup: (options) => backupKinopio(client, options)
})

/** Kinopio as the run's backup source. */
export const KinopioSourceLive = Layer.effect(BackupSource, Effect.map(Kinopio, kinopioSource))
