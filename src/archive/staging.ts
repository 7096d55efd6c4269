/**
 * A backup's collections staged in a private temporary folder, for a migration: what it
 * restores from instead of an archive. Nothing here outlives the scope; no archive, manifest or
 * Markdown is made, and secrets are redacted as in an archive.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Stream } from "effect"
import type { ArchiveCollections, Entity, ServiceName } from "../connector.ts"
import { ArchiveCorrupt, ArchiveWriteFailed } from "../errors.ts"
import { parseJsonLines, toJsonLine } from "../formats/jsonl.ts"
import { isEntity } from "../shared/entity.ts"
import { makeRedactor } from "../shared/redact.ts"

export interface Staging {
  readonly append: (collection: string, entities: ReadonlyArray<Entity>) => Effect.Effect<void, ArchiveWriteFailed>
  readonly collections: ArchiveCollections
}

export const openStaging = (service: ServiceName, secrets: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "ferry-migrate-" }).pipe(
      Effect.mapError((e) => new ArchiveWriteFailed({ path: "a temporary folder", reason: e.message }))
    )
    yield* Effect.ignore(fs.chmod(dir, 0o700))
    const redactor = makeRedactor(secrets)
    const fileOf = (collection: string) => path.join(dir, `${collection.replace(/[^A-Za-z0-9_-]/g, "_")}.jsonl`)
    const append = (collection: string, entities: ReadonlyArray<Entity>) =>
      entities.length === 0
        ? Effect.void
        : fs.writeFileString(fileOf(collection), entities.map((e) => toJsonLine(redactor.entity(e))).join(""), { flag: "a", mode: 0o600 }).pipe(
          Effect.mapError((e) => new ArchiveWriteFailed({ path: fileOf(collection), reason: e.message }))
        )
    const read = (collection: string): Stream.Stream<Entity, ArchiveCorrupt> =>
      Stream.unwrap(Effect.map(fs.exists(fileOf(collection)).pipe(Effect.orElseSucceed(() => false)), (exists) =>
        exists
          ? parseJsonLines(fs.stream(fileOf(collection)), (line, reason) =>
            new ArchiveCorrupt({ archive: "the staged migration", problems: [`${collection}: line ${line} is not JSON (${reason})`] })).pipe(
              Stream.mapError((e) => (e instanceof ArchiveCorrupt ? e : new ArchiveCorrupt({ archive: "the staged migration", problems: [e.message] }))),
              Stream.filter(isEntity)
            )
          : Stream.empty))
    return { append, collections: { service, read } } satisfies Staging
  })
