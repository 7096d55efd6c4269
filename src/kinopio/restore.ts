/**
 * Kinopio as a restore target. Every entity is created under an id derived from its source id
 * and the target account, so references are remapped by the same function, no id map is kept,
 * and a run that was stopped anywhere (even with a write in flight that the service finished)
 * is simply run again: what exists is read first and skipped, and Kinopio refuses an existing
 * id with 409 rather than duplicating it. A restore only creates: it never changes or removes
 * what the target held before.
 */
import { createHash } from "node:crypto"
import { Chunk, Effect, Layer, Stream } from "effect"
import {
  type ArchiveCollections,
  type Entity,
  type NotRestored,
  type RestoreEvent,
  type RestorePlan,
  RestoreTarget,
  type Target
} from "../connector.ts"
import { type ArchiveCorrupt, type BadInput, type ConnectorError, ServiceError } from "../errors.ts"
import { asArray, asEntity, idOf, isEntity } from "../shared/entity.ts"
import { Kinopio, type KinopioClient, SPACES_PER_REQUEST, type WritableKind } from "./client.ts"

/** Entities per create request, and bytes at most: few requests, bodies any server accepts. */
const BATCH_ENTITIES = 200
const BATCH_BYTES = 512 * 1024
/** Spaces carry boxes, lists and drawings: fewer per request. */
const SPACE_BATCH = 20

/** Set by the server; a restore does not send them (kinopio-in-practice.md). */
const SERVER_FIELDS = [
  "createdAt", "updatedAt", "editedAt", "nameUpdatedAt", "nameUpdatedByUserId", "userId", "ownerUserId", "users",
  "collaborators", "collaboratorKey", "readOnlyKey", "isRemoved", "removedByUserId", "url", "editedByUserId",
  "updateHash", "visits", "isEdited"
] as const
const SPACE_CHILDREN = ["cards", "connections", "connectionTypes", "tags", "removedCards"] as const

/** The id an entity gets in the target: stable for one account, distinct across accounts. */
export const targetId = (account: string, kind: string, sourceId: string): string =>
  createHash("sha256").update(`ferry-restore\u0000${account}\u0000${kind}\u0000${sourceId}`).digest("base64url").slice(0, 21)

type Err = ConnectorError | ArchiveCorrupt | BadInput

/** What a restore needs to know of the archive before writing: which ids it holds. */
interface Known {
  readonly spaces: ReadonlyArray<Entity>
  readonly removedSpaceIds: ReadonlySet<string>
  readonly spaceIds: ReadonlySet<string>
  /** Boxes and lists live inside space records; cards and connections point at them. */
  readonly innerIds: ReadonlySet<string>
  readonly cardIds: ReadonlySet<string>
  readonly removedCardIds: ReadonlySet<string>
  readonly typeIds: ReadonlySet<string>
  /** Finds any restored space id inside text (links in card names), in one pass. */
  readonly spaceIdPattern: RegExp | undefined
}

const collectIds = (archive: ArchiveCollections, collection: string) =>
  Stream.runFold(archive.read(collection), new Set<string>(), (ids, e) => (e["id"] === undefined ? ids : ids.add(idOf(e))))

const knowArchive = (archive: ArchiveCollections): Effect.Effect<Known, Err> =>
  Effect.gen(function*() {
    const live = Chunk.toReadonlyArray(yield* Stream.runCollect(archive.read("spaces")))
    const removed = Chunk.toReadonlyArray(yield* Stream.runCollect(archive.read("removedSpaces")))
    const spaces = [...live, ...removed]
    const innerIds = new Set<string>()
    for (const space of spaces) {
      for (const key of ["boxes", "lists"]) for (const inner of asArray(space[key])) if (asEntity(inner)?.["id"] !== undefined) innerIds.add(idOf(asEntity(inner)!))
    }
    return {
      spaces,
      removedSpaceIds: new Set(removed.map(idOf)),
      spaceIds: new Set(spaces.map(idOf)),
      innerIds,
      cardIds: yield* collectIds(archive, "cards"),
      removedCardIds: yield* collectIds(archive, "removedCards"),
      typeIds: yield* collectIds(archive, "connectionTypes"),
      spaceIdPattern: spaces.length === 0
        ? undefined
        : new RegExp(spaces.map((s) => idOf(s).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g")
    }
  })

/** What the target already holds of this archive (from an earlier, stopped run). */
interface Existing {
  readonly spaces: Set<string>
  readonly children: Set<string>
  /** Cards and spaces already removed in the target. */
  readonly removedCards: Set<string>
  readonly removedSpaces: Set<string>
}

/** A refusal that says the space is not there (or not this account's to see): nothing to skip. */
const isAbsent = (e: ConnectorError) => e._tag === "ServiceError" && (e.reason === "NotFound" || e.reason === "Forbidden")

/**
 * The spaces of these ids the target holds, SPACES_PER_REQUEST to a request (a stream: full
 * spaces, cards and all, are not all held at once). Our sandbox, like
 * Kinopio's client expects, leaves unknown ids out of `/space/multiple`; a service following the
 * docs may instead refuse the whole request with 404 (or 403) when one id is unknown. A refused
 * batch says nothing about the other ids in it, so each is then asked alone (`GET /space/:id`),
 * a 404 or 403 meaning that one is absent: a space that exists is never taken for missing, which
 * would cost a 409 per entity of it on the way (ids are kept, so never a duplicate).
 */
const findSpaces = (client: KinopioClient, ids: ReadonlyArray<string>): Stream.Stream<Entity, ConnectorError> => {
  const batch = (some: ReadonlyArray<string>) =>
    client.spaces(some).pipe(
      Effect.map((found) => found.value),
      Effect.catchIf(isAbsent, () =>
        Effect.forEach(some, (id) =>
          client.space(id).pipe(
            Effect.map((found): ReadonlyArray<Entity> => [found.value]),
            Effect.catchIf(isAbsent, () => Effect.succeed([] as ReadonlyArray<Entity>))
          )).pipe(Effect.map((each) => each.flat())))
    )
  const batches = Array.from({ length: Math.ceil(ids.length / SPACES_PER_REQUEST) }, (_, i) => ids.slice(i * SPACES_PER_REQUEST, (i + 1) * SPACES_PER_REQUEST))
  return Stream.fromIterable(batches).pipe(Stream.mapEffect(batch), Stream.flattenIterables)
}

const readExisting = (client: KinopioClient, targetSpaceIds: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const existing: Existing = { spaces: new Set(), children: new Set(), removedCards: new Set(), removedSpaces: new Set() }
    yield* Stream.runForEach(findSpaces(client, targetSpaceIds), (space) =>
      Effect.sync(() => {
        existing.spaces.add(idOf(space))
        if (space["isRemoved"] === true) existing.removedSpaces.add(idOf(space))
        for (const key of ["cards", "connections", "connectionTypes"]) {
          for (const child of asArray(space[key])) {
            const e = asEntity(child)
            if (e === undefined) continue
            existing.children.add(idOf(e))
            if (key === "cards" && e["isRemoved"] === true) existing.removedCards.add(idOf(e))
          }
        }
      }))
    // Removed cards are not in a space's record: only their own route lists them.
    for (const spaceId of existing.spaces) {
      const removed = yield* client.removedCards(spaceId).pipe(
        Effect.map((c) => c.value),
        Effect.catchTag("ServiceError", () => Effect.succeed([] as ReadonlyArray<Entity>))
      )
      for (const card of removed) {
        existing.children.add(idOf(card))
        existing.removedCards.add(idOf(card))
      }
    }
    return existing
  })

const omit = (entity: Entity, fields: ReadonlyArray<string>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(entity)) if (!fields.includes(k)) out[k] = v
  return out
}

/** Rewrites the references of one entity to the target's ids, for entities restored in this run. */
const makeRemap = (account: string, known: Known) => {
  const space = (id: unknown) => (typeof id === "string" && known.spaceIds.has(id) ? targetId(account, "space", id) : id)
  const card = (id: unknown) => (typeof id === "string" && known.cardIds.has(id) || typeof id === "string" && known.removedCardIds.has(id) ? targetId(account, "card", id) : id)
  const inner = (id: unknown) => (typeof id === "string" && known.innerIds.has(id) ? targetId(account, "inner", id) : id)
  // A connection's end is a card or a box.
  const end = (id: unknown) => (typeof id === "string" && known.innerIds.has(id) ? inner(id) : card(id))
  // Links to restored spaces also live in card text (`kinopio.club/<name>-<id>`).
  const text = (name: unknown) =>
    typeof name !== "string" || known.spaceIdPattern === undefined
      ? name
      : name.replace(known.spaceIdPattern, (id) => targetId(account, "space", id))
  return { space, card, inner, end, text }
}

const spaceBody = (account: string, known: Known, source: Entity): Entity => {
  const remap = makeRemap(account, known)
  const body = omit(source, [...SERVER_FIELDS, ...SPACE_CHILDREN])
  body["id"] = remap.space(source["id"])
  if ("originSpaceId" in body) body["originSpaceId"] = remap.space(body["originSpaceId"])
  for (const key of ["boxes", "lists"]) {
    if (Array.isArray(body[key])) {
      body[key] = (body[key] as ReadonlyArray<unknown>).map((inner) =>
        isEntity(inner) ? { ...omit(inner, ["spaceId", "userId", "createdAt", "updatedAt"]), id: remap.inner(inner["id"]), spaceId: body["id"] } : inner
      )
    }
  }
  return body
}

const cardBody = (account: string, known: Known, source: Entity): Entity => {
  const remap = makeRemap(account, known)
  const body = omit(source, SERVER_FIELDS)
  body["id"] = remap.card(source["id"])
  body["spaceId"] = remap.space(source["spaceId"])
  if ("name" in body) body["name"] = remap.text(body["name"])
  if ("linkToSpaceId" in body) body["linkToSpaceId"] = remap.space(body["linkToSpaceId"])
  if ("linkToCardId" in body) body["linkToCardId"] = remap.card(body["linkToCardId"])
  if ("listId" in body) body["listId"] = remap.inner(body["listId"])
  // A secret the archive never held is not sent as the text "[redacted]".
  if (body["linkToSpaceCollaboratorKey"] === "[redacted]") delete body["linkToSpaceCollaboratorKey"]
  // Mentions name their card and space: they follow the card, under ids of their own.
  for (const key of ["atUserMentions", "atDateMentions"]) {
    if (!Array.isArray(body[key])) continue
    body[key] = (body[key] as ReadonlyArray<unknown>).map((m) =>
      isEntity(m)
        ? {
          ...m,
          ...(m["id"] === undefined ? {} : { id: targetId(account, "mention", String(m["id"])) }),
          ...(m["cardId"] === undefined ? {} : { cardId: body["id"] }),
          ...(m["spaceId"] === undefined ? {} : { spaceId: body["spaceId"] })
        }
        : m
    )
  }
  return body
}

const typeBody = (account: string, known: Known, source: Entity): Entity => {
  const remap = makeRemap(account, known)
  return { ...omit(source, SERVER_FIELDS), id: targetId(account, "connectionType", idOf(source)), spaceId: remap.space(source["spaceId"]) }
}

const connectionBody = (account: string, known: Known, source: Entity): Entity => {
  const remap = makeRemap(account, known)
  const body = omit(source, SERVER_FIELDS)
  body["id"] = targetId(account, "connection", idOf(source))
  body["spaceId"] = remap.space(source["spaceId"])
  for (const key of ["startCardId", "endCardId", "startItemId", "endItemId"]) if (key in body) body[key] = remap.end(body[key])
  // Only a type the archive holds is restored: another keeps its id (and points where it did).
  if (typeof body["connectionTypeId"] === "string" && known.typeIds.has(body["connectionTypeId"])) {
    body["connectionTypeId"] = targetId(account, "connectionType", body["connectionTypeId"])
  }
  return body
}

/** An entity as the target will receive it, and the archive id it comes from (to name it in an error). */
interface Pending {
  readonly body: Entity
  readonly source: string
}

/** Groups entities into request bodies: at most `size` entities and BATCH_BYTES each. */
const batches = (size: number) => <E, R>(entities: Stream.Stream<Pending, E, R>): Stream.Stream<ReadonlyArray<Pending>, E, R> =>
  entities.pipe(
    Stream.rechunk(size),
    Stream.chunks,
    Stream.mapConcat((chunk) => {
      const out: Array<Array<Pending>> = []
      let bytes = 0
      for (const entity of chunk) {
        const size = JSON.stringify(entity.body).length
        const last = out[out.length - 1]
        if (last === undefined || (last.length > 0 && bytes + size > BATCH_BYTES)) {
          out.push([entity])
          bytes = size
        } else {
          last.push(entity)
          bytes += size
        }
      }
      return out
    })
  )

interface Steps {
  readonly known: Known
  readonly account: string
  readonly existing: Existing
}

const NOT_RESTORED: ReadonlyArray<NotRestored> = [
  { collection: "user", id: "*", field: "*", reason: "a restore never changes the target user's settings" },
  { collection: "favorites", id: "*", field: "*", reason: "a restore never changes the target user's favorites" },
  { collection: "notifications", id: "*", field: "*", reason: "notifications are made by the service, not restorable" },
  { collection: "tags", id: "*", field: "color", reason: "tags come back from [[tag]] in card names; PATCH /tags/color would also recolour the target's own tags of that name" },
  { collection: "spaces", id: "*", field: "collaborators", reason: "no route adds a collaborator" }
]

export const makeKinopioTarget = (client: KinopioClient): Target => {
  // Asked once per target: the plan, the run and the check all need it.
  let accountId: string | undefined
  const account = Effect.suspend(() =>
    accountId !== undefined ? Effect.succeed(accountId) : Effect.map(client.user, (u) => (accountId = idOf(u.value)))
  )

  /** Entities found already in the target, per collection, in the current run. */
  const skipped = new Map<string, number>()

  const prepare = (archive: ArchiveCollections) =>
    Effect.gen(function*() {
      skipped.clear()
      const known = yield* knowArchive(archive)
      const acct = yield* account
      const existing = yield* readExisting(client, known.spaces.map((s) => targetId(acct, "space", idOf(s))))
      return { known, account: acct, existing } satisfies Steps
    })

  /** Entities of a collection, as the target will receive them, minus those it already holds. */
  const pending = (
    archive: ArchiveCollections,
    steps: Steps,
    collection: string,
    body: (e: Entity) => Entity,
    keep: (source: Entity) => boolean = () => true
  ): Stream.Stream<Pending, Err> =>
    archive.read(collection).pipe(
      Stream.filter(keep),
      Stream.map((e): Pending => ({ body: body(e), source: idOf(e) })),
      Stream.filter((e) => {
        if (!steps.existing.children.has(String(e.body["id"]))) return true
        skipped.set(collection, (skipped.get(collection) ?? 0) + 1)
        return false
      })
    )

  /** The archive's spaces the target does not hold yet, as sent. */
  const newSpaces = ({ account: acct, existing, known }: Steps): ReadonlyArray<Pending> =>
    known.spaces.filter((s) => !existing.spaces.has(targetId(acct, "space", idOf(s))))
      .map((s) => ({ body: spaceBody(acct, known, s), source: idOf(s) }))

  const cardsOf = (archive: ArchiveCollections, steps: Steps) =>
    Stream.concat(
      pending(archive, steps, "cards", (e) => cardBody(steps.account, steps.known, e)),
      // Removed cards are created too, then removed (unless the live list has them as well).
      pending(archive, steps, "removedCards", (e) => cardBody(steps.account, steps.known, e), (e) => !steps.known.cardIds.has(idOf(e)))
    )

  /**
   * The smallest request body (bytes) the target refused as too large (413) in this run: a batch
   * as large is split before it is sent, so one 413 is paid once, not on every later batch.
   */
  let tooLarge = Number.POSITIVE_INFINITY

  /**
   * Sends one batch; a refusal that may come from one entity, or from the batch as a whole,
   * splits it in halves, sent in order:
   * - 409: an entity already there (left by a stopped run): the split goes on until each new one
   *   is in, and each one there is counted as existing.
   * - 413: the body is too large for the service: halves until each fits.
   * - 400 (and 422): the docs give no error format, so the refusal may be of one entity or of
   *   the batch (too many at once). Halving either gets every part through, or ends at the first
   *   entity refused on its own, and the run stops with one error naming it (collection and
   *   archive id) and the service's reason. Finding it costs about log2(batch) more requests; the
   *   entities before it are created, which a restore (creating only, run again to finish) allows.
   * Any other refusal (401, 403, 404) is about the request or the account, not an entity: it
   * stops the run at once.
   */
  const createAll = (
    kind: WritableKind,
    collection: string,
    batch: ReadonlyArray<Pending>
  ): Effect.Effect<{ created: number; existing: number }, ConnectorError> =>
    // Suspended: the second half is judged against what the first half learned of the size limit.
    Effect.suspend(() => {
      const bodies = batch.map((p) => p.body)
      const bytes = Buffer.byteLength(JSON.stringify(bodies))
      const split = () => {
        const half = Math.ceil(batch.length / 2)
        return Effect.zipWith(createAll(kind, collection, batch.slice(0, half)), createAll(kind, collection, batch.slice(half)), (a, b) => ({
          created: a.created + b.created,
          existing: a.existing + b.existing
        }))
      }
      if (batch.length > 1 && bytes >= tooLarge) return split()
      return client.create(kind, bodies).pipe(
        Effect.as({ created: batch.length, existing: 0 }),
        Effect.catchTag("ServiceError", (e) => {
          if (e.status === 413) tooLarge = Math.min(tooLarge, bytes)
          const splits = e.reason === "Conflict" || e.status === 413 || e.status === 400 || e.status === 422
          if (!splits) return Effect.fail(e)
          if (batch.length > 1) return split()
          if (e.reason === "Conflict") return Effect.succeed({ created: 0, existing: 1 })
          const one = batch[0]!
          const what = `${collection} ${one.source} (sent as ${String(one.body["id"])})`
          const why = e.status === 413 ? `${what} is larger than the service takes, even alone` : `${what} was refused`
          return Effect.fail(
            new ServiceError({
              service: e.service,
              route: e.route,
              reason: e.reason,
              ...(e.status === undefined ? {} : { status: e.status }),
              detail: e.detail === undefined ? why : `${why}: ${e.detail}`
            })
          )
        })
      )
    })

  const step = <E, R>(collection: string, kind: WritableKind, size: number, entities: Stream.Stream<Pending, E, R>, before: number) =>
    entities.pipe(
      batches(size),
      Stream.mapEffect((batch) => createAll(kind, collection, batch)),
      Stream.runFold({ created: 0, existing: before }, (acc, r) => ({ created: acc.created + r.created, existing: acc.existing + r.existing })),
      Effect.map((r): RestoreEvent => ({ _tag: "Done", collection, created: r.created, existing: r.existing + (skipped.get(collection) ?? 0) }))
    )

  const restore = (archive: ArchiveCollections): Stream.Stream<RestoreEvent, Err> =>
    Stream.unwrap(Effect.gen(function*() {
      const steps = yield* prepare(archive)
      const { account: acct, existing, known } = steps
      const spaces = newSpaces(steps)
      const spacesStep = step("spaces", "space", SPACE_BATCH, Stream.fromIterable(spaces), known.spaces.length - spaces.length)
      const typesStep = step("connectionTypes", "connection-type", BATCH_ENTITIES, pending(archive, steps, "connectionTypes", (e) => typeBody(acct, known, e)), 0)
      const cardsStep = step("cards", "card", BATCH_ENTITIES, cardsOf(archive, steps), 0)
      const connectionsStep = step("connections", "connection", BATCH_ENTITIES, pending(archive, steps, "connections", (e) => connectionBody(acct, known, e)), 0)
      // Removed state last, once everything that points at them exists: one request each (the docs name one card).
      const removeAll = (kind: "card" | "space", collection: string, sourceIds: ReadonlySet<string>, already: ReadonlySet<string>) =>
        Effect.gen(function*() {
          let removed = 0
          for (const id of sourceIds) {
            const target = targetId(acct, kind, id)
            if (already.has(target)) continue
            yield* client.remove(kind, target)
            removed++
          }
          return { _tag: "Done", collection, created: removed, existing: sourceIds.size - removed } satisfies RestoreEvent
        })
      const removals = Effect.all([
        removeAll("card", "removedCards", known.removedCardIds, existing.removedCards),
        removeAll("space", "removedSpaces", known.removedSpaceIds, existing.removedSpaces)
      ])
      return Stream.fromIterable<RestoreEvent>(NOT_RESTORED.map((n) => ({ _tag: "Warning", message: `${n.collection}${n.field === "*" ? "" : ` ${n.field}`}: not restored, ${n.reason}` }))).pipe(
        Stream.concat(Stream.fromEffect(spacesStep)),
        Stream.concat(Stream.fromEffect(typesStep)),
        Stream.concat(Stream.fromEffect(cardsStep)),
        Stream.concat(Stream.fromEffect(connectionsStep)),
        Stream.concat(Stream.fromIterableEffect(removals))
      )
    }))

  const plan = (archive: ArchiveCollections): Effect.Effect<RestorePlan, Err> =>
    Effect.gen(function*() {
      const steps = yield* prepare(archive)
      const { account: acct, existing, known } = steps
      const count = <E, R>(s: Stream.Stream<Pending, E, R>, size: number) =>
        s.pipe(batches(size), Stream.runFold({ entities: 0, requests: 0 }, (acc, b) => ({ entities: acc.entities + b.length, requests: acc.requests + 1 })))
      const spaces = yield* count(Stream.fromIterable(newSpaces(steps)), SPACE_BATCH)
      const types = yield* count(pending(archive, steps, "connectionTypes", (e) => typeBody(acct, known, e)), BATCH_ENTITIES)
      const cards = yield* count(cardsOf(archive, steps), BATCH_ENTITIES)
      const connections = yield* count(pending(archive, steps, "connections", (e) => connectionBody(acct, known, e)), BATCH_ENTITIES)
      const removedCards = [...known.removedCardIds].filter((id) => !existing.removedCards.has(targetId(acct, "card", id))).length
      const removedSpaces = [...known.removedSpaceIds].filter((id) => !existing.removedSpaces.has(targetId(acct, "space", id))).length
      // Reading what exists, then re-reading everything to verify (spaces, and each space's removed cards).
      const reads = 1 + Math.ceil(known.spaces.length / SPACES_PER_REQUEST) + existing.spaces.size +
        Math.ceil(known.spaces.length / SPACES_PER_REQUEST) + known.spaces.length
      const stepsPlan: RestorePlan["steps"] = [
        { collection: "spaces", action: "create", ...spaces },
        { collection: "connectionTypes", action: "create", ...types },
        { collection: "cards", action: "create", ...cards },
        { collection: "connections", action: "create", ...connections },
        { collection: "removedCards", action: "remove", entities: removedCards, requests: removedCards },
        { collection: "removedSpaces", action: "remove", entities: removedSpaces, requests: removedSpaces }
      ]
      return { steps: stepsPlan, notRestored: NOT_RESTORED, requests: reads + stepsPlan.reduce((n, s) => n + s.requests, 0) }
    })

  const check = (archive: ArchiveCollections): Effect.Effect<ReadonlyArray<string>, Err> =>
    Effect.gen(function*() {
      const known = yield* knowArchive(archive)
      const acct = yield* account
      const ids = known.spaces.map((s) => targetId(acct, "space", idOf(s)))
      const found = new Map<string, Entity>()
      yield* Stream.runForEach(findSpaces(client, ids), (space) => Effect.sync(() => void found.set(idOf(space), space)))
      const problems: Array<string> = []
      const children = new Map<string, Entity>()
      for (const space of found.values()) {
        for (const key of ["cards", "connections", "connectionTypes"]) for (const c of asArray(space[key])) if (isEntity(c)) children.set(idOf(c), c)
        for (const c of (yield* client.removedCards(idOf(space)).pipe(Effect.map((r) => r.value), Effect.orElseSucceed(() => [])))) children.set(idOf(c), c)
      }
      const compare = (collection: string, expected: Entity, got: Entity | undefined, sourceId: string) => {
        if (got === undefined) return problems.push(`${collection} ${sourceId}: missing from the target`)
        for (const [field, value] of Object.entries(expected)) {
          if (field === "id" || (SERVER_FIELDS as ReadonlyArray<string>).includes(field)) continue
          if (JSON.stringify(got[field]) !== JSON.stringify(value)) {
            problems.push(`${collection} ${sourceId}: ${field} is ${clip(JSON.stringify(got[field]))}, the archive has ${clip(JSON.stringify(value))}`)
          }
        }
        return 0
      }
      for (const space of known.spaces) {
        const body = spaceBody(acct, known, space)
        compare(known.removedSpaceIds.has(idOf(space)) ? "removedSpaces" : "spaces", body, found.get(String(body["id"])), idOf(space))
      }
      const each = (collection: string, body: (e: Entity) => Entity) =>
        Stream.runForEach(archive.read(collection), (e) =>
          Effect.sync(() => {
            const b = body(e)
            compare(collection, b, children.get(String(b["id"])), idOf(e))
          }))
      yield* each("connectionTypes", (e) => typeBody(acct, known, e))
      yield* each("cards", (e) => cardBody(acct, known, e))
      yield* each("removedCards", (e) => cardBody(acct, known, e))
      yield* each("connections", (e) => connectionBody(acct, known, e))
      return problems
    })

  return { service: "kinopio", apiUrl: client.api.baseUrl, stats: client.api.budget.stats, account, plan, restore, check }
}

const clip = (s: string | undefined) => (s === undefined ? "absent" : s.length > 60 ? `${s.slice(0, 57)}...` : s)

/** Kinopio as the run's restore target. */
export const KinopioTargetLive = Layer.effect(RestoreTarget, Effect.map(Kinopio, makeKinopioTarget))

