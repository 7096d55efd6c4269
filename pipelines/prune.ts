/**
 * `ferry prune`: applies a retention policy to the archives under `--out`.
 *
 * As restic's `forget`: a pure function (`applyPolicy`) decides, then this removes, or with
 * `dryRun` only reports. Only files named like archives (`ARCHIVE_NAME`) directly inside
 * `<out>/<service folder>/` are considered; everything else (temporary archives, staging folders,
 * journals, feeds, other files) is never looked at and never removed. Each folder and service is
 * pruned on its own, and its newest archive is always kept.
 */
import { FileSystem, Path } from "@effect/platform"
import { Data, Effect } from "effect"
import { applyPolicy, type RetentionPolicy } from "../src/archive/retention.ts"
import { ARCHIVE_NAME } from "../src/archive/writer.ts"
import { BadInput } from "../src/errors.ts"

/** Removing an archive failed (permission denied...). Exit 1. */
export class PruneFailed extends Data.TaggedError("PruneFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `could not remove ${this.path}: ${this.reason}`
  }
}

export interface PruneGroup {
  /** The folder holding the archives, e.g. "output/kinopio". */
  readonly folder: string
  readonly service: string
  /** Newest first. */
  readonly keep: ReadonlyArray<{ readonly path: string; readonly reasons: ReadonlyArray<string> }>
  /** Newest first; removed unless `dryRun`. */
  readonly remove: ReadonlyArray<{ readonly path: string }>
}

export interface PruneSummary {
  readonly dryRun: boolean
  readonly kept: number
  readonly removed: number
  readonly services: ReadonlyArray<PruneGroup>
}

export interface PruneOptions {
  readonly out: string
  readonly policy: RetentionPolicy
  readonly dryRun: boolean
}

interface Found {
  readonly path: string
  readonly service: string
  readonly time: Date
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

/** Every archive directly inside each sub-folder of `out`, grouped by folder and service. */
const scan = (out: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const outInfo = yield* fs.stat(out).pipe(Effect.option)
    if (outInfo._tag === "None" || outInfo.value.type !== "Directory") {
      return yield* new BadInput({ message: `${out} is not a folder: name the backup output folder with --out DIR` })
    }
    const groups = new Map<string, { folder: string; service: string; archives: Array<Found> }>()
    const folders = (yield* fs.readDirectory(out).pipe(Effect.orDie)).sort()
    for (const name of folders) {
      const folder = path.join(out, name)
      const info = yield* fs.stat(folder).pipe(Effect.option)
      if (info._tag === "None" || info.value.type !== "Directory") continue
      const entries = (yield* fs.readDirectory(folder).pipe(Effect.orElseSucceed((): Array<string> => []))).sort()
      for (const entry of entries) {
        const match = ARCHIVE_NAME.exec(entry)
        if (match === null) continue
        const file = path.join(folder, entry)
        const fileInfo = yield* fs.stat(file).pipe(Effect.option)
        if (fileInfo._tag === "None" || fileInfo.value.type !== "File") continue
        const service = match[1] ?? ""
        const key = `${folder}\u0000${service}`
        const group = groups.get(key) ?? { folder, service, archives: [] }
        groups.set(key, group)
        group.archives.push({ path: file, service, time: parseStamp(match[2] ?? ""), suffix: Number(match[3] ?? 0) })
      }
    }
    return [...groups.values()]
  })

export const prune = (
  options: PruneOptions
): Effect.Effect<PruneSummary, BadInput | PruneFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const found = yield* scan(options.out)
    const services: Array<PruneGroup> = []
    for (const group of found) {
      // Same second: the one with the higher `-N` suffix was written later; applyPolicy keeps input order for ties.
      const ordered = [...group.archives].sort((a, b) => b.time.getTime() - a.time.getTime() || b.suffix - a.suffix)
      const decision = applyPolicy(ordered.map((a) => ({ id: a.path, time: a.time })), options.policy)
      services.push({
        folder: group.folder,
        service: group.service,
        keep: decision.keep.map((k) => ({ path: k.id, reasons: k.reasons })),
        remove: decision.remove.map((r) => ({ path: r.id }))
      })
    }
    if (!options.dryRun) {
      for (const group of services) {
        for (const { path } of group.remove) {
          yield* fs.remove(path).pipe(Effect.mapError((e) => new PruneFailed({ path, reason: e.message })))
        }
      }
    }
    return {
      dryRun: options.dryRun,
      kept: services.reduce((n, g) => n + g.keep.length, 0),
      removed: services.reduce((n, g) => n + g.remove.length, 0),
      services
    }
  })
