/**
 * An archive opened for reading its data by key: the members asked for are extracted once, in
 * one pass, into a private work folder, and each is checked against the archive's own manifest
 * (bytes and sha256) on the way; a data file is indexed by the field its lines are looked up by
 * (`spaceId` for a Kinopio card), as byte ranges, so reading one space's lines reads just those,
 * in their stored order, and memory holds offsets, never the account. Used to copy unchanged
 * spaces from the previous archive, and to export one space at a time.
 *
 * The work folder (work-folder.ts) is removed when the scope closes, or by a later run when this
 * one was killed outright.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Stream } from "effect"
import type { Scope } from "effect"
import { createHash } from "node:crypto"
import { open } from "node:fs/promises"
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
  /** The lines of an indexed data file whose field equals `key`, in stored order. */
  readonly lines: (collection: string, key: string) => Effect.Effect<ReadonlyArray<Entity>, ArchiveCorrupt>
  /** The keys an indexed data file has lines for. */
  readonly keys: (collection: string) => ReadonlyArray<string>
  /** Whether a kept member is there (and matched the manifest). */
  readonly hasFile: (path: string) => boolean
  /** A kept member's bytes. */
  readonly file: (path: string) => Stream.Stream<Uint8Array, ArchiveCorrupt>
}

type Range = [start: number, end: number]

/** Line byte ranges by key, built while the bytes go by. */
const makeIndexer = (member: string, field: string) => {
  const ranges = new Map<string, Array<Range>>()
  let offset = 0
  let pending: Array<Buffer> = []
  let lineStart = 0
  let problem: string | undefined
  const add = (line: Buffer, start: number) => {
    const text = line.toString("utf8").replace(/\r$/, "")
    if (text.trim() === "") return
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      problem ??= `${member}: a line is not JSON`
      return
    }
    if (!isEntity(value)) return
    const key = value[field]
    if (typeof key !== "string" && typeof key !== "number") return
    const list = ranges.get(String(key)) ?? []
    const end = start + line.length + 1
    const last = list[list.length - 1]
    if (last !== undefined && last[1] === start) last[1] = end
    else list.push([start, end])
    ranges.set(String(key), list)
  }
  return {
    ranges,
    push: (chunk: Uint8Array) => {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      let from = 0
      let at = bytes.indexOf(0x0a)
      while (at !== -1) {
        const piece = bytes.subarray(from, at)
        const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece])
        pending = []
        add(line, lineStart)
        lineStart = offset + at + 1
        from = at + 1
        at = bytes.indexOf(0x0a, from)
      }
      if (from < bytes.length) pending.push(Buffer.from(bytes.subarray(from)))
      offset += bytes.length
    },
    end: () => {
      if (pending.length > 0) add(Buffer.concat(pending), lineStart)
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
        if (indexer !== undefined && "collection" in want && want.collection !== undefined) indexes.set(want.collection, indexer.ranges)
      })
    ))
    for (const collection of Object.keys(spec.index)) {
      if (!indexes.has(collection)) return yield* corrupt(`data/${collection}.jsonl is missing`)
    }

    const lines = (collection: string, key: string) =>
      Effect.gen(function*() {
        const ranges = indexes.get(collection)?.get(key) ?? []
        const where = kept.get(`data/${collection}.jsonl`)
        if (ranges.length === 0 || where === undefined) return []
        const text = yield* Effect.tryPromise({
          try: async () => {
            const handle = await open(where, "r")
            try {
              const parts: Array<Buffer> = []
              for (const [start, end] of ranges) {
                const buffer = Buffer.alloc(end - start)
                const { bytesRead } = await handle.read(buffer, 0, buffer.length, start)
                parts.push(buffer.subarray(0, bytesRead))
              }
              return Buffer.concat(parts).toString("utf8")
            } finally {
              await handle.close()
            }
          },
          catch: (e) => corrupt(`cannot read back data/${collection}.jsonl (${e instanceof Error ? e.message : String(e)})`)
        })
        const entities: Array<Entity> = []
        for (const line of text.split("\n")) {
          const trimmed = line.replace(/\r$/, "")
          if (trimmed.trim() === "") continue
          const value: unknown = JSON.parse(trimmed)
          if (isEntity(value)) entities.push(value)
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
