/**
 * `ferry verify <ARCHIVE>`: reads the whole archive once and checks it against its manifest.
 *
 * Like restic's `check`, it reports every problem it finds before deciding: each member's bytes
 * and sha256, each data file's line count against `counts`, members missing from the archive or
 * from the manifest, unsafe entry names, and whether the archive could be read to its end. It
 * succeeds only when nothing is wrong; otherwise it fails with one `ArchiveCorrupt` listing
 * every problem (the CLI prints its one-line summary and exits 2).
 */
import { FileSystem, type Path } from "@effect/platform"
import { Effect, Either, Stream } from "effect"
import { COLLECTIONS } from "../src/archive/collections.ts"
import { type Digest, digestBytes } from "../src/archive/digest.ts"
import { type Manifest, decodeManifest, MANIFEST_NAME } from "../src/archive/manifest.ts"
import { type ArchiveEntry, type ArchiveFormat, archiveEntries, collectText, detectFormat } from "../src/archive/reader.ts"
import { isSafeEntryName } from "../src/archive/safe-name.ts"
import type { ServiceName } from "../src/connector.ts"
import { ArchiveCorrupt, type BadInput } from "../src/errors.ts"

export interface VerifyReport {
  /** The archive's path, as given. */
  readonly archive: string
  readonly format: ArchiveFormat
  readonly service: ServiceName
  readonly createdAt: string
  /** Members listed in the manifest, all present and matching (manifest.json itself not counted). */
  readonly files: number
  /** Entities per collection: the lines of each data file, equal to the manifest's counts. */
  readonly entities: Readonly<Record<string, number>>
  /** The archive file's size. */
  readonly bytes: number
}

export const verifyArchive = (
  file: string
): Effect.Effect<VerifyReport, ArchiveCorrupt | BadInput, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const format = yield* detectFormat(file) // missing, empty or foreign files stop here
    const size = Number((yield* fs.stat(file).pipe(Effect.orDie)).size)

    const problems = new Set<string>()
    const members = new Map<string, Digest>()
    let manifestText: string | undefined
    let readToEnd = false

    const inspect = (entry: ArchiveEntry): Effect.Effect<void, ArchiveCorrupt> => {
      const name = entry.name
      if (!entry.safe) {
        problems.add(`${JSON.stringify(name)}: unsafe entry name (it could escape the folder it is extracted to)`)
        return Effect.void
      }
      if (entry.type === "directory") return Effect.void
      if (entry.type !== "file") {
        problems.add(`${name}: a ${entry.type === "link" ? "link" : "special"} entry, which Ferry never writes`)
        return Effect.void
      }
      if (members.has(name) || (name === MANIFEST_NAME && manifestText !== undefined)) {
        problems.add(`${name}: appears more than once`)
        return Effect.void
      }
      const read = name === MANIFEST_NAME
        ? collectText(file, name, MAX_MANIFEST_BYTES)(entry.bytes).pipe(Effect.map((text) => {
          manifestText = text
        }))
        : digestBytes(entry.bytes).pipe(Effect.map((d) => {
          members.set(name, d)
        }))
      // In a zip, a damaged member does not keep the others from being checked; a tar.gz is one
      // stream, so damage there ends the reading (reported once, by the entry stream).
      return format === "zip"
        ? read.pipe(Effect.catchTag("ArchiveCorrupt", (e) => Effect.sync(() => e.problems.forEach((p) => problems.add(p)))))
        : read
    }

    yield* archiveEntries(file).pipe(
      Stream.runForEach(inspect),
      Effect.map(() => {
        readToEnd = true
      }),
      Effect.catchTag("ArchiveCorrupt", (e) => Effect.sync(() => e.problems.forEach((p) => problems.add(p))))
    )

    let manifest: Manifest | undefined
    if (manifestText === undefined) {
      if (readToEnd) problems.add(`${MANIFEST_NAME} is missing, not a Ferry archive`)
    } else {
      Either.match(decodeManifest(manifestText), {
        onLeft: (found) => found.forEach((p) => problems.add(p)),
        onRight: (decoded) => {
          manifest = decoded
        }
      })
    }
    if (manifest !== undefined) compare(manifest, members, readToEnd).forEach((p) => problems.add(p))

    if (problems.size > 0 || manifest === undefined) {
      return yield* new ArchiveCorrupt({ archive: file, problems: problems.size > 0 ? [...problems] : ["unreadable"] })
    }
    return {
      archive: file,
      format,
      service: manifest.service,
      createdAt: manifest.createdAt,
      files: manifest.files.length,
      entities: manifest.counts,
      bytes: size
    }
  })

// --- internals ---

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024

const DATA_FILE = /^data\/([^/]+)\.jsonl$/

/**
 * Every difference between the manifest and what was read. When the archive could not be read
 * to its end, members not reached are not reported as missing (the truncation already is).
 */
const compare = (manifest: Manifest, members: ReadonlyMap<string, Digest>, readToEnd: boolean): Array<string> => {
  const problems: Array<string> = []
  const listed = new Set<string>()
  for (const entry of manifest.files) {
    if (listed.has(entry.path)) {
      problems.push(`${entry.path}: listed more than once in the manifest`)
      continue
    }
    listed.add(entry.path)
    if (entry.path === MANIFEST_NAME) {
      problems.push(`the manifest lists itself`)
      continue
    }
    const found = members.get(entry.path)
    if (found === undefined) {
      if (readToEnd && isSafeEntryName(entry.path)) problems.push(`${entry.path}: listed in the manifest but absent`)
      if (!isSafeEntryName(entry.path)) problems.push(`${JSON.stringify(entry.path)}: the manifest lists an unsafe path`)
      continue
    }
    if (found.bytes !== entry.bytes) {
      problems.push(`${entry.path}: ${found.bytes} bytes where the manifest says ${entry.bytes}`)
    }
    if (found.sha256 !== entry.sha256) problems.push(`${entry.path}: sha256 does not match the manifest (its content changed)`)
  }
  for (const name of members.keys()) {
    if (!listed.has(name)) problems.push(`${name}: in the archive but not listed in the manifest`)
  }
  const dataFiles = new Set<string>()
  for (const [name, found] of members) {
    if (!name.startsWith("data/")) continue
    const match = DATA_FILE.exec(name)
    if (match === null) {
      problems.push(`${name}: unexpected under data/ (only <collection>.jsonl files belong there)`)
      continue
    }
    const collection = match[1]!
    dataFiles.add(collection)
    const expected = Object.hasOwn(manifest.counts, collection) ? manifest.counts[collection] : undefined
    if (expected === undefined) {
      problems.push(`${name}: has no entry in the manifest's counts`)
    } else if (expected !== found.lines) {
      problems.push(`${name}: ${found.lines} lines where the manifest's counts say ${expected}`)
    }
  }
  if (readToEnd) {
    for (const collection of Object.keys(manifest.counts)) {
      if (!dataFiles.has(collection)) {
        problems.push(`counts names ${collection}, but data/${collection}.jsonl is absent`)
      }
    }
    // Version 1 has exactly these data files, each present even when empty.
    const required: ReadonlyArray<string> = COLLECTIONS[manifest.service]
    for (const collection of required) {
      if (!dataFiles.has(collection) && !Object.hasOwn(manifest.counts, collection)) {
        problems.push(`data/${collection}.jsonl is missing (every ${manifest.service} archive has it, even when empty)`)
      }
    }
    for (const collection of dataFiles) {
      if (!required.includes(collection)) problems.push(`data/${collection}.jsonl is not a ${manifest.service} collection of format version 1`)
    }
  }
  return problems
}
