/**
 * Reading Ferry archives (zip or tar.gz, told apart by their first bytes, not their name).
 *
 * Everything streams: entries one after the other, each entry's bytes in chunks, JSONL members
 * as values. Nothing is trusted until it has been read to its end: a truncated tar.gz only fails
 * once the damaged part is reached, so an entry stream that ends without failing is the only
 * proof that the archive was whole up to there.
 *
 * Errors: `BadInput` for a path that cannot be read at all (missing, a directory, no
 * permission); `ArchiveCorrupt` for anything wrong with the file's content (empty, garbage,
 * foreign, truncated, damaged, missing member), each problem as one line naming the member.
 */
import { FileSystem } from "@effect/platform"
import * as NodeStream from "@effect/platform-node/NodeStream"
import { Effect, Either, Option, Stream } from "effect"
import type { Scope } from "effect"
import { createReadStream } from "node:fs"
import * as zlib from "node:zlib"
import { Parser, type ReadEntry } from "tar"
import yauzl from "yauzl"
import { ArchiveCorrupt, BadInput } from "../errors.ts"
import { parseJsonLines } from "../formats/jsonl.ts"
import { decodeManifest, type Manifest, MANIFEST_NAME } from "./manifest.ts"
import { isSafeEntryName } from "./safe-name.ts"

export type ArchiveFormat = "zip" | "tar.gz"

export type EntryType = "file" | "directory" | "link" | "other"

export interface ArchiveEntry {
  /** The name as stored (zip: UTF-8 or CP437 as flagged; backslashes kept, so they can be reported). */
  readonly name: string
  /** Whether the name passes `isSafeEntryName`; an unsafe entry must never be extracted by its name. */
  readonly safe: boolean
  readonly type: EntryType
  /** The size the archive declares for the entry's content. */
  readonly size: number
  /**
   * The entry's content. Read it before pulling the next entry: tar.gz is one forward stream, so
   * once the next entry is taken, what was not read of this one is skipped and this stream dies.
   * Fails with `ArchiveCorrupt` when the content is damaged or cut short.
   */
  readonly bytes: Stream.Stream<Uint8Array, ArchiveCorrupt>
}

export interface OpenedArchive {
  readonly format: ArchiveFormat
  /** The decoded manifest, or the problems that kept it from being read. */
  readonly manifest: Either.Either<Manifest, ReadonlyArray<string>>
  /** A fresh pass over every entry (manifest.json included). */
  readonly entries: Stream.Stream<ArchiveEntry, ArchiveCorrupt | BadInput, FileSystem.FileSystem>
}

/** The format of `file`, from its magic bytes. */
export const detectFormat = (file: string): Effect.Effect<ArchiveFormat, ArchiveCorrupt | BadInput, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const cannotRead = (e: { readonly message: string; readonly reason?: string }) =>
      new BadInput({
        message: e.reason === "NotFound"
          ? `${file}: no such file`
          : e.reason === "PermissionDenied"
          ? `${file}: permission denied`
          : `${file}: cannot be read (${e.message})`
      })
    const info = yield* fs.stat(file).pipe(Effect.mapError(cannotRead))
    if (info.type !== "File") return yield* new BadInput({ message: `${file}: not a file` })
    if (Number(info.size) === 0) return yield* corrupt(file, "empty file, not a Ferry archive")
    const head = yield* Effect.scoped(
      Effect.flatMap(fs.open(file, { flag: "r" }), (handle) => handle.readAlloc(4))
    ).pipe(Effect.mapError(cannotRead))
    const bytes = Option.getOrElse(head, () => new Uint8Array(0))
    if (bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) && (bytes[3] === 0x04 || bytes[3] === 0x06)) {
      return "zip" as const
    }
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) return "tar.gz" as const
    return yield* corrupt(file, "neither a zip nor a tar.gz file, not a Ferry archive")
  })

/** Every entry of the archive, in stored order. */
export const archiveEntries = (file: string): Stream.Stream<ArchiveEntry, ArchiveCorrupt | BadInput, FileSystem.FileSystem> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const cursor = yield* openCursor(file)
      return Stream.repeatEffectOption(Effect.flatMap(cursor.next, Option.match({
        onNone: () => Effect.fail(Option.none()),
        onSome: Effect.succeed
      })).pipe(Effect.mapError((e) => (Option.isOption(e) ? e : Option.some(e)))))
    })
  )

/** The content of one member; `ArchiveCorrupt` when it is absent. */
export const readEntry = (
  file: string,
  name: string
): Stream.Stream<Uint8Array, ArchiveCorrupt | BadInput, FileSystem.FileSystem> => entryBytes(file, name, `${name} is missing`)

const entryBytes = (file: string, name: string, missing: string) =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const cursor = yield* openCursor(file)
      while (true) {
        const entry = yield* cursor.next
        if (Option.isNone(entry)) return yield* corrupt(file, missing)
        if (entry.value.name === name && entry.value.type === "file") return entry.value.bytes
      }
    })
  )

/**
 * The values of a JSONL member (e.g. `data/cards.jsonl`), one per line, streamed: memory stays
 * flat however many lines it holds. A line that is not JSON fails with `ArchiveCorrupt`.
 */
export const readJsonLines = (
  file: string,
  name: string
): Stream.Stream<unknown, ArchiveCorrupt | BadInput, FileSystem.FileSystem> =>
  parseJsonLines(readEntry(file, name), (line, reason) => corrupt(file, `${name}: line ${line} is not JSON (${reason})`))

/** manifest.json is read whole; anything larger than this is not a manifest Ferry wrote. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024

/** Reads the manifest's text (not decoded). */
export const readManifestText = (file: string): Effect.Effect<string, ArchiveCorrupt | BadInput, FileSystem.FileSystem> =>
  entryBytes(file, MANIFEST_NAME, `${MANIFEST_NAME} is missing, not a Ferry archive`).pipe(
    collectText(file, MANIFEST_NAME, MAX_MANIFEST_BYTES)
  )

/** Reads and decodes the manifest. */
export const readManifest = (file: string): Effect.Effect<Manifest, ArchiveCorrupt | BadInput, FileSystem.FileSystem> =>
  Effect.flatMap(readManifestText(file), (text) =>
    Either.match(decodeManifest(text), {
      onLeft: (problems) => Effect.fail(new ArchiveCorrupt({ archive: file, problems })),
      onRight: Effect.succeed
    }))

/** Opens an archive: its format, its manifest (or why it cannot be read), and its entries. */
export const readArchive = (file: string): Effect.Effect<OpenedArchive, ArchiveCorrupt | BadInput, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const format = yield* detectFormat(file)
    const text = yield* readManifestText(file).pipe(
      Effect.map(Either.right),
      Effect.catchTag("ArchiveCorrupt", (e) => Effect.succeed(Either.left(e.problems)))
    )
    const manifest = Either.flatMap(text, decodeManifest)
    return { format, manifest, entries: archiveEntries(file) }
  })

/** Collects a small member as UTF-8 text, refusing one larger than `maxBytes`. */
export const collectText = (file: string, name: string, maxBytes: number) =>
<E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Effect.Effect<string, E | ArchiveCorrupt, R> =>
  Effect.gen(function*() {
    const parts: Array<Uint8Array> = []
    let size = 0
    yield* Stream.runForEachWhile(bytes, (chunk) =>
      Effect.sync(() => {
        size += chunk.length
        if (size <= maxBytes) parts.push(chunk)
        return size <= maxBytes
      }))
    if (size > maxBytes) return yield* corrupt(file, `${name} is larger than ${maxBytes} bytes`)
    return Buffer.concat(parts).toString("utf8")
  })

// --- cursors: one entry at a time, for either format ---

interface Cursor {
  /** The next entry, or none once the archive has been read to its end without a problem. */
  readonly next: Effect.Effect<Option.Option<ArchiveEntry>, ArchiveCorrupt>
}

const corrupt = (file: string, ...problems: ReadonlyArray<string>) => new ArchiveCorrupt({ archive: file, problems })

const openCursor = (file: string): Effect.Effect<Cursor, ArchiveCorrupt | BadInput, FileSystem.FileSystem | Scope.Scope> =>
  Effect.flatMap(detectFormat(file), (format) => (format === "zip" ? zipCursor(file) : tarCursor(file)))

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

// zip (yauzl): the central directory lists the entries; each entry's data is opened on demand.

const zipOpenProblem = (cause: unknown): string => {
  const message = messageOf(cause)
  if (/end of central directory record signature not found/i.test(message)) {
    return "truncated or not a zip (its end-of-archive directory is missing)"
  }
  return `damaged zip (${message})`
}

const S_IFMT = 0o170000

const zipEntryType = (entry: yauzl.Entry, name: string): EntryType => {
  const unixMode = (entry.externalFileAttributes >>> 16) & S_IFMT
  if (unixMode === 0o120000) return "link"
  if (name.endsWith("/") || unixMode === 0o040000) return "directory"
  if (unixMode !== 0 && unixMode !== 0o100000) return "other"
  return "file"
}

const zipCursor = (file: string): Effect.Effect<Cursor, ArchiveCorrupt, Scope.Scope> =>
  Effect.gen(function*() {
    const zip = yield* Effect.acquireRelease(
      Effect.tryPromise({
        // decodeStrings: false turns off yauzl's own name checks, which would stop at the first
        // unsafe name; the caller judges names and reports every one.
        try: () => yauzl.openPromise(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }),
        catch: (cause) => corrupt(file, zipOpenProblem(cause))
      }),
      (zip) => Effect.sync(() => zip.close())
    )
    const iterator = zip.eachEntry()
    const next = Effect.tryPromise({
      try: () => iterator.next(),
      catch: (cause) => corrupt(file, `damaged zip directory (${messageOf(cause)})`)
    }).pipe(
      Effect.map((result): Option.Option<ArchiveEntry> => {
        if (result.done === true) return Option.none()
        const entry = result.value
        const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true)
        return Option.some({
          name,
          safe: isSafeEntryName(name),
          type: zipEntryType(entry, name),
          size: entry.uncompressedSize,
          bytes: zipBytes(file, zip, entry, name)
        })
      })
    )
    return { next }
  })

const zipBytes = (file: string, zip: yauzl.ZipFile, entry: yauzl.Entry, name: string): Stream.Stream<Uint8Array, ArchiveCorrupt> => {
  const damaged = (cause: unknown) => corrupt(file, `${name}: damaged (${messageOf(cause)})`)
  if (entry.isEncrypted()) return Stream.fail(corrupt(file, `${name}: encrypted, which Ferry never writes`))
  return Stream.suspend(() => {
    let crc = 0
    const crc32 = typeof zlib.crc32 === "function" ? zlib.crc32 : undefined
    return Stream.unwrap(
      Effect.tryPromise({ try: () => zip.openReadStreamPromise(entry), catch: damaged }).pipe(
        Effect.map((readable) => NodeStream.fromReadable<ArchiveCorrupt, Uint8Array>(() => readable, damaged))
      )
    ).pipe(
      Stream.mapChunks((chunk) => {
        if (crc32 !== undefined) for (const piece of chunk) crc = crc32(piece, crc)
        return chunk
      }),
      Stream.concat(Stream.execute(Effect.suspend(() =>
        crc32 !== undefined && crc >>> 0 !== entry.crc32 >>> 0
          ? Effect.fail(corrupt(file, `${name}: damaged (its CRC-32 does not match)`))
          : Effect.void
      )))
    )
  })
}

// tar.gz (node-tar's Parser): one forward stream. Reading is pull-driven: the source file is
// read one chunk at a time, only when the entry being read (or the search for the next entry)
// needs more, so memory stays bounded whatever the archive's size.

const tarProblem = (cause: unknown): string => {
  const message = messageOf(cause)
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : ""
  if (code === "Z_BUF_ERROR" || /unexpected end of file/i.test(message)) return "truncated (the compressed data ends early)"
  if (/Truncated input/i.test(message)) return "truncated (an entry ends early)"
  if (/Unrecognized archive format/i.test(message)) return "not a tar archive inside the gzip data"
  if (code === "Z_DATA_ERROR" || /incorrect header check|invalid (block|distance|code)/i.test(message)) {
    return `damaged compressed data (${message})`
  }
  if (/TAR_ENTRY_INVALID|checksum/i.test(message) || code === "TAR_ENTRY_INVALID") return `damaged tar header (${message})`
  return `damaged tar.gz (${message})`
}

const tarEntryType = (type: string): EntryType => {
  switch (type) {
    case "File":
    case "OldFile":
    case "ContiguousFile":
      return "file"
    case "Directory":
      return "directory"
    case "Link":
    case "SymbolicLink":
      return "link"
    default:
      return "other"
  }
}

interface TarEntryState {
  readonly name: string
  readonly type: EntryType
  readonly size: number
  chunks: Array<Buffer>
  ended: boolean
  discard: boolean
}

class TarPuller {
  private readonly source: ReturnType<typeof createReadStream>
  private readonly chunks: AsyncIterator<Buffer>
  private readonly parser: Parser
  private readonly queue: Array<TarEntryState> = []
  private readonly done: Promise<void>
  private current: TarEntryState | undefined
  private failure: unknown
  private sourceDone = false
  private finished = false

  constructor(file: string) {
    this.source = createReadStream(file, { highWaterMark: 64 * 1024 })
    this.chunks = this.source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
    this.parser = new Parser({
      strict: true, // every warning (bad checksum, truncation, not a tar) is an error
      // Ferry streams entries, so a high ratio costs time, not memory: a long run of empty CSV
      // fields compresses better than node-tar's default 1000:1 guard allows.
      maxDecompressionRatio: Number.POSITIVE_INFINITY,
      onReadEntry: (entry: ReadEntry) => this.onEntry(entry)
    })
    this.done = new Promise((resolve) => {
      const finish = () => {
        this.finished = true
        resolve()
      }
      this.parser.on("error", (cause: unknown) => {
        this.failure ??= cause
        finish()
      })
      this.parser.on("abort", (cause: unknown) => {
        this.failure ??= cause
        finish()
      })
      this.parser.on("end", finish)
      this.parser.on("close", finish)
    })
  }

  private onEntry(entry: ReadEntry): void {
    const state: TarEntryState = {
      name: entry.path,
      type: tarEntryType(entry.type),
      size: entry.size,
      chunks: [],
      ended: false,
      discard: false
    }
    entry.on("data", (chunk: Buffer) => {
      if (!state.discard) state.chunks.push(chunk)
    })
    entry.on("end", () => {
      state.ended = true
    })
    this.queue.push(state)
  }

  /** Feeds one more chunk of the file to the parser. */
  private async pump(): Promise<void> {
    if (this.finished) return
    if (this.sourceDone) return this.done
    let result: IteratorResult<Buffer>
    try {
      result = await this.chunks.next()
    } catch (cause) {
      this.failure ??= cause
      this.finished = true
      return
    }
    if (result.done === true) {
      this.sourceDone = true
      this.parser.end()
      return this.done
    }
    this.parser.write(result.value)
  }

  async next(): Promise<TarEntryState | undefined> {
    if (this.current !== undefined) {
      this.current.discard = true
      this.current.chunks = []
    }
    while (true) {
      const entry = this.queue.shift()
      if (entry !== undefined) {
        this.current = entry
        return entry
      }
      if (this.failure !== undefined) throw this.failure
      if (this.finished) return undefined
      await this.pump()
    }
  }

  async read(entry: TarEntryState): Promise<Buffer | undefined> {
    while (true) {
      if (entry !== this.current) throw new Error(`${entry.name} was read after the next entry was taken`)
      const chunk = entry.chunks.shift()
      if (chunk !== undefined) return chunk
      if (this.failure !== undefined) throw this.failure
      if (entry.ended) return undefined
      if (this.finished) throw new Error("Truncated input (the archive ends inside an entry)")
      await this.pump()
    }
  }

  close(): void {
    this.source.destroy()
    this.queue.length = 0
  }
}

const tarCursor = (file: string): Effect.Effect<Cursor, ArchiveCorrupt, Scope.Scope> =>
  Effect.gen(function*() {
    const puller = yield* Effect.acquireRelease(Effect.sync(() => new TarPuller(file)), (p) => Effect.sync(() => p.close()))
    const next = Effect.tryPromise({
      try: () => puller.next(),
      catch: (cause) => corrupt(file, tarProblem(cause))
    }).pipe(
      Effect.map((state) =>
        state === undefined ? Option.none() : Option.some<ArchiveEntry>({
          name: state.name,
          safe: isSafeEntryName(state.name),
          type: state.type,
          size: state.size,
          bytes: Stream.repeatEffectOption(
            Effect.tryPromise({
              try: () => puller.read(state),
              catch: (cause) => Option.some(corrupt(file, `${state.name}: ${tarProblem(cause)}`))
            }).pipe(Effect.flatMap((chunk) => (chunk === undefined ? Effect.fail(Option.none()) : Effect.succeed(chunk))))
          )
        })
      )
    )
    return { next }
  })
