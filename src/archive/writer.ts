/**
 * The archive writer: entities and documents in, one complete zip or tar.gz out.
 *
 * Promises:
 * - Memory stays flat however many lines are written: lines go to staging files on disk as they
 *   arrive (batched), the CSV is derived from them by streaming, and the archive is packed by
 *   streaming those files.
 * - Secrets never reach the disk: every entity is redacted (`SECRET_FIELDS`, and the literal
 *   credentials wherever they appear) before it is written; documents are scrubbed of the literals.
 * - The archive appears under its final name only when it is complete, synced and readable by
 *   its owner only (0600); an existing archive is never overwritten. On any failure or
 *   interruption nothing is left behind: not the temporary archive, not the staging folder.
 */
import { heapGuard } from "../shared/heap.ts"
import { digestBytes } from "./digest.ts"
import { FileSystem, Path } from "@effect/platform"
import * as NodeStream from "@effect/platform-node/NodeStream"
import { ZipArchive, TarArchive, type Archiver } from "archiver"
import { Chunk, Deferred, Effect, ExecutionStrategy, Exit, Fiber, Ref, Scope, Sink, Stream } from "effect"
import { createHash, randomUUID } from "node:crypto"
import { stat } from "node:fs/promises"
import type { Entity, ServiceName } from "../connector.ts"
import { ArchiveWriteFailed } from "../errors.ts"
import { addColumns, writeCsvFromJsonl } from "../formats/csv.ts"
import { toJsonLine } from "../formats/jsonl.ts"
import { makeRedactor } from "../shared/redact.ts"
import { makeWorkFolder } from "./work-folder.ts"
import { type CarriedOver, encodeManifest, type FetchAgain, FORMAT_NAME, FORMAT_VERSION, type Manifest, MANIFEST_NAME, type ManifestFile } from "./manifest.ts"
import { isSafeEntryName } from "./safe-name.ts"

export interface ArchiveSpec {
  readonly service: ServiceName
  /** Every data file; each is written even when empty. */
  readonly collections: ReadonlyArray<string>
  /** The service folder, e.g. "output/kinopio"; created if missing. */
  readonly outDir: string
  readonly format: "zip" | "tar.gz"
  /** Also the timestamp in the file name. */
  readonly createdAt: Date
  readonly apiUrl: string
  /** Literal values (the credential) scrubbed from everything written. */
  readonly secrets: ReadonlyArray<string>
}

export interface ArchiveSession {
  /** Redacts, then appends one JSONL line per entity to `data/<collection>.jsonl`. An unknown collection fails. */
  readonly append: (collection: string, entities: ReadonlyArray<Entity>) => Effect.Effect<void, ArchiveWriteFailed>
  /**
   * Adds a document at `path` (e.g. "markdown/Name-id.md"), scrubbed of the secret literals.
   * Refuses unsafe paths, duplicates (also ones differing only in case, which collide when
   * extracted on macOS or Windows), and the writer's own members (manifest, data/, csv/<collection>.csv).
   */
  readonly document: (path: string, content: string) => Effect.Effect<void, ArchiveWriteFailed>
  /**
   * Adds binary content at `path` (e.g. an attachment's bytes), streamed to disk; same path rules
   * as `document`. Not scrubbed: the bytes are kept exactly.
   */
  readonly documentBytes: <E, R>(
    path: string,
    content: Stream.Stream<Uint8Array, E, R>
  ) => Effect.Effect<void, ArchiveWriteFailed | E, R>
  /**
   * Derives the CSVs, writes the manifest, packs and publishes the archive. Once only.
   * `carriedOver` (an incremental backup's) and `fetchAgain` go into the manifest;
   * `beforePublish` runs once the archive is packed, just before it takes its final name.
   */
  readonly complete: <E = never>(account: string, notes?: ManifestNotes<E>) => Effect.Effect<ArchiveResult, ArchiveWriteFailed | E>
}

/** What a backup adds to the manifest besides the archive's contents, and a last check of its own. */
export interface ManifestNotes<E = never> {
  readonly carriedOver?: CarriedOver | undefined
  /** Written even when empty: an archive without it predates the field, so what it holds in part is unknown. */
  readonly fetchAgain?: FetchAgain | undefined
  /** A failure here withdraws the packed archive: nothing appears under the final name. */
  readonly beforePublish?: Effect.Effect<void, E> | undefined
}

export interface ArchiveResult {
  /** The archive's final path. */
  readonly path: string
  /** The archive file's size. */
  readonly bytes: number
  /** Lines per data file, as in the manifest. */
  readonly counts: Readonly<Record<string, number>>
  /** Members listed in the manifest (every member except manifest.json). */
  readonly files: number
}

/**
 * Opens a writing session. Its staging folder (a hidden folder inside `outDir`, on the same disk
 * as the archive) lives as long as the scope.
 */
export const openArchive = (
  spec: ArchiveSpec
): Effect.Effect<ArchiveSession, ArchiveWriteFailed, FileSystem.FileSystem | Path.Path | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const scope = yield* Effect.scope
    const failed = (where: string) => (e: { readonly message: string }) => new ArchiveWriteFailed({ path: where, reason: e.message })

    yield* validateSpec(spec)
    yield* fs.makeDirectory(spec.outDir, { recursive: true }).pipe(Effect.mapError(failed(spec.outDir)))
    const staging = yield* makeWorkFolder(spec.outDir, "staging").pipe(
      Effect.mapError(failed(spec.outDir))
    )
    yield* fs.chmod(staging, 0o700).pipe(Effect.mapError(failed(staging)))
    for (const dir of ["data", "csv", "members"]) {
      yield* fs.makeDirectory(path.join(staging, dir), { mode: 0o700 }).pipe(Effect.mapError(failed(staging)))
    }

    const redactor = makeRedactor(spec.secrets)

    // One open handle per data file, in a scope of their own so `complete` can close them.
    const handles = yield* Scope.fork(scope, ExecutionStrategy.sequential)
    const sinks = new Map<string, CollectionSink>()
    for (const collection of spec.collections) {
      const file = path.join(staging, "data", `${collection}.jsonl`)
      const handle = yield* fs.open(file, { flag: "wx", mode: 0o600 }).pipe(Scope.extend(handles), Effect.mapError(failed(file)))
      const lock = yield* Effect.makeSemaphore(1)
      sinks.set(collection, { collection, file, handle, lock, pending: [], pendingChars: 0, lines: 0, columns: new Set() })
    }

    const documents: Array<{ readonly path: string; readonly file: string }> = []
    const taken = new Set<string>()
    const state = yield* Ref.make<"open" | "completing" | "closed">("open")
    const ensureOpen = (what: string) =>
      Effect.flatMap(Ref.get(state), (s) =>
        s === "open"
          ? Effect.void
          : Effect.fail(new ArchiveWriteFailed({ path: spec.outDir, reason: `${what} after the archive was completed` })))

    const flush = (sink: CollectionSink): Effect.Effect<void, ArchiveWriteFailed> =>
      Effect.suspend(() => {
        if (sink.pending.length === 0) return Effect.void
        const text = sink.pending.join("")
        sink.pending = []
        sink.pendingChars = 0
        // writeAll refuses an empty buffer ("wrote 0 bytes"): an empty batch has nothing to write.
        if (text === "") return Effect.void
        return sink.handle.writeAll(Buffer.from(text, "utf8")).pipe(Effect.mapError(failed(sink.file)))
      })

    const append = (collection: string, entities: ReadonlyArray<Entity>): Effect.Effect<void, ArchiveWriteFailed> =>
      Effect.gen(function*() {
        const sink = sinks.get(collection)
        if (sink === undefined) {
          return yield* new ArchiveWriteFailed({
            path: `data/${collection}.jsonl`,
            reason: `"${collection}" is not one of this archive's collections (${spec.collections.join(", ")})`
          })
        }
        yield* sink.lock.withPermits(1)(Effect.gen(function*() {
          yield* ensureOpen(`appending to ${collection}`) // under the lock: complete flushes under it too
          const text = yield* Effect.try({
            try: () => {
              let out = ""
              for (const entity of entities) {
                const clean = redactor.entity(entity)
                addColumns(sink.columns, clean)
                out += toJsonLine(clean)
              }
              return out
            },
            catch: (cause) =>
              new ArchiveWriteFailed({ path: sink.file, reason: `an entity cannot be written as JSON: ${String(cause)}` })
          })
          sink.pending.push(text)
          sink.pendingChars += text.length
          sink.lines += entities.length
          if (sink.pendingChars >= FLUSH_CHARS) yield* flush(sink)
        }))
      })

    const reserve = (entryPath: string): Effect.Effect<string, ArchiveWriteFailed> =>
      Effect.gen(function*() {
        yield* ensureOpen(`adding ${entryPath}`)
        const refuse = (reason: string) => Effect.fail(new ArchiveWriteFailed({ path: entryPath, reason }))
        if (!isSafeEntryName(entryPath) || entryPath.endsWith("/")) {
          return yield* refuse("not a safe archive path (relative, no .., no backslash, colon or control character)")
        }
        if (entryPath === MANIFEST_NAME || entryPath.startsWith("data/") || reservedCsv.has(entryPath)) {
          return yield* refuse("is written by the archive writer itself")
        }
        const key = entryPath.normalize("NFC").toLowerCase()
        if (taken.has(key)) return yield* refuse("was already added (names may not differ only in case)")
        taken.add(key)
        const file = path.join(staging, "members", String(documents.length + 1).padStart(6, "0"))
        documents.push({ path: entryPath, file })
        return file
      })
    const reservedCsv = new Set(spec.collections.map((c) => `csv/${c}.csv`))

    // A member that could not be written whole is withdrawn, so the archive never lists half a file.
    const withdraw = (entryPath: string, file: string) =>
      Effect.zipRight(
        Effect.sync(() => {
          const at = documents.findIndex((d) => d.file === file)
          if (at !== -1) documents.splice(at, 1)
          taken.delete(entryPath.normalize("NFC").toLowerCase())
        }),
        Effect.ignore(fs.remove(file))
      )

    const document = (entryPath: string, content: string): Effect.Effect<void, ArchiveWriteFailed> =>
      Effect.flatMap(reserve(entryPath), (file) =>
        fs.writeFileString(file, redactor.text(content), { flag: "wx", mode: 0o600 }).pipe(
          Effect.mapError(failed(file)),
          Effect.onError(() => withdraw(entryPath, file))
        ))

    const documentBytes = <E, R>(
      entryPath: string,
      content: Stream.Stream<Uint8Array, E, R>
    ): Effect.Effect<void, ArchiveWriteFailed | E, R> =>
      Effect.flatMap(reserve(entryPath), (file) =>
        Stream.run(content, fs.sink(file, { flag: "wx", mode: 0o600 }).pipe(Sink.mapError(failed(file)))).pipe(
          Effect.onError(() => withdraw(entryPath, file))
        ))

    const complete = <E = never>(account: string, notes: ManifestNotes<E> = {}): Effect.Effect<ArchiveResult, ArchiveWriteFailed | E> =>
      Effect.gen(function*() {
        const previous = yield* Ref.getAndUpdate(state, (s) => (s === "open" ? "completing" : s))
        if (previous !== "open") {
          return yield* new ArchiveWriteFailed({ path: spec.outDir, reason: "complete was called twice" })
        }
        // Data files: flush, sync, close.
        for (const sink of sinks.values()) {
          yield* sink.lock.withPermits(1)(flush(sink).pipe(
            Effect.zipRight(sink.handle.sync.pipe(Effect.mapError(failed(sink.file))))
          ))
        }
        yield* Scope.close(handles, Exit.void)

        // CSV from each data file (the columns were collected while appending: one pass, not two).
        const csvFiles: Array<{ readonly path: string; readonly file: string }> = []
        for (const sink of sinks.values()) {
          const file = path.join(staging, "csv", `${sink.collection}.csv`)
          yield* writeCsvFromJsonl(sink.file, file, { columns: [...sink.columns] })
          csvFiles.push({ path: `csv/${sink.collection}.csv`, file })
        }

        // Bytes, sha256 and line counts of every member, read back from disk.
        const dataFiles = [...sinks.values()].map((s) => ({ path: `data/${s.collection}.jsonl`, file: s.file, sink: s }))
        const members: ReadonlyArray<{ readonly path: string; readonly file: string; readonly sink?: CollectionSink }> = [
          ...dataFiles,
          ...csvFiles,
          ...documents
        ]
        const files: Array<ManifestFile> = []
        const counts: Record<string, number> = {}
        for (const member of members) {
          const digest = yield* digestFile(member.file)
          files.push({ path: member.path, bytes: digest.bytes, sha256: digest.sha256 })
          const sink = member.sink
          if (sink === undefined) continue // counts are for data files only
          if (digest.lines !== sink.lines) {
            return yield* new ArchiveWriteFailed({
              path: sink.file,
              reason: `holds ${digest.lines} lines where ${sink.lines} entities were appended`
            })
          }
          counts[sink.collection] = digest.lines
        }
        const manifest: Manifest = {
          format: FORMAT_NAME,
          version: FORMAT_VERSION,
          service: spec.service,
          createdAt: spec.createdAt.toISOString(),
          source: { apiUrl: redactor.text(spec.apiUrl), account: redactor.text(account) },
          counts,
          files,
          ...(notes.carriedOver === undefined ? {} : { carriedOver: notes.carriedOver }),
          ...(notes.fetchAgain === undefined ? {} : { fetchAgain: notes.fetchAgain })
        }

        const finalBase = `${spec.service}-${fileTimestamp(spec.createdAt)}.${spec.format === "zip" ? "zip" : "tar.gz"}`
        const temp = path.join(spec.outDir, `.${finalBase}.${randomUUID()}.tmp`)
        const published = yield* pack({
          temp,
          format: spec.format,
          date: spec.createdAt,
          manifest: encodeManifest(manifest),
          members
        }).pipe(
          Effect.zipRight(notes.beforePublish ?? Effect.void),
          Effect.zipRight(publish(temp, spec.outDir, finalBase, spec.format)),
          Effect.provideService(Path.Path, path),
          // Whatever happened, no temporary archive stays behind (after success it is already gone).
          Effect.ensuring(Effect.ignore(fs.remove(temp)))
        )
        const size = yield* fs.stat(published).pipe(Effect.mapError(failed(published)))
        yield* Ref.set(state, "closed")
        return { path: published, bytes: Number(size.size), counts, files: files.length }
      }).pipe(
        Effect.provideService(FileSystem.FileSystem, fs),
        Effect.onError(() => Ref.set(state, "closed"))
      )

    return { append, document, documentBytes, complete }
  })

// --- internals ---

/** Characters of pending JSONL per collection before a write: few large writes, bounded memory. */
const FLUSH_CHARS = 256 * 1024

interface CollectionSink {
  readonly collection: string
  readonly file: string
  readonly handle: FileSystem.File
  readonly lock: Effect.Semaphore
  pending: Array<string>
  pendingChars: number
  lines: number
  readonly columns: Set<string>
}

const validateSpec = (spec: ArchiveSpec): Effect.Effect<void, ArchiveWriteFailed> => {
  const seen = new Set<string>()
  for (const collection of spec.collections) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(collection) || seen.has(collection)) {
      return Effect.fail(
        new ArchiveWriteFailed({ path: `data/${collection}.jsonl`, reason: "not a valid, distinct collection name" })
      )
    }
    seen.add(collection)
  }
  if (Number.isNaN(spec.createdAt.getTime())) {
    return Effect.fail(new ArchiveWriteFailed({ path: spec.outDir, reason: "createdAt is not a valid date" }))
  }
  return Effect.void
}

/** `2026-11-22T03:00:00.000Z` → `20261122T030000Z` (UTC). */
export const fileTimestamp = (date: Date): string => date.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "")

/** The archive name pattern: `<service>-<YYYYMMDDTHHMMSSZ>[-N].<zip|tar.gz>`. */
export const ARCHIVE_NAME = /^(kinopio|infinity)-(\d{8}T\d{6}Z)(?:-(\d+))?\.(zip|tar\.gz)$/

/** Bytes, sha256 and lines of a staged file. */
const digestFile = (file: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    digestBytes(fs.stream(file, { chunkSize: 256 * 1024 })).pipe(
      Effect.mapError((e) => new ArchiveWriteFailed({ path: file, reason: e.message }))
    ))

interface PackSpec {
  readonly temp: string
  readonly format: "zip" | "tar.gz"
  readonly date: Date
  readonly manifest: string
  readonly members: ReadonlyArray<{ readonly path: string; readonly file: string }>
}

/** Streams manifest.json, then every member from disk, into `temp` (created 0600), and syncs it. */
const pack = (spec: PackSpec): Effect.Effect<void, ArchiveWriteFailed, FileSystem.FileSystem> =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const failure = (cause: unknown) =>
      new ArchiveWriteFailed({ path: spec.temp, reason: cause instanceof Error ? cause.message : String(cause) })
    const handle = yield* fs.open(spec.temp, { flag: "wx", mode: 0o600 }).pipe(Effect.mapError(failure))
    yield* fs.chmod(spec.temp, 0o600).pipe(Effect.mapError(failure)) // whatever the umask

    const archive: Archiver = spec.format === "zip"
      ? new ZipArchive({ zlib: { level: 6 } })
      : new TarArchive({ gzip: true, gzipOptions: { level: 6 } })
    const failed = yield* Deferred.make<never, ArchiveWriteFailed>()
    const fail = (cause: unknown) => {
      Deferred.unsafeDone(failed, Exit.fail(failure(cause)))
    }
    // An 'error' without a listener would kill the process; a warning (e.g. a vanished file) is a failure too.
    archive.on("error", fail)
    archive.on("warning", fail)
    let finished = false
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (!finished) archive.abort()
      })
    )

    // Start draining before finalize: finalize resolves when archiver's stream ends, not when the file is written.
    const drain = yield* NodeStream.fromReadable<ArchiveWriteFailed, Uint8Array>(() => archive, failure).pipe(
      Stream.mapChunks((chunk) => Chunk.of<Uint8Array>(chunk.length === 1 ? Chunk.unsafeGet(chunk, 0) : Buffer.concat(Chunk.toReadonlyArray(chunk)))),
      Stream.runForEach((bytes) => {
        heapGuard.check()
        return bytes.length === 0 ? Effect.void : handle.writeAll(bytes).pipe(Effect.mapError(failure))
      }),
      Effect.fork
    )

    const entry = { date: spec.date, mode: 0o600 }
    archive.append(Buffer.from(spec.manifest, "utf8"), { ...entry, name: MANIFEST_NAME })
    for (const member of spec.members) {
      // Given its stats, archiver queues the file at once: entries keep the manifest's order
      // (otherwise its parallel stat calls reorder them). The content is still read lazily.
      const stats = yield* Effect.tryPromise({ try: () => stat(member.file), catch: failure })
      archive.file(member.file, { ...entry, name: member.path, stats })
    }
    const finalize = Effect.tryPromise({ try: () => archive.finalize(), catch: failure })
    yield* Effect.all([finalize, Fiber.join(drain)], { concurrency: 2, discard: true }).pipe(
      Effect.raceFirst(Deferred.await(failed))
    )
    finished = true
    yield* handle.sync.pipe(Effect.mapError(failure))
  }))

/**
 * Gives `temp` its final name, the first free one of `<base>`, `<base minus extension>-2.<ext>`...
 * A hard link refuses an existing name atomically, so a concurrent run cannot be overwritten;
 * where links are not supported, an existence check and a rename do.
 */
const publish = (
  temp: string,
  outDir: string,
  base: string,
  format: "zip" | "tar.gz"
): Effect.Effect<string, ArchiveWriteFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const ext = format === "zip" ? ".zip" : ".tar.gz"
    const stem = base.slice(0, -ext.length)
    const failure = (target: string) => (e: { readonly message: string }) => new ArchiveWriteFailed({ path: target, reason: e.message })
    for (let n = 1; n <= 1000; n++) {
      const target = path.join(outDir, n === 1 ? base : `${stem}-${n}${ext}`)
      const linked = yield* fs.link(temp, target).pipe(
        Effect.as("linked" as const),
        Effect.catchAll((e) =>
          e._tag === "SystemError" && e.reason === "AlreadyExists"
            ? Effect.succeed("taken" as const)
            : Effect.succeed("unsupported" as const)
        )
      )
      if (linked === "taken") continue
      if (linked === "linked") {
        yield* fs.remove(temp).pipe(Effect.mapError(failure(temp)))
        return target
      }
      if (yield* fs.exists(target).pipe(Effect.mapError(failure(target)))) continue
      yield* fs.rename(temp, target).pipe(Effect.mapError(failure(target)))
      return target
    }
    return yield* new ArchiveWriteFailed({ path: path.join(outDir, base), reason: "1000 archives already carry this timestamp" })
  }).pipe(Effect.uninterruptible)
