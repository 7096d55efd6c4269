/**
 * Collections held in memory read as an archive (imported canvases, a mapping's output), so a
 * restore target takes them as it takes a backup. A collection the service's archives do not
 * have is refused rather than read as empty: that would be a bug, not missing data.
 */
import { Stream } from "effect"
import type { ArchiveCollections, Entity, ServiceName } from "../connector.ts"
import { BadInput } from "../errors.ts"
import { COLLECTIONS } from "./collections.ts"

export const inMemoryArchive = (
  service: ServiceName,
  collections: Readonly<Record<string, ReadonlyArray<Entity>>>
): ArchiveCollections => ({
  service,
  read: (collection) =>
    (COLLECTIONS[service] as ReadonlyArray<string>).includes(collection)
      ? Stream.fromIterable(collections[collection] ?? [])
      : Stream.fail(new BadInput({ message: `a ${service} archive has no collection ${JSON.stringify(collection)}` }))
})
