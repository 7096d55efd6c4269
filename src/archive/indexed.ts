/**
 * An archive opened for reading its data by key: the members asked for are extracted once, in
 * one pass, into a private work folder, and each is checked against the archive's own manifest
 * (bytes and sha256) on the way; a data file is indexed by the field its lines are looked up by
 * (`spaceId` for a Kinopio card), as byte ranges, so reading one space's lines reads just those,
 * in their stored order, and memory holds offsets, never the account. Each indexed file is read
 * through one handle, opened on first use and kept for the scope; anything read back that is not
 * what was indexed fails with `ArchiveCorrupt`. Used to copy unchanged
 * spaces from the previous archive, and to export one space at a time.
 *
 * The work folder (work-folder.ts) is removed when the scope closes, or by a later run when this
 * one was killed outright.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Scope, Stream } from "effect"
import { createHash } from "node:crypto"
import { type FileHandle, open } from "node:fs/promises"
import type { Entity } from "../connector.ts"
import { ArchiveCorrupt, type BadInput } from "../errors.ts"
import { isEntity } from "../shared/entity.ts"
import type { Manifest } from "./manifest.ts"
import { archiveEntries } from "./reader.ts"
import { makeWorkFolder } from "./work-folder.ts"

/** Which members to extract, and how to index the data files among them. */
export interface IndexSpec {
  /** Data files to index, each by the field its lines are looked up by (e.g. cards by "spaceId"). */
  readonly index: Readonly<Record<string, string>>
  /** Other members to keep (e.g. attachment bytes), by path. */
  readonly files?: (path: string) => boolean
}

export interface IndexedArchive {
  /** Its file name, e.g. "kinopio-20261122T030000Z.zip". */
  readonly name: string
  readonly createdAt: string
  /** Its manifest, as given to `openIndexed`. */
  readonly manifest: Manifest
  /**
   * The lines of an indexed data file whose field equals `key`, in stored order (none for a key
   * or a file not indexed). `ArchiveCorrupt` when they cannot be read back as they were indexed.
   */
  readonly lines: (collection: string, key: string) => Effect.Effect<ReadonlyArray<Entity>, ArchiveCorrupt>
  /** The keys an indexed data file has lines for. */
  readonly keys: (collection: string) => ReadonlyArray<string>
  /** Whether a kept member is there (and matched the manifest). */
  readonly hasFile: (path: string) => boolean
  /** A kept member's bytes. */
  readonly file: (path: string) => Stream.Stream<Uint8Array, ArchiveCorrupt>
}

type Range = [start: number, end: number]

const LF = 0x0a

/** Why a line is not JSON, on one line. */
const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!

/**
 * Line byte ranges by key, built while the bytes go by. A line's range covers its line ending
 * (LF or CRLF; the last line may have none); a key's adjacent lines make one range. Blank lines,
 * and lines that are not an object or whose field is neither a string nor a number, are not
 * indexed; a line that is not JSON is the problem `end` gives (the first one).
 */
export const makeIndexer = (member: string, field: string) => {
  const ranges = new Map<string, Array<Range>>()
  let offset = 0
  let pending: Array<Buffer> = []
  let lineStart = 0
  let lineNumber = 0
  let problem: string | undefined
  const add = (line: Buffer, start: number, end: number) => {
    lineNumber++
    const text = line.toString("utf8").replace(/\r$/, "")
    if (text.trim() === "") return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (e) {
      problem ??= `${member}: line ${lineNumber} is not JSON (${reasonOf(e)})`
      return
    }
    if (!isEntity(value)) return
    const key = value[field]
    if (typeof key !== "string" && typeof key !== "number") return
    const list = ranges.get(String(key))
    const last = list?.[list.length - 1]
    if (last !== undefined && last[1] === start) last[1] = end
    else if (list !== undefined) list.push([start, end])
    else ranges.set(String(key), [[start, end]])
  }
  return {
    ranges,
    push: (chunk: Uint8Array) => {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      let from = 0
      let at = bytes.indexOf(LF)
      while (at !== -1) {
        const piece = bytes.subarray(from, at)
        const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece])
        pending = []
        add(line, lineStart, offset + at + 1)
        lineStart = offset + at + 1
        from = at + 1
        at = bytes.indexOf(LF, from)
      }
      if (from < bytes.length) pending.push(Buffer.from(bytes.subarray(from)))
      offset += bytes.length
    },
    end: () => {
      if (pending.length > 0) add(Buffer.concat(pending), lineStart, offset)
      pending = []
      return problem
    }
  }
}

/**
 * Extracts and checks what `spec` asks for; fails with `ArchiveCorrupt` when a member is missing
 * or differs from the manifest.
 */
export const openIndexed = (
  file: string,
  manifest: Manifest,
  spec: IndexSpec,
  workDir: string
): Effect.Effect<IndexedArchive, ArchiveCorrupt | BadInput, FileSystem.FileSystem | Path.Path | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const corrupt = (problem: string) => new ArchiveCorrupt({ archive: file, problems: [problem] })
    const listed = new Map(manifest.files.map((f) => [f.path, f]))
    const dir = yield* makeWorkFolder(workDir, "indexed").pipe(
      Effect.mapError((e) => corrupt(`cannot make a work folder in ${workDir} (${e.message})`))
    )
    const indexes = new Map<string, Map<string, Array<Range>>>()
    /** The field each indexed data file is indexed by. */
    const fields = new Map<string, string>()
    const kept = new Map<string, string>()
    const wanted = (name: string) => {
      const data = /^data\/(.+)\.jsonl$/.exec(name)?.[1]
      if (data !== undefined && spec.index[data] !== undefined) return { collection: data, field: spec.index[data] }
      return spec.files?.(name) === true ? {} : undefined
    }

    yield* archiveEntries(file).pipe(Stream.runForEach((entry) =>
      Effect.gen(function*() {
        const want = entry.type === "file" && entry.safe ? wanted(entry.name) : undefined
        if (want === undefined) return
        const expected = listed.get(entry.name)
        if (expected === undefined) return yield* corrupt(`${entry.name} is not in the manifest`)
        const target = path.join(dir, `${kept.size}`)
        const indexer = "field" in want && want.field !== undefined ? makeIndexer(entry.name, want.field) : undefined
        const hash = createHash("sha256")
        let bytes = 0
        yield* entry.bytes.pipe(
          Stream.tap((chunk) =>
            Effect.sync(() => {
              hash.update(chunk)
              bytes += chunk.length
              indexer?.push(chunk)
            })
          ),
          Stream.run(fs.sink(target, { flag: "wx", mode: 0o600 })),
          Effect.mapError((e) => (e._tag === "ArchiveCorrupt" ? e : corrupt(`cannot extract ${entry.name} (${e.message})`)))
        )
        if (bytes !== expected.bytes || hash.digest("hex") !== expected.sha256) {
          return yield* corrupt(`${entry.name} does not match its manifest entry`)
        }
        const problem = indexer?.end()
        if (problem !== undefined) return yield* corrupt(problem)
        kept.set(entry.name, target)
        if (indexer !== undefined && "collection" in want && want.collection !== undefined && want.field !== undefined) {
          indexes.set(want.collection, indexer.ranges)
          fields.set(want.collection, want.field)
        }
      })
    ))
    for (const collection of Object.keys(spec.index)) {
      if (!indexes.has(collection)) return yield* corrupt(`data/${collection}.jsonl is missing`)
    }

    // One read-only handle per indexed data file, opened on first use and closed with the scope
    // (before the work folder is removed: finalizers run in reverse). Reads are positional, so
    // concurrent `lines` calls share a handle safely.
    const scope = yield* Effect.scope
    const handles = new Map<string, FileHandle>()
    const opening = yield* Effect.makeSemaphore(1)
    const handleOf = (collection: string, member: string, where: string): Effect.Effect<FileHandle, ArchiveCorrupt> =>
      Effect.suspend(() => {
        const known = handles.get(collection)
        if (known !== undefined) return Effect.succeed(known)
        return opening.withPermits(1)(Effect.suspend(() => {
          const opened = handles.get(collection)
          if (opened !== undefined) return Effect.succeed(opened)
          return Effect.acquireRelease(
            Effect.tryPromise({
              try: () => open(where, "r"),
              catch: (e) => corrupt(`cannot read back ${member} (${reasonOf(e)})`)
            }),
            (handle) => Effect.ignore(Effect.tryPromise(() => handle.close()))
          ).pipe(
            Scope.extend(scope),
            Effect.tap((handle) => handles.set(collection, handle))
          )
        }))
      })

    /** The bytes of `[start, end)`, all of them or a failure. */
    const readRange = (handle: FileHandle, member: string, key: string, [start, end]: Range) =>
      Effect.flatMap(
        Effect.tryPromise({
          try: async () => {
            const buffer = Buffer.alloc(end - start)
            let filled = 0
            while (filled < buffer.length) {
              const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled)
              if (bytesRead === 0) break
              filled += bytesRead
            }
            return buffer.subarray(0, filled)
          },
          catch: (e) => corrupt(`cannot read back ${member} (${reasonOf(e)})`)
        }),
        (bytes) =>
          bytes.length === end - start
            ? Effect.succeed(bytes)
            : Effect.fail(
              corrupt(`cannot read back ${member}: it ends at byte ${start + bytes.length}, inside the lines of ${JSON.stringify(key)} (bytes ${start} to ${end})`)
            )
      )

    const lines = (collection: string, key: string): Effect.Effect<ReadonlyArray<Entity>, ArchiveCorrupt> =>
      Effect.gen(function*() {
        const ranges = indexes.get(collection)?.get(key) ?? []
        const member = `data/${collection}.jsonl`
        const where = kept.get(member)
        const field = fields.get(collection)
        if (ranges.length === 0 || where === undefined || field === undefined) return []
        const handle = yield* handleOf(collection, member, where)
        const entities: Array<Entity> = []
        for (const range of ranges) {
          const bytes = yield* readRange(handle, member, key, range)
          // Every line of a range was indexed under `key`: anything else means the file changed.
          let from = 0
          while (from < bytes.length) {
            const at = bytes.indexOf(LF, from)
            const to = at === -1 ? bytes.length : at
            const text = bytes.toString("utf8", from, to).replace(/\r$/, "")
            const lineAt = range[0] + from
            const problem = (what: string) => corrupt(`cannot read back ${member}: the line at byte ${lineAt} ${what}`)
            from = to + 1
            let value: unknown
            try {
              value = JSON.parse(text)
            } catch (e) {
              return yield* problem(`is not JSON (${reasonOf(e)})`)
            }
            if (!isEntity(value)) return yield* problem("is not an object")
            const own = value[field]
            if ((typeof own !== "string" && typeof own !== "number") || String(own) !== key) {
              const found = typeof own === "string" || typeof own === "number"
                ? JSON.stringify(own)
                : own === undefined
                ? "missing"
                : own === null
                ? "null"
                : typeof own === "object"
                ? (Array.isArray(own) ? "an array" : "an object")
                : `a ${typeof own}`
              return yield* problem(`is not one of ${JSON.stringify(key)}'s (its ${field} is ${found})`)
            }
            entities.push(value)
          }
        }
        return entities
      })

    return {
      name: path.basename(file),
      createdAt: manifest.createdAt,
      manifest,
      lines,
      keys: (collection: string) => [...(indexes.get(collection)?.keys() ?? [])],
      hasFile: (member: string) => kept.has(member),
      file: (member: string) => {
        const where = kept.get(member)
        return where === undefined
          ? Stream.fail(corrupt(`${member} is missing`))
          : fs.stream(where).pipe(Stream.mapError((e) => corrupt(`cannot read back ${member} (${e.message})`)))
      }
    }
  })
