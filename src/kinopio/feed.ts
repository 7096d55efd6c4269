/**
 * A Kinopio space as a feed, like the service's own `/space/:id/feed.json`: the space's cards
 * most recently created or updated (`updatedAt`, else `createdAt`), newest first, each linking
 * to the card on kinopio.club. Removed cards are left out, as the service's feed does.
 *
 * Privacy (contract, "Feeds"): a private or removed space gets a feed only when a person asks
 * for it by id with a credential that can view it, so only live. From an archive, where no
 * credential vouches for the reader, and on `backup --feeds`, such a space is never written.
 */
import { Effect, Option, Stream } from "effect"
import type { ArchiveCollections, Entity } from "../connector.ts"
import { type ArchiveCorrupt, BadInput, type ConnectorError, type ServiceError } from "../errors.ts"
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
import { oneLine } from "../feeds/clean.ts"
import type { FeedRequest, PublishedFeed } from "../service.ts"
import { asArray, asEntity, str } from "../shared/entity.ts"
import type { KinopioClient } from "./client.ts"

/** Where spaces live on the web (not the API). */
export const KINOPIO_WEB_URL = "https://kinopio.club"

/** Only `open` and `closed` spaces are public; anything else (private, unknown, absent) is treated as private. */
export const isPublicSpace = (space: Entity): boolean => space["privacy"] === "open" || space["privacy"] === "closed"

export const isRemovedSpace = (space: Entity): boolean => space["isRemoved"] === true

/** The space's page on kinopio.club. */
export const spacePage = (space: Entity): string => {
  const id = str(space["id"]) ?? String(space["id"])
  const url = str(space["url"])
  return absoluteUrl(`${KINOPIO_WEB_URL}/${encodeURIComponent(url === undefined || url === "" ? id : url)}`)
}

/** People's names by user id, from what a space record carries (its owners and collaborators). */
export const namesIn = (space: Entity, into: Map<string, string> = new Map()): Map<string, string> => {
  for (const list of [space["users"], space["collaborators"]]) {
    for (const u of asArray(list)) addName(into, asEntity(u))
  }
  return into
}

const addName = (names: Map<string, string>, user: Entity | undefined) => {
  const id = str(user?.["id"])
  const name = str(user?.["name"])
  if (id !== undefined && name !== undefined && name.trim() !== "") names.set(id, name)
}

const cardTitle = (name: string): string => {
  const first = name.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? ""
  const plain = first.replace(/^#{1,6}\s+/, "")
  return plain === "" ? "Untitled card" : oneLine(plain)
}

/** One card as a feed entry; none for a removed card or one without an id. */
export const cardEntry = (card: Entity, page: string, names: ReadonlyMap<string, string>): FeedEntry | undefined => {
  const id = str(card["id"])
  if (id === undefined || id === "" || card["isRemoved"] === true) return undefined
  const name = str(card["name"]) ?? ""
  const author = names.get(str(card["userId"]) ?? "")
  return {
    id: ferryUrn("kinopio", "card", id),
    // The card anchor the service's own feed uses.
    url: absoluteUrl(`${page}?cardId=${encodeURIComponent(id)}`),
    title: cardTitle(name),
    text: name,
    published: parseDate(card["createdAt"]),
    modified: parseDate(card["updatedAt"]),
    author,
    tags: tagsIn(name)
  }
}

/** The feed of a space, from its record, its cards (any number, streamed through) and people's names. */
const documentOf = (space: Entity, entries: ReadonlyArray<FeedEntry>, names: ReadonlyMap<string, string>): FeedDocument => {
  const id = str(space["id"]) ?? String(space["id"])
  const name = str(space["name"]) ?? ""
  const owner = names.get(str(space["ownerUserId"]) ?? str(space["userId"]) ?? "")
  return {
    id: ferryUrn("kinopio", "space", id),
    title: name.trim() === "" ? `Kinopio space ${id}` : name,
    homePageUrl: spacePage(space),
    description: "Cards most recently created or updated in this Kinopio space",
    authors: owner === undefined ? [] : [owner],
    entries,
    fallbackUpdated: parseDate(space["updatedAt"]) ?? parseDate(space["createdAt"])
  }
}

/** A feed built from a whole space as `GET /space/:id` answers (cards inline). */
export const spaceFeed = (space: Entity, limit: number, names: Map<string, string> = new Map()): FeedDocument => {
  namesIn(space, names)
  const page = spacePage(space)
  const newest = new Newest(limit)
  for (const c of asArray(space["cards"])) {
    const card = asEntity(c)
    const entry = card === undefined ? undefined : cardEntry(card, page, names)
    if (entry !== undefined) newest.add(entry)
  }
  return scrubDocument(documentOf(space, newest.entries, names), [...secretValues(space)])
}

const notVisible = (id: string, e: ServiceError) =>
  new BadInput({
    message: `Kinopio space ${id} cannot be read with this credential (${e.reason}): a private space's feed needs a credential that can view it`
  })

/** Live: one request (`GET /space/:id`), which the service answers only to a credential that can view the space. */
export const liveSpaceFeed = (client: KinopioClient, request: FeedRequest): Effect.Effect<FeedDocument, ConnectorError | BadInput> =>
  client.space(request.id).pipe(
    Effect.catchTag("ServiceError", (e): Effect.Effect<never, ServiceError | BadInput> =>
      e.reason === "Forbidden" || e.reason === "NotFound" || e.reason === "Unauthorized" ? Effect.fail(notVisible(request.id, e)) : Effect.fail(e)),
    // The space was named by id, and the service let this credential read it: private or not, it may be written.
    Effect.map((checked) => spaceFeed(checked.value, request.limit))
  )

const firstWhere = <E>(stream: Stream.Stream<Entity, E>, keep: (e: Entity) => boolean) =>
  Stream.runHead(Stream.filter(stream, keep))

/** The account's own name (user.jsonl), for the cards it wrote. */
const accountNames = (archive: ArchiveCollections, names: Map<string, string>) =>
  Stream.runForEach(archive.read("user"), (u) => Effect.sync(() => addName(names, u)))

/** From an archive: the space's record and one pass over its cards, keeping only the newest. */
export const archiveSpaceFeed = (archive: ArchiveCollections, request: FeedRequest) =>
  Effect.gen(function*() {
    const isIt = (s: Entity) => String(s["id"]) === request.id
    const live = yield* firstWhere(archive.read("spaces"), isIt)
    const removed = Option.isNone(live) ? yield* firstWhere(archive.read("removedSpaces"), isIt) : Option.none()
    if (Option.isNone(live) && Option.isNone(removed)) {
      return yield* new BadInput({ message: `Kinopio space ${request.id} is not in this archive` })
    }
    const space = Option.isSome(live) ? live.value : Option.getOrThrow(removed)
    if (Option.isSome(removed) || isRemovedSpace(space) || !isPublicSpace(space)) {
      return yield* new BadInput({
        message: `Kinopio space ${request.id} is ${Option.isSome(removed) || isRemovedSpace(space) ? "removed" : "private"}: ` +
          `its feed is built only live, with --space ${request.id} and a credential that can view it (no --from)`
      })
    }
    const names = new Map<string, string>()
    yield* accountNames(archive, names)
    namesIn(space, names)
    const page = spacePage(space)
    const newest = new Newest(request.limit)
    yield* Stream.runForEach(archive.read("cards"), (card) =>
      Effect.sync(() => {
        if (card["spaceId"] !== request.id) return
        const entry = cardEntry(card, page, names)
        if (entry !== undefined) newest.add(entry)
      }))
    return scrubDocument(documentOf(space, newest.entries, names), [...secretValues(space)])
  })

/**
 * Every space of an archive that is neither private nor removed, in one pass over its cards
 * (memory: the newest `limit` cards per space). The archive's private and removed spaces come
 * with no document, so a feed published for them by an earlier run is taken down.
 */
export const publishableSpaces = (
  archive: ArchiveCollections,
  options: { readonly limit: number }
): Stream.Stream<PublishedFeed, ArchiveCorrupt | BadInput> =>
  Stream.unwrap(Effect.gen(function*() {
    const names = new Map<string, string>()
    yield* accountNames(archive, names)
    const spaces = new Map<string, { readonly space: Entity; readonly page: string; readonly newest: Newest }>()
    const withheld = new Set<string>()
    yield* Stream.runForEach(archive.read("spaces"), (space) =>
      Effect.sync(() => {
        const id = str(space["id"])
        if (id === undefined || id === "") return
        if (!isPublicSpace(space) || isRemovedSpace(space)) {
          withheld.add(id)
          return
        }
        namesIn(space, names)
        spaces.set(id, { space, page: spacePage(space), newest: new Newest(options.limit) })
      }))
    yield* Stream.runForEach(archive.read("removedSpaces"), (space) =>
      Effect.sync(() => {
        const id = str(space["id"])
        if (id !== undefined && id !== "" && !spaces.has(id)) withheld.add(id)
      }))
    yield* Stream.runForEach(archive.read("cards"), (card) =>
      Effect.sync(() => {
        const target = spaces.get(str(card["spaceId"]) ?? "")
        if (target === undefined) return
        const entry = cardEntry(card, target.page, names)
        if (entry !== undefined) target.newest.add(entry)
      }))
    return Stream.fromIterable<PublishedFeed>([
      ...[...spaces].map(([id, { newest, space }]): PublishedFeed => ({
        id,
        document: scrubDocument(documentOf(space, newest.entries, names), [...secretValues(space)])
      })),
      ...[...withheld].map((id): PublishedFeed => ({ id, document: undefined }))
    ])
  }))
