/**
 * The previous archive of an incremental backup: the newest one in the folder for the same
 * service, account and API.
 */
import type { FileSystem, Path } from "@effect/platform"
import { Effect, Option } from "effect"
import { type ListedArchive, listArchives } from "./listing.ts"
import type { Manifest } from "./manifest.ts"
import { readManifest } from "./reader.ts"

/** Whose an archive is, as its manifest says: service, account and API (secrets scrubbed). */
export interface ArchiveOwner {
  readonly service: string
  readonly account: string
  readonly apiUrl: string
}

/**
 * The newest archive in `folder` written for this service, account and API, with its manifest;
 * none when there is none. An archive whose manifest cannot be read is passed over.
 */
export const findPrevious = (
  folder: string,
  source: ArchiveOwner
): Effect.Effect<Option.Option<{ readonly archive: ListedArchive; readonly manifest: Manifest }>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    for (const archive of yield* listArchives(folder)) {
      if (archive.service !== source.service) continue
      const manifest = yield* readManifest(archive.path).pipe(Effect.option)
      if (Option.isNone(manifest)) continue
      const m = manifest.value
      if (m.service === source.service && m.source.account === source.account && m.source.apiUrl === source.apiUrl) {
        return Option.some({ archive, manifest: m })
      }
    }
    return Option.none()
  })
