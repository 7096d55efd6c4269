/**
 * Imported canvases as the collections of a Kinopio archive, held in memory, so the Kinopio
 * restore target creates them exactly as it restores a backup (ids derived per target account,
 * a second run creating nothing twice).
 */
import { inMemoryArchive } from "../archive/in-memory.ts"
import type { ArchiveCollections } from "../connector.ts"
import type { ImportedSpace } from "./import.ts"

export const canvasCollections = (spaces: ReadonlyArray<ImportedSpace>): ArchiveCollections =>
  // An imported canvas is made to be seen: its space is created live even if it was removed when exported.
  inMemoryArchive("kinopio", {
    spaces: spaces.map((s) => s.space),
    cards: spaces.flatMap((s) => s.cards),
    removedCards: spaces.flatMap((s) => s.removedCards),
    connections: spaces.flatMap((s) => s.connections),
    connectionTypes: spaces.flatMap((s) => s.connectionTypes),
    tags: spaces.flatMap((s) => s.tags)
  })
