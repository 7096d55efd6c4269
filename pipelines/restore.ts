/**
 * `ferry restore`: an archive re-created in a target account, in dependency order. The archive
 * is verified first, so a corrupt, truncated or foreign one stops the run before any write.
 * Decide first, then act: `--dry-run` prints the plan and sends no write.
 */
import type { FileSystem, Path } from "@effect/platform"
import { Clock, Effect, Stream } from "effect"
import { readEntry, readJsonLines } from "../src/archive/reader.ts"
import {
  type ArchiveCollections,
  type Entity,
  type NotRestored,
  type RestorePlan,
  RestoreTarget,
  type ServiceName
} from "../src/connector.ts"
import { ArchiveCorrupt, type BadInput, type ConnectorError } from "../src/errors.ts"
import { isEntity } from "../src/shared/entity.ts"
import { ProgressReporter } from "./progress.ts"

export interface RestoreSummary {
  readonly archive: string
  readonly service: string
  readonly account: string
  /** Per collection: created by this run, and found already there (left by a run that was stopped). */
  readonly collections: Readonly<Record<string, { readonly created: number; readonly existing: number }>>
  readonly requests: number
  readonly rateLimited: number
  readonly durationMs: number
  /** What re-reading the target found different from the archive, modulo ids. */
  readonly differences: ReadonlyArray<string>
  /** What the source held that the target cannot (a mapping between services, a canvas), said instead of dropped. */
  readonly notCarried: ReadonlyArray<NotRestored>
  readonly warnings: ReadonlyArray<string>
}

/** The archive's data files as entity streams; a line that is not an object is corrupt. */
export const archiveCollections = (archive: string, service: ServiceName) =>
  Effect.map(Effect.context<FileSystem.FileSystem>(), (context): ArchiveCollections => ({
    service,
    read: (collection) =>
      readJsonLines(archive, `data/${collection}.jsonl`).pipe(
        Stream.mapEffect((line) =>
          isEntity(line)
            ? Effect.succeed(line as Entity)
            : Effect.fail(new ArchiveCorrupt({ archive, problems: [`data/${collection}.jsonl: a line is not an object`] }))
        ),
        Stream.provideContext(context)
      ),
    readFile: (path) => readEntry(archive, path).pipe(Stream.provideContext(context))
  }))

/** The target's plan, with what the source held that never reached the target's collections listed first. */
export const planRestore = (
  collections: ArchiveCollections,
  notCarried: ReadonlyArray<NotRestored> = []
): Effect.Effect<RestorePlan, ConnectorError | ArchiveCorrupt | BadInput, RestoreTarget> =>
  Effect.flatMap(RestoreTarget, (target) =>
    Effect.map(target.plan(collections), (plan) => ({ ...plan, notRestored: [...notCarried, ...plan.notRestored] })))

export const runRestore = (
  archive: string,
  collections: ArchiveCollections,
  notCarried: ReadonlyArray<NotRestored> = []
): Effect.Effect<RestoreSummary, ConnectorError | ArchiveCorrupt | BadInput, RestoreTarget | ProgressReporter | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const target = yield* RestoreTarget
    const progress = yield* ProgressReporter
    const started = yield* Clock.currentTimeMillis
    const before = yield* target.stats
    const account = yield* target.account
    const done: Record<string, { created: number; existing: number }> = {}
    const warnings: Array<string> = []
    yield* target.restore(collections).pipe(
      Stream.runForEach((event) => {
        switch (event._tag) {
          case "Done":
            done[event.collection] = { created: event.created, existing: event.existing }
            return Effect.void
          case "Warning":
            warnings.push(event.message)
            return progress.warn(event.message)
          case "Secret": {
            // Contract: shown once on the terminal, never written anywhere (a redirected stderr is a file).
            if (process.stderr.isTTY) {
              return Effect.sync(() => process.stderr.write(`${event.label}: new secret ${event.value} (shown once, stored nowhere)\n`))
            }
            const message = `${event.label}: re-created; its new secret is shown only on a terminal, or in the service`
            warnings.push(message)
            return progress.warn(message)
          }
          case "Progress":
            return Effect.flatMap(target.stats, (s) => progress.update(event.unit, event.done, event.total, s.requests - before.requests))
        }
      })
    )
    const differences = yield* target.check(collections)
    const after = yield* target.stats
    return {
      archive,
      service: target.service,
      account,
      collections: done,
      requests: after.requests - before.requests,
      rateLimited: after.rateLimited - before.rateLimited,
      durationMs: (yield* Clock.currentTimeMillis) - started,
      differences,
      notCarried,
      warnings
    }
  })
