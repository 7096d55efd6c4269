/**
 * `ferry backup`: a Source streamed into one archive. Nothing is collected: each part goes to
 * the writer as it arrives, and the archive appears under its final name only when complete.
 *
 * One run per output folder and account at a time (a lock file, taken before anything is
 * written). Incremental unless `full`: the newest earlier archive of the same account is opened
 * and the source copies from it what provably has not changed; the new archive still holds
 * everything. Retention (`keep`) is applied only after the archive is published.
 */
import type { FileSystem, Path } from "@effect/platform"
import { Clock, Data, Effect, Option, Stream } from "effect"
import { acquireLock, type LockFailed, type LockHeld, type LockLost } from "../src/archive/lock.ts"
import { type IndexedArchive, openIndexed } from "../src/archive/indexed.ts"
import { type ArchiveOwner, findPrevious } from "../src/archive/previous.ts"
import { isEmptyPolicy, type RetentionPolicy } from "../src/archive/retention.ts"
import { openArchive } from "../src/archive/writer.ts"
import { BackupSource, type Source } from "../src/connector.ts"
import { type ArchiveCorrupt, type ArchiveWriteFailed, type ConnectorError, isRefusal } from "../src/errors.ts"
import { heapGuard } from "../src/shared/heap.ts"
import { scrubText } from "../src/shared/redact.ts"
import { ProgressReporter } from "./progress.ts"
import { pruneFolder } from "./prune.ts"

/** The previous archive broke while being copied from, after it had been checked. Exit 1. */
export class PreviousArchiveFailed extends Data.TaggedError("PreviousArchiveFailed")<{
  readonly archive: string
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    return `the previous archive ${this.archive} could not be copied from (${this.problems.join("; ")}); run again, or with --full`
  }
}

export interface BackupRequest {
  /** The root output folder; the archive goes to `<out>/<service>/`. */
  readonly out: string
  readonly format: "zip" | "tar.gz"
  /** Space / board ids to restrict to; empty for everything. */
  readonly only: ReadonlyArray<string>
  /** Workspace ids to restrict to, where the service has them; empty for all. */
  readonly workspaces: ReadonlyArray<string>
  /** Literal secrets (the credential) that must never reach the archive. */
  readonly secrets: ReadonlyArray<string>
  /** Fetch everything, copying nothing from an earlier archive (default: incremental). */
  readonly full?: boolean
  /** Applied to this service's archives in the folder after a successful run (default: keep all). */
  readonly keep?: RetentionPolicy
  /** The command as a person would recognise it, for a second run refused by the lock (no secrets). */
  readonly command?: string
}

export interface BackupSummary {
  readonly service: string
  readonly archive: string
  readonly account: string
  readonly entities: Readonly<Record<string, number>>
  readonly bytes: number
  readonly requests: number
  readonly rateLimited: number
  readonly retries: number
  readonly durationMs: number
  /** What was kept verbatim but not as documented, or skipped: each kind once, with how often. */
  readonly warnings: ReadonlyArray<{ readonly message: string; readonly count: number }>
  /** What was copied from the previous archive instead of fetched; null for a full backup. */
  readonly carriedOver: {
    readonly from: string
    /** Per kind ("spaces", "attachments"): how many were copied. */
    readonly units: Readonly<Record<string, number>>
    /** Per data file: how many lines were copied. */
    readonly lines: Readonly<Record<string, number>>
  } | null
  /** What `keep` removed, when given. */
  readonly pruned: { readonly kept: number; readonly removed: ReadonlyArray<string> } | null
}

// Warnings that differ only by position ("cards[3]" vs "cards[9]") are one kind of problem.
const warningKind = (message: string) => message.replace(/\[\d+\]/g, "[]")

/** The previous archive to copy from, or none (with a warning, when there was one and it is not used). */
const previousFor = (source: Source, folder: string, owner: ArchiveOwner, warn: (message: string) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const spec = source.carryOver
    if (spec === undefined) return undefined
    const found = yield* findPrevious(folder, owner)
    if (Option.isNone(found)) return undefined
    const { archive, manifest } = found.value
    return yield* openIndexed(archive.path, manifest, spec, folder).pipe(
      Effect.map((p): IndexedArchive | undefined => p),
      Effect.catchAll((e) => Effect.as(warn(`previous archive ${archive.name} not used (${e.message}); fetching everything`), undefined))
    )
  })

export const backup = (request: BackupRequest): Effect.Effect<
  BackupSummary,
  ConnectorError | ArchiveWriteFailed | LockHeld | LockFailed | LockLost | PreviousArchiveFailed,
  BackupSource | ProgressReporter | FileSystem.FileSystem | Path.Path
> =>
  Effect.scoped(Effect.gen(function*() {
    const source = yield* BackupSource
    const progress = yield* ProgressReporter
    // Whatever happens, the live line ends first, so an error gets a line of its own.
    yield* Effect.addFinalizer(() => progress.finish)
    const started = yield* Clock.currentTimeMillis
    // What this run spends: the difference, since another job may share the credential's budget.
    const before = yield* source.stats
    const spent = Effect.map(source.stats, (now) => ({
      requests: now.requests - before.requests,
      rateLimited: now.rateLimited - before.rateLimited,
      retries: now.retries - before.retries
    }))
    const folder = `${request.out.replace(/\/+$/, "")}/${source.service}`
    const account = yield* source.account
    const lock = yield* acquireLock({ folder, account, command: request.command ?? `ferry backup ${source.service}` })
    const warnings = new Map<string, { message: string; count: number }>()
    const warn = (message: string) => {
      const kind = warningKind(message)
      const seen = warnings.get(kind)
      if (seen !== undefined) {
        seen.count++
        return Effect.void
      }
      warnings.set(kind, { message, count: 1 })
      return progress.warn(message)
    }

    if (lock.replaced !== undefined) yield* warn(`took over an abandoned lock: ${lock.replaced.reason}`)
    // Whose archives these are, as their manifests say it (scrubbed of secrets as they are).
    const owner: ArchiveOwner = {
      service: source.service,
      account: scrubText(account, request.secrets),
      apiUrl: scrubText(source.apiUrl, request.secrets)
    }
    const previous = request.full === true ? undefined : yield* previousFor(source, folder, owner, warn)
    const session = yield* openArchive({
      service: source.service,
      collections: source.collections,
      outDir: folder,
      format: request.format,
      createdAt: new Date(started),
      apiUrl: source.apiUrl,
      secrets: request.secrets
    })

    const units: Record<string, Array<string>> = {}
    const fetchAgain: Record<string, Array<string>> = {}
    const lines: Record<string, number> = {}
    yield* source.backup({ only: request.only, workspaces: request.workspaces, ...(previous === undefined ? {} : { previous }) }).pipe(
      Stream.runForEach((part) => {
        switch (part._tag) {
          case "Carried":
            return Effect.sync(() => {
              ;(units[part.kind] ??= []).push(part.id)
              for (const [collection, n] of Object.entries(part.lines)) lines[collection] = (lines[collection] ?? 0) + n
            })
          case "FetchAgain":
            return Effect.sync(() => void (fetchAgain[part.kind] ??= []).push(part.id))
          case "Entities":
            heapGuard.check()
            return session.append(part.collection, part.entities)
          case "Document":
            return session.document(part.path, part.content)
          case "File":
            // A file the service refuses (a link expired or removed) is reported; the run goes on.
            return part.write((bytes) => session.documentBytes(part.path, bytes)).pipe(
              Effect.catchIf(isRefusal, (e) => warn(`${part.path}: not in the archive, ${e.message}`))
            )
          case "Progress":
            return Effect.flatMap(spent, (s) => progress.update(part.unit, part.done, part.total, s.requests))
          case "Warning":
            return warn(part.message)
        }
      }),
      Effect.catchTag("ArchiveCorrupt", (e: ArchiveCorrupt) =>
        Effect.fail(new PreviousArchiveFailed({ archive: previous?.name ?? e.archive, problems: e.problems })))
    )
    const result = yield* session.complete(account, {
      carriedOver: previous === undefined ? undefined : { from: previous.name, fromCreatedAt: previous.createdAt, entities: units, counts: lines },
      fetchAgain,
      // Packed, not yet published: a run that took the lock over (this one looked dead to it) is not raced.
      beforePublish: lock.stillHeld
    })
    // Only now: the new archive is in place, so the newest kept is a good one. The backup itself
    // succeeded whatever happens here: a lock lost or a removal failing is a warning, not a failed run.
    const keep = request.keep ?? {}
    const pruned = isEmptyPolicy(keep) ? null : yield* lock.stillHeld.pipe(
      Effect.zipRight(pruneFolder(folder, owner, keep)),
      Effect.flatMap((p) =>
        // The archive just written is the owner's newest: none found means the owner is told apart wrongly.
        p.kept === 0
          ? Effect.as(warn(`retention not applied: no archive in ${folder} names account ${owner.account} at ${owner.apiUrl}`), null)
          : Effect.succeed({ kept: p.kept, removed: p.services.flatMap((g) => g.remove.map((r) => r.path)) })
      ),
      Effect.catchAll((e) =>
        Effect.as(
          warn(`retention not applied: ${
            e._tag === "LockLost" ? `another Ferry run took over the lock ${e.path} after this archive was published; nothing was removed` : e.message
          }`),
          null
        ))
    )
    const stats = yield* spent
    return {
      service: source.service,
      archive: result.path,
      account,
      entities: result.counts,
      bytes: result.bytes,
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      retries: stats.retries,
      durationMs: (yield* Clock.currentTimeMillis) - started,
      warnings: [...warnings.values()],
      carriedOver: previous === undefined
        ? null
        : { from: previous.name, units: Object.fromEntries(Object.entries(units).map(([k, v]) => [k, v.length])), lines },
      pruned
    }
  }))
