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
import { listArchives } from "../src/archive/listing.ts"
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

/** Every sub-folder of `out` that may hold archives (a service folder, e.g. "output/kinopio"). */
const folders = (out: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const outInfo = yield* fs.stat(out).pipe(Effect.option)
    if (outInfo._tag === "None" || outInfo.value.type !== "Directory") {
      return yield* new BadInput({ message: `${out} is not a folder: name the backup output folder with --out DIR` })
    }
    const found: Array<string> = []
    for (const name of (yield* fs.readDirectory(out).pipe(Effect.orDie)).sort()) {
      const folder = path.join(out, name)
      const info = yield* fs.stat(folder).pipe(Effect.option)
      if (info._tag === "Some" && info.value.type === "Directory") found.push(folder)
    }
    return found
  })

/** The decision for one folder, each service on its own (newest kept); `only` restricts to one service. */
const decide = (folder: string, policy: RetentionPolicy, only?: string) =>
  Effect.map(listArchives(folder), (archives): ReadonlyArray<PruneGroup> => {
    const services = [...new Set(archives.map((a) => a.service))].filter((s) => only === undefined || s === only).sort()
    return services.map((service) => {
      // listArchives gives newest first; applyPolicy keeps input order for ties.
      const decision = applyPolicy(archives.filter((a) => a.service === service).map((a) => ({ id: a.path, time: a.time })), policy)
      return {
        folder,
        service,
        keep: decision.keep.map((k) => ({ path: k.id, reasons: k.reasons })),
        remove: decision.remove.map((r) => ({ path: r.id }))
      }
    })
  })

const carryOut = (groups: ReadonlyArray<PruneGroup>, dryRun: boolean) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    if (!dryRun) {
      for (const group of groups) {
        for (const { path } of group.remove) {
          yield* fs.remove(path).pipe(Effect.mapError((e) => new PruneFailed({ path, reason: e.message })))
        }
      }
    }
    return {
      dryRun,
      kept: groups.reduce((n, g) => n + g.keep.length, 0),
      removed: groups.reduce((n, g) => n + g.remove.length, 0),
      services: groups
    }
  })

/** `backup --keep-*`: the one service folder a successful backup just wrote to. */
export const pruneFolder = (
  folder: string,
  service: string,
  policy: RetentionPolicy
): Effect.Effect<PruneSummary, PruneFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(decide(folder, policy, service), (groups) => carryOut(groups, false))

export const prune = (
  options: PruneOptions
): Effect.Effect<PruneSummary, BadInput | PruneFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const groups: Array<PruneGroup> = []
    for (const folder of yield* folders(options.out)) groups.push(...(yield* decide(folder, options.policy)))
    return yield* carryOut(groups, options.dryRun)
  })
