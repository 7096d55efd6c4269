/**
 * Kinopio as a backup source. Requests are the cost people pay, so it uses the routes that
 * return the most per call: `/space/multiple` brings up to 60 full spaces (cards, connections,
 * types, tags) at once; only removed cards need one request per space, since
 * `/space/:id/removedCards` is their only complete source.
 */
import { Effect, Layer, Option, Stream } from "effect"
import { COLLECTIONS } from "../archive/collections.ts"
import { safeFileName } from "../archive/safe-name.ts"
import { type BackupOptions, type BackupPart, BackupSource, type Entity, type Source } from "../connector.ts"
import type { IndexedArchive, IndexSpec } from "../archive/indexed.ts"
import type { ArchiveCorrupt, ConnectorError } from "../errors.ts"
import type { Checked } from "../shared/decode.ts"
import { Kinopio, type KinopioClient, SPACES_PER_REQUEST } from "./client.ts"
import { renderSpace } from "./markdown.ts"
import { spaceChildren } from "./schema.ts"
import { isEntity } from "../shared/entity.ts"

export const KINOPIO_COLLECTIONS = COLLECTIONS.kinopio

/** Removed-card fetches in flight: enough to hide network latency; the budget sets the pace. */
const REMOVED_CARDS_CONCURRENCY = 4

const entities = (collection: string, list: ReadonlyArray<Entity>): BackupPart =>
  ({ _tag: "Entities", collection, entities: list })
const warnings = (checked: Checked<unknown>): ReadonlyArray<BackupPart> =>
  checked.warnings.map((message) => ({ _tag: "Warning", message }))


export interface SplitSpace {
  /** The space's own record: everything but the child collections that have their own files. */
  readonly record: Entity
  /** cards (live ones), connections, connectionTypes, tags; each child keeps (or is given) its spaceId. */
  readonly children: Readonly<Record<string, ReadonlyArray<Entity>>>
  /** Soft-removed cards the space carried inline (in `cards` with isRemoved, or in `removedCards`). */
  readonly inlineRemoved: ReadonlyArray<Entity>
  readonly warnings: ReadonlyArray<string>
}

/** A full space split as the contract says: child collections leave the record for their own files. */
export const splitSpace = (space: Entity): SplitSpace => {
  const record: Record<string, unknown> = {}
  const children: Record<string, Array<Entity>> = {}
  const inlineRemoved: Array<Entity> = []
  const problems: Array<string> = []
  const spaceId = space["id"]
  const own = (child: Entity) => (child["spaceId"] === undefined ? { ...child, spaceId } : child)
  for (const [key, value] of Object.entries(space)) {
    const collection = key === "removedCards" ? "removedCards" : (spaceChildren as Record<string, string>)[key]
    if (collection === undefined) {
      record[key] = value
      continue
    }
    if (value === null || value === undefined) continue
    if (!Array.isArray(value) || !value.every(isEntity)) {
      // Not a list of entities: nothing can be moved out safely, so it stays where it was.
      record[key] = value
      problems.push(`space ${String(spaceId)}: ${key} is not a list of objects; kept inside the space record`)
      continue
    }
    for (const child of value) {
      if (collection === "removedCards" || (collection === "cards" && child["isRemoved"] === true)) inlineRemoved.push(own(child))
      else (children[collection] ??= []).push(own(child))
    }
  }
  return { record, children, inlineRemoved, warnings: problems }
}

/**
 * The space's removed cards: the route's list is the complete source and wins; a card seen only
 * inline is kept too. None when the account may not list them (only editors may).
 */
const removedCardsOf = (client: KinopioClient, spaceId: string, inline: ReadonlyArray<Entity>): Effect.Effect<ReadonlyArray<BackupPart>, ConnectorError> =>
  client.removedCards(spaceId).pipe(
    Effect.map((checked): ReadonlyArray<BackupPart> => {
      const listed = checked.value.map((c) => (c["spaceId"] === undefined ? { ...c, spaceId } : c))
      const ids = new Set(listed.map((c) => c["id"]))
      return [...warnings(checked), entities("removedCards", [...listed, ...inline.filter((c) => !ids.has(c["id"]))])]
    }),
    Effect.catchTag("ServiceError", (e) =>
      e.reason === "Forbidden" || e.reason === "NotFound"
        ? Effect.succeed<ReadonlyArray<BackupPart>>([
          { _tag: "Warning", message: `removed cards of space ${spaceId} are not readable by this account (${e.reason}); only those sent inline are kept` },
          entities("removedCards", inline)
        ])
        : Effect.fail(e))
  )

/** A space as fetched in full, or, when the full record could not be read, its summary from the listing. */
type Fetched = { readonly _tag: "Full"; readonly space: Entity } | { readonly _tag: "Summary"; readonly space: Entity; readonly why: string }

const fetchSpaces = (client: KinopioClient, ids: ReadonlyArray<string>, summaries: ReadonlyMap<string, Entity>) =>
  Effect.gen(function*() {
    const fetched = yield* client.spaces(ids)
    const byId = new Map(fetched.value.map((s) => [String(s["id"]), s]))
    const parts: Array<BackupPart> = [...warnings(fetched)]
    const spaces: Array<Fetched> = []
    for (const id of ids) {
      const found = byId.get(id)
      if (found !== undefined) {
        spaces.push({ _tag: "Full", space: found })
        continue
      }
      // An implementation may leave some out of /space/multiple (a removed space, say): ask for it alone.
      const single = yield* client.space(id).pipe(
        Effect.map((checked) => {
          parts.push(...warnings(checked))
          return Option.some(checked.value)
        }),
        Effect.catchTag("ServiceError", (e) =>
          e.reason === "NotFound" || e.reason === "Forbidden" ? Effect.succeed(Option.none<Entity>()) : Effect.fail(e))
      )
      const summary = summaries.get(id)
      if (Option.isSome(single)) spaces.push({ _tag: "Full", space: single.value })
      else if (summary !== undefined) spaces.push({ _tag: "Summary", space: summary, why: "its full record could not be read" })
      else parts.push({ _tag: "Warning", message: `space ${id} could not be read by this account; skipped` })
    }
    return { spaces, parts }
  })

/** A space's parts, from its record and children: the same whether fetched now or carried over. */
const partsOf = (
  record: Entity,
  collection: "spaces" | "removedSpaces",
  children: Readonly<Record<string, ReadonlyArray<Entity>>>
): ReadonlyArray<BackupPart> => [
  entities(collection, [record]),
  ...Object.entries(children).filter(([, list]) => list.length > 0).map(([name, list]) => entities(name, list)),
  {
    _tag: "Document",
    path: `markdown/${safeFileName(String(record["name"] ?? ""), String(record["id"]), "md")}`,
    content: renderSpace({
      space: record,
      cards: children["cards"] ?? [],
      connections: children["connections"] ?? [],
      connectionTypes: children["connectionTypes"] ?? []
    })
  }
]

/**
 * Whether a later incremental backup could copy this space whole: it was read in full, and every
 * line it brought is filed under its id (a copy finds a space's lines by `spaceId`).
 */
const copyable = (fetched: Fetched, id: string, lines: ReadonlyArray<ReadonlyArray<Entity>>) =>
  fetched._tag === "Full" && lines.every((list) => list.every((line) => String(line["spaceId"]) === id))

const spaceParts = (client: KinopioClient, fetched: Fetched, removedIds: ReadonlySet<string>) => {
  const { children, inlineRemoved, record, warnings: problems } = splitSpace(fetched.space)
  const id = String(fetched.space["id"])
  const removedCards = fetched._tag === "Full" ? removedCardsOf(client, id, inlineRemoved) : Effect.succeed([])
  return Effect.map(removedCards, (removed): ReadonlyArray<BackupPart> => [
    ...problems.map((message): BackupPart => ({ _tag: "Warning", message })),
    ...(fetched._tag === "Summary"
      ? [{ _tag: "Warning", message: `space ${id}: ${fetched.why}; its listing summary is kept, without cards` } as const]
      : []),
    ...partsOf(record, removedIds.has(id) ? "removedSpaces" : "spaces", children),
    ...removed,
    ...(copyable(fetched, id, [
        ...Object.values(children),
        ...removed.flatMap((part) => (part._tag === "Entities" ? [part.entities] : []))
      ])
      ? []
      : [{ _tag: "FetchAgain", kind: "spaces", id } as const])
  ])
}

/** The data files a space's lines go to, besides its own record. */
const SPACE_CHILD_FILES = ["cards", "connections", "connectionTypes", "tags", "removedCards"] as const

/**
 * Kinopio's data files by space (space records by id, their children by spaceId): what an
 * incremental backup copies a space from, and what `export` reads one space at a time.
 */
export const KINOPIO_BY_SPACE: IndexSpec = {
  index: {
    spaces: "id",
    removedSpaces: "id",
    ...Object.fromEntries(SPACE_CHILD_FILES.map((c) => [c, "spaceId"]))
  }
}

/**
 * Whether the previous archive's copy of a space still holds: the listing's `updatedAt` (which
 * moves with any change inside the space, kinopio-in-practice.md) is known and equal, and so is
 * `editedAt` when listed. Anything unknown means fetch.
 */
export const unchangedSince = (listed: Entity | undefined, previous: Entity | undefined): boolean => {
  if (listed === undefined || previous === undefined) return false
  const updated = listed["updatedAt"]
  if (typeof updated !== "string" || updated === "" || previous["updatedAt"] !== updated) return false
  return listed["editedAt"] === undefined || listed["editedAt"] === previous["editedAt"]
}

/** A space copied from the previous archive, in the order a fetch would have written it. */
const carriedParts = (previous: IndexedArchive, id: string, collection: "spaces" | "removedSpaces", record: Entity) =>
  Effect.gen(function*() {
    const children: Record<string, ReadonlyArray<Entity>> = {}
    for (const name of SPACE_CHILD_FILES) children[name] = yield* previous.lines(name, id)
    const { removedCards = [], ...live } = children
    const lines = Object.fromEntries([[collection, 1], ...Object.entries(children).map(([name, list]) => [name, list.length])])
    return [
      ...partsOf(record, collection, live),
      entities("removedCards", removedCards),
      { _tag: "Carried", kind: "spaces", id, lines } as const
    ] satisfies ReadonlyArray<BackupPart>
  })

/**
 * Favorites come as one object of lists (users, spaces, colours...): one line per favorite,
 * `favoriteList` naming the list it came from; a favorite that is not an object (a colour) is
 * kept as `value`. The response's other fields (the user's own) make one line of their own,
 * `favoriteList: "user"`, so nothing the service sent is dropped.
 */
export const favoritesOf = (body: unknown): ReadonlyArray<Entity> => {
  const line = (value: unknown, list?: string): Entity => {
    const context = list === undefined ? {} : { favoriteList: list }
    return isEntity(value) ? { ...value, ...context } : { ...context, value }
  }
  if (Array.isArray(body)) return body.map((v) => line(v))
  if (!isEntity(body)) return body === null || body === undefined ? [] : [line(body)]
  const lists = Object.entries(body).filter(([, value]) => Array.isArray(value)) as Array<[string, Array<unknown>]>
  const rest = Object.fromEntries(Object.entries(body).filter(([, value]) => !Array.isArray(value)))
  return [
    ...lists.flatMap(([key, values]) => values.map((v) => line(v, key))),
    ...(Object.keys(rest).length === 0 ? [] : [{ favoriteList: "user", ...rest }])
  ]
}

type Step = { readonly _tag: "Carry"; readonly id: string; readonly record: Entity } | { readonly _tag: "Fetched"; readonly fetched: Fetched }

/** One step of the space walk: the spaces to fetch together, then every space of the window in order. */
export interface Window {
  readonly fetch: ReadonlyArray<string>
  readonly spaces: ReadonlyArray<{ readonly id: string; readonly carry?: Entity }>
}

/**
 * Spaces in listing order, cut into windows that each hold at most one `/space/multiple` worth
 * of spaces to fetch; carried spaces ride along in their place, so an incremental archive's
 * lines come in the same order as a full one's, while the fetches stay batched.
 */
export const windowsOf = (ids: ReadonlyArray<string>, carry: ReadonlyMap<string, Entity>): ReadonlyArray<Window> => {
  const windows: Array<Window> = []
  let fetch: Array<string> = []
  let spaces: Array<{ id: string; carry?: Entity }> = []
  for (const id of ids) {
    const record = carry.get(id)
    if (record === undefined && fetch.length === SPACES_PER_REQUEST) {
      windows.push({ fetch, spaces })
      fetch = []
      spaces = []
    }
    if (record === undefined) fetch.push(id)
    spaces.push(record === undefined ? { id } : { id, carry: record })
  }
  if (spaces.length > 0) windows.push({ fetch, spaces })
  return windows
}

export const backupKinopio = (
  client: KinopioClient,
  user: Effect.Effect<Checked<Entity>, ConnectorError>,
  options: BackupOptions
): Stream.Stream<BackupPart, ConnectorError | ArchiveCorrupt> =>
  Stream.unwrap(Effect.gen(function*() {
    const me = yield* user
    const listed = yield* client.userSpaces
    const removed = yield* client.removedSpaces
    const only = new Set(options.only)
    const keep = (e: Entity) => only.size === 0 || only.has(String(e["id"]))
    const removedIds = new Set(removed.value.map((s) => String(s["id"])))
    const summaries = new Map([...listed.value, ...removed.value].map((s) => [String(s["id"]), s]))
    const ids = [...new Set([
      ...listed.value.filter(keep).map((s) => String(s["id"])),
      ...removed.value.filter(keep).map((s) => String(s["id"])),
      // A space named with --space that the account can view without owning it.
      ...options.only
    ])]
    const total = ids.length
    const collectionOf = (id: string) => (removedIds.has(id) ? "removedSpaces" : "spaces")

    // The previous archive's record of each space unchanged since, in the collection it is listed in now.
    const carry = new Map<string, Entity>()
    const previous = options.previous
    // An archive written before `fetchAgain` existed cannot say what it holds only in part: nothing
    // is copied from it, this once.
    const predates = previous !== undefined && previous.manifest.fetchAgain === undefined
    if (previous !== undefined && !predates) {
      // What the previous archive holds only in part is fetched, however unchanged it looks.
      const fetchAgain = new Set(previous.manifest.fetchAgain?.["spaces"] ?? [])
      for (const id of ids) {
        if (fetchAgain.has(id)) continue
        const [record] = yield* previous.lines(collectionOf(id), id)
        if (unchangedSince(summaries.get(id), record)) carry.set(id, record!)
      }
    }

    const head: ReadonlyArray<BackupPart> = [
      ...(predates
        ? [{ _tag: "Warning", message: `previous archive ${previous.name} does not say which spaces it holds only in part; fetching everything this once` } as const]
        : []),
      ...warnings(me),
      ...warnings(listed),
      ...warnings(removed),
      entities("user", [me.value]),
      { _tag: "Progress", unit: "spaces", done: 0, total }
    ]

    const perSpace = Stream.fromIterable(windowsOf(ids, carry)).pipe(
      Stream.mapEffect((window) =>
        Effect.map(
          window.fetch.length === 0 ? Effect.succeed({ spaces: [], parts: [] }) : fetchSpaces(client, window.fetch, summaries),
          ({ parts, spaces }) => {
            const fetched = new Map(spaces.map((f) => [String(f.space["id"]), f]))
            // A space the fetch could not read at all was reported by fetchSpaces and is skipped here.
            const inOrder = window.spaces.flatMap(({ carry, id }): ReadonlyArray<Step> => {
              const f = fetched.get(id)
              return carry !== undefined ? [{ _tag: "Carry", id, record: carry }] : f !== undefined ? [{ _tag: "Fetched", fetched: f }] : []
            })
            return { parts, spaces: inOrder }
          }
        )),
      Stream.flatMap(({ parts, spaces }) =>
        Stream.make({ parts, isSpace: false }).pipe(Stream.concat(
          Stream.fromIterable(spaces).pipe(
            Stream.mapEffect(
              (step: Step): Effect.Effect<{ parts: ReadonlyArray<BackupPart>; isSpace: boolean }, ConnectorError | ArchiveCorrupt> =>
                Effect.map<ReadonlyArray<BackupPart>, ConnectorError | ArchiveCorrupt, never, { parts: ReadonlyArray<BackupPart>; isSpace: boolean }>(
                  step._tag === "Carry" && previous !== undefined
                    ? carriedParts(previous, step.id, collectionOf(step.id), step.record)
                    : step._tag === "Fetched"
                    ? spaceParts(client, step.fetched, removedIds)
                    : Effect.succeed([]),
                  (parts) => ({ parts, isSpace: true })
                ),
              { concurrency: REMOVED_CARDS_CONCURRENCY }
            )
          )
        ))
      ),
      // Counted after the concurrent step, which keeps order: progress only goes forward.
      Stream.mapAccum(0, (done, { isSpace, parts }): readonly [number, ReadonlyArray<BackupPart>] =>
        isSpace ? [done + 1, [...parts, { _tag: "Progress", unit: "spaces", done: done + 1, total }]] : [done, parts]),
      Stream.flattenIterables
    )

    const tail = Stream.fromIterableEffect(Effect.gen(function*() {
      const favorites = favoritesOf(yield* client.favorites)
      const notifications = yield* client.notifications
      return [...warnings(notifications), entities("favorites", favorites), entities("notifications", notifications.value)]
    }))

    return Stream.fromIterable(head).pipe(Stream.concat(perSpace), Stream.concat(tail))
  }))

export const kinopioSource = (client: KinopioClient): Effect.Effect<Source> =>
  Effect.map(Effect.cached(client.user), (user): Source => ({
    service: "kinopio",
    apiUrl: client.api.baseUrl,
    stats: client.api.budget.stats,
    collections: KINOPIO_COLLECTIONS,
    account: Effect.map(user, (u) => String(u.value["id"])),
    carryOver: KINOPIO_BY_SPACE,
    backup: (options) => backupKinopio(client, user, options)
  }))

/** Kinopio as the run's backup source. */
export const KinopioSourceLive = Layer.effect(BackupSource, Effect.flatMap(Kinopio, kinopioSource))
