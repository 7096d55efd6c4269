/**
 * A backup's collections staged in a private temporary folder, for a migration: what it
 * restores from instead of an archive. Nothing here outlives the scope; no archive, manifest or
 * Markdown is made, and secrets are redacted as in an archive.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Sink, Stream } from "effect"
import type { ArchiveCollections, Entity, ServiceName } from "../connector.ts"
import { ArchiveCorrupt, ArchiveWriteFailed } from "../errors.ts"
import { parseJsonLines, toJsonLine } from "../formats/jsonl.ts"
import { isEntity } from "../shared/entity.ts"
import { makeRedactor } from "../shared/redact.ts"

export interface Staging {
  readonly append: (collection: string, entities: ReadonlyArray<Entity>) => Effect.Effect<void, ArchiveWriteFailed>
  /** A file's bytes (an attachment), kept under its archive path; a failed transfer leaves nothing. */
  readonly file: <E, R>(path: string, bytes: Stream.Stream<Uint8Array, E, R>) => Effect.Effect<void, E | ArchiveWriteFailed, R>
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
    // Archive paths are safe relative paths (checked when written); flattened to one file name here.
    const fileFor = (archivePath: string) => path.join(dir, `file-${Buffer.from(archivePath).toString("base64url")}`)
    const file = <E, R>(archivePath: string, bytes: Stream.Stream<Uint8Array, E, R>) =>
      Stream.run(bytes, fs.sink(fileFor(archivePath), { mode: 0o600 }).pipe(
        Sink.mapError((e) => new ArchiveWriteFailed({ path: archivePath, reason: e.message }))
      )).pipe(Effect.onError(() => Effect.ignore(fs.remove(fileFor(archivePath)))))
    // A file the source refused was never staged: the restore goes without it, as with an archive missing it.
    const readFile = (archivePath: string): Stream.Stream<Uint8Array, ArchiveCorrupt> =>
      fs.stream(fileFor(archivePath)).pipe(
        Stream.mapError(() => new ArchiveCorrupt({ archive: "the staged migration", problems: [`${archivePath} is missing`] }))
      )
    return { append, file, collections: { service, read, readFile } } satisfies Staging
  })
