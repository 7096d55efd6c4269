/**
 * `ferry backup`: a Source streamed into one archive. Nothing is collected: each part goes to
 * the writer as it arrives, and the archive appears under its final name only when complete.
 */
import type { FileSystem, Path } from "@effect/platform"
import { Clock, Effect, Stream } from "effect"
import { openArchive } from "../src/archive/writer.ts"
import { BackupSource } from "../src/connector.ts"
import { type ArchiveWriteFailed, type ConnectorError, isRefusal } from "../src/errors.ts"
import { heapGuard } from "../src/shared/heap.ts"
import { ProgressReporter } from "./progress.ts"

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
}

// Warnings that differ only by position ("cards[3]" vs "cards[9]") are one kind of problem.
const warningKind = (message: string) => message.replace(/\[\d+\]/g, "[]")

export const backup = (request: BackupRequest): Effect.Effect<
  BackupSummary,
  ConnectorError | ArchiveWriteFailed,
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
    const session = yield* openArchive({
      service: source.service,
      collections: source.collections,
      outDir: `${request.out.replace(/\/+$/, "")}/${source.service}`,
      format: request.format,
      createdAt: new Date(started),
      apiUrl: source.apiUrl,
      secrets: request.secrets
    })
    let account: string | undefined
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

    yield* source.backup({ only: request.only, workspaces: request.workspaces }).pipe(
      Stream.runForEach((part) => {
        switch (part._tag) {
          case "Account":
            return Effect.sync(() => {
              account = part.id
            })
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
      })
    )
    const result = yield* session.complete(account ?? "unknown")
    const stats = yield* spent
    return {
      service: source.service,
      archive: result.path,
      account: account ?? "unknown",
      entities: result.counts,
      bytes: result.bytes,
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      retries: stats.retries,
      durationMs: (yield* Clock.currentTimeMillis) - started,
      warnings: [...warnings.values()]
    }
  }))
