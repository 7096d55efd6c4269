/**
 * A source archive's collections as an archive of another service: read whole (a mapping needs
 * a space's cards and its connections, a board's items and its references, side by side), mapped
 * by the pure function for that direction, and handed back in memory for the target's restore,
 * with every row of what the target cannot hold.
 */
import { Chunk, Effect, Stream } from "effect"
import { COLLECTIONS } from "../archive/collections.ts"
import { inMemoryArchive } from "../archive/in-memory.ts"
import type { ArchiveCollections, Entity, NotRestored, ServiceName } from "../connector.ts"
import { type ArchiveCorrupt, BadInput } from "../errors.ts"
import { infinityToKinopio, type InfinityArchive } from "./infinity-to-kinopio.ts"
import { type KinopioArchive, kinopioToInfinity } from "./kinopio-to-infinity.ts"

export interface Mapped {
  readonly collections: ArchiveCollections
  readonly notCarried: ReadonlyArray<NotRestored>
}

const readAll = (archive: ArchiveCollections) =>
  Effect.map(
    Effect.forEach(COLLECTIONS[archive.service], (collection) =>
      Effect.map(Stream.runCollect(archive.read(collection)), (list) => [collection, Chunk.toReadonlyArray(list)] as const)),
    (entries): Record<string, ReadonlyArray<Entity>> => Object.fromEntries(entries)
  )

export const mapArchive = (from: ArchiveCollections, to: ServiceName): Effect.Effect<Mapped, ArchiveCorrupt | BadInput> =>
  Effect.gen(function*() {
    if (from.service === to) return { collections: from, notCarried: [] }
    const source = yield* readAll(from)
    const mapped = from.service === "kinopio" && to === "infinity"
      ? kinopioToInfinity(source as unknown as KinopioArchive)
      : from.service === "infinity" && to === "kinopio"
      ? infinityToKinopio(source as unknown as InfinityArchive)
      : undefined
    if (mapped === undefined) return yield* new BadInput({ message: `no mapping from ${from.service} to ${to}` })
    return { collections: inMemoryArchive(to, mapped.collections), notCarried: mapped.notCarried }
  })
