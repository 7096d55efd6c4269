/**
 * Imported canvases as the collections of a Kinopio archive, held in memory, so the Kinopio
 * restore target creates them exactly as it restores a backup (ids derived per target account,
 * a second run creating nothing twice).
 */
import { Stream } from "effect"
import { COLLECTIONS } from "../archive/collections.ts"
import type { ArchiveCollections, Entity } from "../connector.ts"
import { BadInput } from "../errors.ts"
import type { ImportedSpace } from "./import.ts"

export const canvasCollections = (spaces: ReadonlyArray<ImportedSpace>): ArchiveCollections => {
  // An imported canvas is made to be seen: its space is created live even if it was removed when exported.
  const byCollection: Record<string, ReadonlyArray<Entity>> = {
    spaces: spaces.map((s) => s.space),
    cards: spaces.flatMap((s) => s.cards),
    removedCards: spaces.flatMap((s) => s.removedCards),
    connections: spaces.flatMap((s) => s.connections),
    connectionTypes: spaces.flatMap((s) => s.connectionTypes),
    tags: spaces.flatMap((s) => s.tags)
  }
  return {
    service: "kinopio",
    read: (collection) =>
      // Every collection a Kinopio archive has; those a canvas cannot fill are empty.
      (COLLECTIONS.kinopio as ReadonlyArray<string>).includes(collection)
        ? Stream.fromIterable(byCollection[collection] ?? [])
        : Stream.fail(new BadInput({ message: `imported canvases have no collection ${JSON.stringify(collection)}` }))
  }
}
