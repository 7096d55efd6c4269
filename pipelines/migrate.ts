/**
 * `ferry migrate <service> --to <service>`: a backup streamed into a restore, account to
 * account, with no archive: the source's collections are staged in a private temporary folder
 * that is gone when the run ends, then restored with the restore's guarantees (dependency
 * order, batching, the shared budgets, and a run stopped anywhere is simply run again). Between
 * Kinopio and Infinity, the staged collections are mapped to the target's first.
 */
import type { FileSystem, Path } from "@effect/platform"
import { Effect, Stream } from "effect"
import { openStaging } from "../src/archive/staging.ts"
import { BackupSource, type RestorePlan, RestoreTarget } from "../src/connector.ts"
import { mapArchive } from "../src/mapping/between.ts"
import { type ArchiveCorrupt, type ArchiveWriteFailed, type BadInput, type ConnectorError, isRefusal } from "../src/errors.ts"
import { ProgressReporter } from "./progress.ts"
import { planRestore, type RestoreSummary, runRestore } from "./restore.ts"

export type MigrateOutcome =
  | { readonly _tag: "Planned"; readonly plan: RestorePlan }
  | { readonly _tag: "Migrated"; readonly summary: RestoreSummary }

export const migrate = (request: { readonly secrets: ReadonlyArray<string>; readonly dryRun: boolean }): Effect.Effect<
  MigrateOutcome,
  ConnectorError | ArchiveWriteFailed | ArchiveCorrupt | BadInput,
  BackupSource | RestoreTarget | ProgressReporter | FileSystem.FileSystem | Path.Path
> =>
  Effect.scoped(Effect.gen(function*() {
    const source = yield* BackupSource
    const progress = yield* ProgressReporter
    const staging = yield* openStaging(source.service, request.secrets)
    yield* source.backup({ only: [], workspaces: [] }).pipe(
      Stream.runForEach((part) => {
        switch (part._tag) {
          case "Entities":
            return staging.append(part.collection, part.entities)
          case "Warning":
            return progress.warn(part.message)
          case "Progress":
            return Effect.flatMap(source.stats, (s) => progress.update(part.unit, part.done, part.total, s.requests))
          case "File":
            // A file the service refuses (a link expired) is reported; the restore then goes without it.
            return part.write((bytes) => staging.file(part.path, bytes)).pipe(
              Effect.catchIf(isRefusal, (e) => progress.warn(`${part.path}: not migrated, ${e.message}`))
            )
          case "Carried":
          case "FetchAgain":
          case "Document":
            return Effect.void
        }
      })
    )
    yield* progress.finish
    // Between services, the mapping goes in front: the target restores what it can hold, and the rest is listed.
    const { collections, notCarried } = yield* mapArchive(staging.collections, (yield* RestoreTarget).service)
    if (request.dryRun) return { _tag: "Planned", plan: yield* planRestore(collections, notCarried) } as const
    return { _tag: "Migrated", summary: yield* runRestore("migration", collections, notCarried) } as const
  }))
