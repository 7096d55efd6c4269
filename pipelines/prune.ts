/**
 * `ferry prune`: applies a retention policy to the archives under `--out`.
 *
 * As restic's `forget`: a pure function (`applyPolicy`) decides, then this removes, or with
 * `dryRun` only reports. Promises:
 * - Only files named like archives (`ARCHIVE_NAME`) directly inside a folder one or two levels
 *   below `--out` are considered (`<out>/<service>/`, and `<out>/<account name>/<service>/` as
 *   `backup --config` writes); folders whose name starts with a dot and symbolic links are never
 *   entered, and everything else (temporary archives, staging folders, journals, locks, feeds,
 *   other files) is never looked at and never removed.
 * - Archives are grouped by whose they are: folder, service, and the account and API URL their
 *   manifest names (`source.account`, `source.apiUrl`). Each group is pruned on its own, and its
 *   newest archive is always kept: one account's retention never removes another's archives,
 *   nor those of the same account on another API (a sandbox and the real one).
 * - An archive whose manifest cannot be read (corrupt, truncated, not a Ferry archive, or naming
 *   another service than its file name) has no known owner: it is never removed, never counts as
 *   any group's newest, and is reported as kept, in a group of its own with no account.
 */
import { FileSystem, Path } from "@effect/platform"
import { Data, Effect, Either } from "effect"
import type { ArchiveOwner } from "../src/archive/previous.ts"
import { type ListedArchive, listArchives } from "../src/archive/listing.ts"
import { readManifest } from "../src/archive/reader.ts"
import { applyPolicy, type RetentionPolicy } from "../src/archive/retention.ts"
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
  /** The folder holding the archives, e.g. "output/kinopio" or "output/alice/kinopio". */
  readonly folder: string
  /** The service, from the file names. */
  readonly service: string
  /**
   * Whose archives these are: the manifests' `source.account` and `source.apiUrl`. Both null for
   * the group of archives whose manifest cannot be read: their owner is unknown, so they are all
   * kept (reason "manifest unreadable: <problem>") and `remove` is empty.
   */
  readonly account: string | null
  readonly apiUrl: string | null
  /** Newest first. */
  readonly keep: ReadonlyArray<{ readonly path: string; readonly reasons: ReadonlyArray<string> }>
  /** Newest first; removed unless `dryRun`. */
  readonly remove: ReadonlyArray<{ readonly path: string }>
}

export interface PruneSummary {
  readonly dryRun: boolean
  readonly kept: number
  readonly removed: number
  /** One entry per group (folder, service, account, API URL), in folder order. */
  readonly services: ReadonlyArray<PruneGroup>
}

export interface PruneOptions {
  readonly out: string
  readonly policy: RetentionPolicy
  readonly dryRun: boolean
}

/** The sub-folders of `dir`, sorted: neither symbolic links nor names starting with a dot (staging folders). */
const subfolders = (dir: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const found: Array<string> = []
    for (const name of (yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed((): Array<string> => []))).sort()) {
      if (name.startsWith(".")) continue
      const folder = path.join(dir, name)
      // readLink succeeds only on a symbolic link; stat would follow it (maybe out of --out).
      if (Either.isRight(yield* Effect.either(fs.readLink(folder)))) continue
      const info = yield* fs.stat(folder).pipe(Effect.option)
      if (info._tag === "Some" && info.value.type === "Directory") found.push(folder)
    }
    return found
  })

/**
 * Every folder one or two levels below `out` that may hold archives: `<out>/<service>/` and
 * `<out>/<account name>/<service>/` (`backup --config`). One without archives yields no group.
 */
const folders = (out: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const outInfo = yield* fs.stat(out).pipe(Effect.option)
    if (outInfo._tag === "None" || outInfo.value.type !== "Directory") {
      return yield* new BadInput({ message: `${out} is not a folder: name the backup output folder with --out DIR` })
    }
    const found: Array<string> = []
    for (const first of yield* subfolders(out)) {
      found.push(first)
      found.push(...(yield* subfolders(first)))
    }
    return found
  })

/** The owner an archive's manifest names, or why it cannot be told. */
const ownerOf = (archive: ListedArchive): Effect.Effect<Either.Either<ArchiveOwner, string>, never, FileSystem.FileSystem> =>
  readManifest(archive.path).pipe(
    Effect.map((m): Either.Either<ArchiveOwner, string> =>
      m.service === archive.service
        ? Either.right({ service: archive.service, account: m.source.account, apiUrl: m.source.apiUrl })
        : Either.left(`it names service ${m.service}, the file name ${archive.service}`)
    ),
    Effect.catchAll((e) =>
      Effect.succeed(Either.left(
        e._tag === "ArchiveCorrupt"
          ? (e.problems.length === 0 ? "unreadable" : e.problems.join("; "))
          : e.message.startsWith(`${archive.path}: `)
          ? e.message.slice(archive.path.length + 2)
          : e.message
      ))
    )
  )

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The decision for one folder: one group per service, account and API URL, each keeping its own
 * newest; after a service's groups, one of its archives whose owner is unknown (all kept).
 */
const decide = (folder: string, policy: RetentionPolicy) =>
  Effect.gen(function*() {
    const owned = new Map<string, { readonly owner: ArchiveOwner; readonly archives: Array<ListedArchive> }>()
    const unknown = new Map<string, Array<{ readonly path: string; readonly reasons: ReadonlyArray<string> }>>()
    // listArchives gives newest first, and each group keeps that order.
    for (const archive of yield* listArchives(folder)) {
      const owner = yield* ownerOf(archive)
      if (Either.isLeft(owner)) {
        const list = unknown.get(archive.service) ?? []
        list.push({ path: archive.path, reasons: [`manifest unreadable: ${owner.left}`] })
        unknown.set(archive.service, list)
        continue
      }
      const key = JSON.stringify([owner.right.service, owner.right.account, owner.right.apiUrl])
      const group = owned.get(key) ?? { owner: owner.right, archives: [] }
      group.archives.push(archive)
      owned.set(key, group)
    }
    const known = [...owned.values()].map(({ archives, owner }): PruneGroup => {
      // applyPolicy keeps input order for ties.
      const decision = applyPolicy(archives.map((a) => ({ id: a.path, time: a.time })), policy)
      return {
        folder,
        service: owner.service,
        account: owner.account,
        apiUrl: owner.apiUrl,
        keep: decision.keep.map((k) => ({ path: k.id, reasons: k.reasons })),
        remove: decision.remove.map((r) => ({ path: r.id }))
      }
    })
    const unowned = [...unknown.entries()].map(([service, keep]): PruneGroup => ({
      folder,
      service,
      account: null,
      apiUrl: null,
      keep,
      remove: []
    }))
    // By service; within one, by account and API URL, the unknown owner last.
    return [...known, ...unowned].sort((a, b) =>
      byText(a.service, b.service) ||
      (a.account === null ? 1 : 0) - (b.account === null ? 1 : 0) ||
      byText(a.account ?? "", b.account ?? "") ||
      byText(a.apiUrl ?? "", b.apiUrl ?? "")
    )
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

/**
 * `backup --keep-*`: prunes only `owner`'s archives in the folder a successful backup just wrote
 * to; other accounts', other APIs' and those whose owner is unknown are neither touched nor
 * reported. `owner.account` and `owner.apiUrl` are compared with the manifests' as written
 * (scrubbed of the secret literals). The summary holds that one group.
 */
export const pruneFolder = (
  folder: string,
  owner: ArchiveOwner,
  policy: RetentionPolicy
): Effect.Effect<PruneSummary, PruneFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.flatMap(decide(folder, policy), (groups) => {
    const mine = groups.filter((g) => g.service === owner.service && g.account === owner.account && g.apiUrl === owner.apiUrl)
    return carryOut(
      mine.length > 0 ? mine : [{ folder, service: owner.service, account: owner.account, apiUrl: owner.apiUrl, keep: [], remove: [] }],
      false
    )
  })

export const prune = (
  options: PruneOptions
): Effect.Effect<PruneSummary, BadInput | PruneFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const groups: Array<PruneGroup> = []
    for (const folder of yield* folders(options.out)) groups.push(...(yield* decide(folder, options.policy)))
    return yield* carryOut(groups, options.dryRun)
  })
