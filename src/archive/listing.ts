/**
 * The archives in a folder, told by their names (`<service>-<UTC stamp>[-N].<zip|tar.gz>`), newest
 * first. Only regular files named like archives count: temporary archives, staging folders,
 * journals, locks and anything else a person keeps there are never looked at.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { ARCHIVE_NAME } from "./writer.ts"

export interface ListedArchive {
  readonly path: string
  /** The file name, e.g. "kinopio-20261122T030000Z.zip". */
  readonly name: string
  readonly service: string
  /** When the backup started, from the name. */
  readonly time: Date
  /** The `-N` of a second archive written in the same second. */
  readonly suffix: number
}

/** "20261122T030000Z" as a UTC date. */
const parseStamp = (stamp: string): Date =>
  new Date(Date.UTC(
    Number(stamp.slice(0, 4)),
    Number(stamp.slice(4, 6)) - 1,
    Number(stamp.slice(6, 8)),
    Number(stamp.slice(9, 11)),
    Number(stamp.slice(11, 13)),
    Number(stamp.slice(13, 15))
  ))

/** Newest first; in the same second, the higher `-N` suffix was written later. A missing folder has none. */
export const listArchives = (folder: string): Effect.Effect<ReadonlyArray<ListedArchive>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const names = yield* fs.readDirectory(folder).pipe(Effect.orElseSucceed((): Array<string> => []))
    const found: Array<ListedArchive> = []
    for (const name of names) {
      const match = ARCHIVE_NAME.exec(name)
      if (match === null) continue
      const file = path.join(folder, name)
      const info = yield* fs.stat(file).pipe(Effect.option)
      if (info._tag === "None" || info.value.type !== "File") continue
      found.push({ path: file, name, service: match[1] ?? "", time: parseStamp(match[2] ?? ""), suffix: Number(match[3] ?? 0) })
    }
    return found.sort((a, b) => b.time.getTime() - a.time.getTime() || b.suffix - a.suffix || (a.name < b.name ? -1 : 1))
  })
