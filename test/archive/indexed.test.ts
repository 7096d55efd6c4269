import { FileSystem } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it, layer } from "@effect/vitest"
import { Chunk, Duration, Effect, Either, Stream, TestClock } from "effect"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, readdirSync, readlinkSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import * as tar from "tar"
import { COLLECTIONS } from "../../src/archive/collections.ts"
import { type IndexSpec, makeIndexer, openIndexed } from "../../src/archive/indexed.ts"
import { hostHash, LEFTOVER_AGE, removeLeftoverWorkFolders, workFolderPrefix } from "../../src/archive/work-folder.ts"
import type { Manifest } from "../../src/archive/manifest.ts"
import { readManifest } from "../../src/archive/reader.ts"
import { openArchive } from "../../src/archive/writer.ts"
import { ArchiveCorrupt } from "../../src/errors.ts"

const tempFolder = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ferry-indexed-test-" }))

/** A pid that certainly belonged to a process of this host and is certainly over now. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  expect(child.status).toBe(0)
  return child.pid
}

const HOST = hostHash(hostname())
const DAY = 24 * 60 * 60_000

/** A folder with a file in it, its mtime at `mtimeMs` when given. */
const folderAt = (dir: string, name: string, mtimeMs?: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const full = join(dir, name)
    yield* fs.makeDirectory(full)
    yield* fs.writeFileString(join(full, "0"), "extracted bytes\n")
    if (mtimeMs !== undefined) yield* fs.utimes(full, new Date(mtimeMs), new Date(mtimeMs))
    return full
  })

const listDir = (dir: string) => Effect.map(Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory(dir)), (names) => [...names].sort())
const workFolders = (dir: string) => Effect.map(listDir(dir), (names) => names.filter((n) => n.startsWith(".ferry-indexed-")))

/**
 * An archive from the real writer. Cards of two spaces interleaved, so a space's lines are in
 * several byte ranges; a document and an attachment-like member to keep.
 */
const archiveIn = (dir: string) =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* openArchive({
      service: "kinopio",
      collections: COLLECTIONS.kinopio,
      outDir: dir,
      format: "zip",
      createdAt: new Date("2026-11-22T03:00:00.000Z"),
      apiUrl: "https://api.kinopio.club",
      secrets: []
    })
    yield* session.append("user", [{ id: "u1", name: "Ada" }])
    yield* session.append("spaces", [{ id: "s1", name: "One" }, { id: "s2", name: "Two" }])
    yield* session.append("cards", [
      { id: "c1", spaceId: "s1", name: "first of one" },
      { id: "c2", spaceId: "s1", name: "second of one" },
      { id: "c3", spaceId: "s2", name: "first of two" },
      { id: "c4", spaceId: "s1", name: "third of one, after a card of two" },
      { id: "c5", spaceId: 7, name: "a number as key" }
    ])
    yield* session.document("markdown/One-s1.md", "# One\n")
    return (yield* session.complete("u1")).path
  }))

const SPEC: IndexSpec = { index: { cards: "spaceId", spaces: "id" }, files: (p) => p.startsWith("markdown/") }

const corruptOf = <A>(result: Either.Either<A, unknown>): ArchiveCorrupt => {
  if (Either.isRight(result)) return expect.fail("expected ArchiveCorrupt, the archive opened")
  expect(result.left).toBeInstanceOf(ArchiveCorrupt)
  return result.left as ArchiveCorrupt
}

layer(NodeContext.layer)("removeLeftoverWorkFolders", (it) => {
  it.scoped("removes a leftover of an ended pid of this host; keeps a live pid's, this process's and anything else", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempFolder
      const dead = deadPid()
      const leftover = yield* folderAt(dir, `.ferry-indexed-${dead}-${HOST}-a1B2c3`)
      const staging = yield* folderAt(dir, `.ferry-staging-${dead}-${HOST}-a1B2c3`) // the writer's, same rules
      yield* folderAt(dir, `.ferry-indexed-1-${HOST}-a1B2c3`) // pid 1 always runs
      yield* folderAt(dir, `${workFolderPrefix()}Zz9Zz9`) // this process's: another open of it is using it
      // Near misses of the pattern, and other things of the folder: never touched.
      const kept = [
        `.ferry-indexed-${dead}-${HOST}-a1B2c`, // 5 random characters
        `.ferry-indexed-${dead}-${HOST}-a1B2c3-x`,
        `.ferry-indexed-${dead}-${HOST.slice(0, 7)}g-a1B2c3`, // not a host hash
        `.ferry-indexed-0-${HOST}-a1B2c3`,
        `.ferry-indexed-notes`,
        `ferry-indexed-${dead}-${HOST}-a1B2c3`
      ]
      for (const name of kept) yield* folderAt(dir, name, Date.now() - 30 * DAY)
      // A file, and a link to a folder, under a dead pid's work folder name.
      yield* fs.writeFileString(join(dir, `.ferry-indexed-${dead}-${HOST}-file00`), "not a folder")
      const target = yield* folderAt(dir, "elsewhere")
      yield* fs.symlink(target, join(dir, `.ferry-indexed-${dead}-${HOST}-link00`))
      yield* fs.writeFileString(join(dir, "kinopio-20261122T030000Z.zip"), "an archive")
      yield* fs.writeFileString(join(dir, ".ferry-0123456789abcdef.lock"), "{}")
      const before = yield* listDir(dir)

      const removed = yield* removeLeftoverWorkFolders(dir)
      expect([...removed].sort()).toEqual([leftover, staging].sort())
      expect(yield* listDir(dir)).toEqual(
        before.filter((n) => n !== `.ferry-indexed-${dead}-${HOST}-a1B2c3` && n !== `.ferry-staging-${dead}-${HOST}-a1B2c3`)
      )
      expect(yield* fs.readDirectory(target)).toEqual(["0"]) // the link's target is whole
      expect(yield* removeLeftoverWorkFolders(dir)).toEqual([]) // nothing more to do
    }))

  it.scoped("another host's leftovers, and old-style ones without a pid, are removed only once a week old", () =>
    Effect.gen(function*() {
      const dir = yield* tempFolder
      const now = Math.floor(Date.now() / 1000) * 1000
      yield* TestClock.setTime(now)
      const old = now - Duration.toMillis(LEFTOVER_AGE) - 60_000
      const recent = now - 60 * 60_000
      const other = hostHash("build-1")
      yield* folderAt(dir, `.ferry-indexed-1-${other}-a1B2c3`, old) // pid 1 runs here, which says nothing of build-1
      yield* folderAt(dir, `.ferry-indexed-4242-${other}-d4E5f6`, recent)
      yield* folderAt(dir, `.ferry-indexed-Ab12Cd`, old)
      yield* folderAt(dir, `.ferry-indexed-Xy34Zw`, recent)
      // This host's live pid, however old: kept.
      yield* folderAt(dir, `.ferry-indexed-1-${HOST}-g7H8i9`, old)
      // Temporary archives of an interrupted pack: by age too.
      const fs = yield* FileSystem.FileSystem
      const tempArchive = (stamp: string) => join(dir, `.kinopio-${stamp}.zip.0f8e3c2a-1b2c-4d5e-8f90-123456789abc.tmp`)
      yield* fs.writeFileString(tempArchive("20261101T030000Z"), "partial")
      yield* fs.utimes(tempArchive("20261101T030000Z"), new Date(old), new Date(old))
      yield* fs.writeFileString(tempArchive("20261201T030000Z"), "partial")
      yield* fs.utimes(tempArchive("20261201T030000Z"), new Date(recent), new Date(recent))

      const removed = yield* removeLeftoverWorkFolders(dir)
      expect([...removed].sort()).toEqual(
        [join(dir, `.ferry-indexed-1-${other}-a1B2c3`), join(dir, ".ferry-indexed-Ab12Cd"), tempArchive("20261101T030000Z")].sort()
      )
      expect(yield* fs.exists(tempArchive("20261201T030000Z"))).toBe(true)
      expect(yield* workFolders(dir)).toEqual([`.ferry-indexed-1-${HOST}-g7H8i9`, `.ferry-indexed-4242-${other}-d4E5f6`, ".ferry-indexed-Xy34Zw"])

      // The age is an option.
      const again = yield* removeLeftoverWorkFolders(dir, { olderThan: "30 minutes" })
      expect([...again].sort()).toEqual(
        [join(dir, `.ferry-indexed-4242-${other}-d4E5f6`), join(dir, ".ferry-indexed-Xy34Zw"), tempArchive("20261201T030000Z")].sort()
      )
    }))

  it.scoped("the host and the liveness check can be given", () =>
    Effect.gen(function*() {
      const dir = yield* tempFolder
      const build = hostHash("build-1")
      yield* folderAt(dir, `.ferry-indexed-7-${build}-a1B2c3`)
      yield* folderAt(dir, `.ferry-indexed-8-${build}-a1B2c3`)
      const asked: Array<number> = []
      const removed = yield* removeLeftoverWorkFolders(dir, {
        host: "build-1",
        isAlive: (pid) => (asked.push(pid), pid === 7)
      })
      expect(removed).toEqual([join(dir, `.ferry-indexed-8-${build}-a1B2c3`)])
      expect(asked.sort()).toEqual([7, 8])
    }))

  it.scoped("a folder that cannot be listed removes nothing and does not fail", () =>
    Effect.gen(function*() {
      const dir = yield* tempFolder
      expect(yield* removeLeftoverWorkFolders(join(dir, "missing"))).toEqual([])
    }))
})

layer(NodeContext.layer)("openIndexed", (it) => {
  it.scoped("indexes data files by their field as byte ranges: a key's lines in stored order; kept members readable", () =>
    Effect.gen(function*() {
      const dir = yield* tempFolder
      const file = yield* archiveIn(dir)
      const manifest = yield* readManifest(file)
      const archive = yield* openIndexed(file, manifest, SPEC, dir)

      expect(archive.name).toBe(file.split("/").pop())
      expect(archive.createdAt).toBe("2026-11-22T03:00:00.000Z")
      expect(archive.manifest).toBe(manifest)
      expect([...archive.keys("cards")].sort()).toEqual(["7", "s1", "s2"])
      expect((yield* archive.lines("cards", "s1")).map((c) => c["id"])).toEqual(["c1", "c2", "c4"])
      expect((yield* archive.lines("cards", "s2")).map((c) => c["id"])).toEqual(["c3"])
      expect((yield* archive.lines("cards", "7")).map((c) => c["id"])).toEqual(["c5"])
      expect(yield* archive.lines("cards", "nope")).toEqual([])
      expect(yield* archive.lines("notIndexed", "s1")).toEqual([])
      expect(yield* archive.lines("spaces", "s2")).toEqual([{ id: "s2", name: "Two" }])
      expect(archive.keys("notIndexed")).toEqual([])

      expect(archive.hasFile("markdown/One-s1.md")).toBe(true)
      expect(archive.hasFile("data/user.jsonl")).toBe(false) // neither indexed nor asked for
      const bytes = yield* Stream.runCollect(archive.file("markdown/One-s1.md"))
      expect(Buffer.concat(Chunk.toReadonlyArray(bytes)).toString("utf8")).toBe("# One\n")
      const missing = yield* Effect.either(Stream.runDrain(archive.file("data/user.jsonl")))
      expect(corruptOf(missing).problems).toEqual(["data/user.jsonl is missing"])
    }))

  it.scoped("its work folder is named with this process's pid and host, and removed when the scope closes", () =>
    Effect.gen(function*() {
      const dir = yield* tempFolder
      const file = yield* archiveIn(dir)
      const manifest = yield* readManifest(file)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* openIndexed(file, manifest, SPEC, dir)
        const folders = yield* workFolders(dir)
        expect(folders).toHaveLength(1)
        expect(folders[0]).toMatch(new RegExp(`^\\.ferry-indexed-${process.pid}-${HOST}-[A-Za-z0-9]{6}$`))
        expect(folders[0]!.startsWith(workFolderPrefix())).toBe(true)
      }))
      expect(yield* workFolders(dir)).toEqual([])
    }))

  it.scoped("opening removes what a killed run left: an ended pid's work folder, not a live one's", () =>
    Effect.gen(function*() {
      const dir = yield* tempFolder
      const file = yield* archiveIn(dir)
      const manifest = yield* readManifest(file)
      const dead = `.ferry-indexed-${deadPid()}-${HOST}-a1B2c3`
      const live = `.ferry-indexed-1-${HOST}-a1B2c3`
      yield* folderAt(dir, dead)
      yield* folderAt(dir, live)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* openIndexed(file, manifest, SPEC, dir)
        const folders = yield* workFolders(dir)
        expect(folders).not.toContain(dead)
        expect(folders).toContain(live)
        expect(folders).toHaveLength(2) // the live one, and ours
      }))
      expect(yield* workFolders(dir)).toEqual([live])
    }))

  it.scoped("fails with ArchiveCorrupt when a member differs from the manifest or an indexed file is missing, and leaves no work folder", () =>
    Effect.gen(function*() {
      const dir = yield* tempFolder
      const file = yield* archiveIn(dir)
      const manifest = yield* readManifest(file)
      const open = (m: Manifest, spec: IndexSpec = SPEC) => Effect.either(Effect.scoped(openIndexed(file, m, spec, dir)))

      const tampered: Manifest = {
        ...manifest,
        files: manifest.files.map((f) => (f.path === "data/cards.jsonl" ? { ...f, sha256: "0".repeat(64) } : f))
      }
      const changed = corruptOf(yield* open(tampered))
      expect(changed.archive).toBe(file)
      expect(changed.problems).toEqual(["data/cards.jsonl does not match its manifest entry"])

      const shorter: Manifest = {
        ...manifest,
        files: manifest.files.map((f) => (f.path === "data/cards.jsonl" ? { ...f, bytes: f.bytes - 1 } : f))
      }
      expect(corruptOf(yield* open(shorter)).problems).toEqual(["data/cards.jsonl does not match its manifest entry"])

      const unlisted: Manifest = { ...manifest, files: manifest.files.filter((f) => f.path !== "markdown/One-s1.md") }
      expect(corruptOf(yield* open(unlisted)).problems).toEqual(["markdown/One-s1.md is not in the manifest"])

      const missing = corruptOf(yield* open(manifest, { index: { boards: "id" } }))
      expect(missing.problems).toEqual(["data/boards.jsonl is missing"])

      expect(yield* workFolders(dir)).toEqual([])
    }))
})

// --- reading back ----------------------------------------------------------------------------

/** Lines with their start offsets: `at[i]` is where line i starts, `at[lines.length]` the end. */
const laidOut = (lines: ReadonlyArray<string>) => {
  const at = [0]
  for (const line of lines) at.push(at[at.length - 1]! + Buffer.byteLength(line, "utf8"))
  return { bytes: Buffer.from(lines.join(""), "utf8"), at }
}

/**
 * Every shape a data file line can take: LF and CRLF endings, blank lines, a key as a number,
 * lines without the key or with one of another type, values that are not objects, a key's
 * lines next to each other and interleaved with another key's, multi-byte characters, and a
 * last line without a line ending.
 */
const SHAPES = [
  `{"id":"a","spaceId":"s1","name":"🦊 fox"}\r\n`, // 0
  `{"id":"b","spaceId":"s1"}\n`, // 1: right after a, one range
  `\n`, // 2: blank
  `{"id":"c","spaceId":"s1"}\n`, // 3
  `{"id":"d","spaceId":"s2","name":"é"}\r\n`, // 4
  `{"id":"e","spaceId":"s1"}\n`, // 5: s1 again after s2
  `{"id":"f"}\n`, // 6: no key
  `{"id":"g","spaceId":null}\n`, // 7
  `{"id":"h","spaceId":{"id":"s1"}}\n`, // 8
  `[1,2]\n`, // 9
  `"s1"\n`, // 10
  `{"id":"i","spaceId":7}\n`, // 11: a number
  `{"id":"j","spaceId":"7"}\r\n`, // 12: the same key as text, next to it
  `   \r\n`, // 13: blank
  `{"id":"k","spaceId":"s2"}` // 14: no final line ending
]

const rangesOf = (indexer: ReturnType<typeof makeIndexer>) => Object.fromEntries(indexer.ranges)

const indexed = (chunks: ReadonlyArray<Uint8Array>) => {
  const indexer = makeIndexer("data/cards.jsonl", "spaceId")
  for (const chunk of chunks) indexer.push(chunk)
  return { problem: indexer.end(), ranges: rangesOf(indexer) }
}

describe("makeIndexer", () => {
  const { at, bytes } = laidOut(SHAPES)
  const expected = {
    s1: [[at[0], at[2]], [at[3], at[4]], [at[5], at[6]]],
    s2: [[at[4], at[5]], [at[14], at[15]]],
    "7": [[at[11], at[13]]]
  }

  it("gives each key's line ranges, line endings included: adjacent lines merged, interleaved ones kept apart in stored order", () => {
    const whole = indexed([bytes])
    expect(whole.problem).toBeUndefined()
    expect(whole.ranges).toEqual(expected)
    expect(at[15]).toBe(bytes.length) // the last range ends at the file's end, not one past it
    // Each range is exactly its lines.
    const text = (range: ReadonlyArray<number>) => bytes.subarray(range[0], range[1]).toString("utf8")
    expect(whole.ranges["s1"]!.map(text)).toEqual([SHAPES[0]! + SHAPES[1]!, SHAPES[3], SHAPES[5]])
    expect(whole.ranges["7"]!.map(text)).toEqual([SHAPES[11]! + SHAPES[12]!])
  })

  it("gives the same ranges however the bytes are cut into chunks: at any point, byte by byte, with empty chunks", () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const two = indexed([bytes.subarray(0, cut), bytes.subarray(cut)])
      expect(two, `cut at ${cut}`).toEqual({ problem: undefined, ranges: expected })
    }
    const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1))
    expect(indexed(single)).toEqual({ problem: undefined, ranges: expected })
    // A chunk that is a view into a larger buffer: only its own bytes count.
    const padded = Buffer.concat([Buffer.from("xx\n"), bytes, Buffer.from("\n{}")])
    expect(indexed([new Uint8Array(padded.buffer, padded.byteOffset + 3, bytes.length)]).ranges).toEqual(expected)
  })

  it("reports the first line that is not JSON, by member and line number, and nothing for an empty file", () => {
    const { problem } = indexed([Buffer.from(`{"spaceId":"s1"}\n\n{"spaceId":\n{oops}\n`)])
    expect(problem).toMatch(/^data\/cards\.jsonl: line 3 is not JSON \(.+\)$/)
    expect(indexed([Buffer.from(`{"spaceId":"s1"}\r\n{"spaceId":"s1"`)]).problem).toMatch(/^data\/cards\.jsonl: line 2 is not JSON/)
    expect(indexed([])).toEqual({ problem: undefined, ranges: {} })
  })
})

/** A tar.gz holding `members` exactly as given, and a manifest that matches them. */
const rawArchive = (dir: string, members: Record<string, string | Buffer>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const tree = join(dir, "tree")
    const listed: Array<{ path: string; bytes: number; sha256: string }> = []
    for (const [name, content] of Object.entries(members)) {
      const bytes = Buffer.from(content)
      yield* fs.makeDirectory(join(tree, name, ".."), { recursive: true })
      yield* fs.writeFile(join(tree, name), bytes)
      listed.push({ path: name, bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") })
    }
    const file = join(dir, "kinopio-20261122T030000Z.tar.gz")
    yield* Effect.promise(() => tar.c({ gzip: true, file, cwd: tree, portable: true }, Object.keys(members)))
    const manifest: Manifest = {
      format: "ferry-archive",
      version: 1,
      service: "kinopio",
      createdAt: "2026-11-22T03:00:00.000Z",
      source: { apiUrl: "https://api.kinopio.club", account: "u1" },
      counts: {},
      files: listed
    }
    const work = join(dir, "work")
    yield* fs.makeDirectory(work)
    return { file, manifest, work }
  })

/** What `lines` must give: the file's object lines whose field, as text, is `key`. */
const parsedLines = (text: string, field: string, key: string) =>
  text.split("\n").map((l) => l.replace(/\r$/, "")).filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as unknown).filter((v): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v) && (typeof (v as any)[field] === "string" || typeof (v as any)[field] === "number") &&
    String((v as any)[field]) === key
  )

/** The extracted copy of a member in the work folder, found by its bytes. */
const workCopy = (work: string, content: string | Buffer) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const [folder, ...more] = yield* workFolders(work)
    expect(more).toEqual([])
    const want = Buffer.from(content)
    for (const name of yield* fs.readDirectory(join(work, folder!))) {
      const path = join(work, folder!, name)
      if (Buffer.from(yield* fs.readFile(path)).equals(want)) return path
    }
    return expect.fail("no extracted copy with those bytes")
  })

/** This process's open file descriptors on `path`, removed or not (Linux's /proc), or undefined elsewhere. */
const openOn = (path: string): number | undefined => {
  if (!existsSync("/proc/self/fd")) return undefined
  let count = 0
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      if (target === path || target === `${path} (deleted)`) count++
    } catch {
      // closed meanwhile
    }
  }
  return count
}

/** A big data file: many lines of a few keys, CRLF and LF, blank lines, cut into many chunks on the way. */
const bigCards = (): string => {
  const keys: ReadonlyArray<string | number | undefined> = ["s1", "s2", "s2", 7, undefined, "s3"]
  const lines: Array<string> = []
  let seed = 42
  let key = keys[0]
  for (let i = 0; i < 5000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    if (seed % 3 === 0) key = keys[(seed >> 8) % keys.length] // runs of a key's lines, and keys interleaved
    const card = { id: `c${i}`, ...(key === undefined ? {} : { spaceId: key }), name: `card ${i} ${"ü".repeat(i % 37)}` }
    lines.push(JSON.stringify(card) + (i % 3 === 0 ? "\r\n" : "\n") + (i % 11 === 0 ? "\n" : ""))
  }
  return lines.join("") + JSON.stringify({ id: "last", spaceId: "s1" })
}

const CARDS_SPEC: IndexSpec = { index: { cards: "spaceId" } }

layer(NodeContext.layer)("openIndexed reading back", (it) => {
  it.scoped("lines gives exactly a key's object lines in stored order, from a file read in many chunks", () =>
    Effect.gen(function*() {
      const cards = bigCards()
      const { file, manifest, work } = yield* rawArchive(yield* tempFolder, { "data/cards.jsonl": cards, "data/small.jsonl": SHAPES.join("") })
      const archive = yield* openIndexed(file, manifest, { index: { cards: "spaceId", small: "spaceId" } }, work)
      expect(Buffer.byteLength(cards)).toBeGreaterThan(256 * 1024) // many chunks of the extraction (gunzip gives 16 KiB ones)
      expect([...archive.keys("cards")].sort()).toEqual(["7", "s1", "s2", "s3"])
      for (const key of ["s1", "s2", "s3", "7"]) {
        const got = yield* archive.lines("cards", key)
        expect(got, key).toEqual(parsedLines(cards, "spaceId", key))
        expect(got.length, key).toBeGreaterThan(100)
      }
      expect((yield* archive.lines("cards", "s1")).at(-1)).toEqual({ id: "last", spaceId: "s1" })

      expect([...archive.keys("small")].sort()).toEqual(["7", "s1", "s2"])
      expect((yield* archive.lines("small", "s1")).map((c) => c["id"])).toEqual(["a", "b", "c", "e"])
      expect((yield* archive.lines("small", "s1"))[0]!["name"]).toBe("🦊 fox")
      expect((yield* archive.lines("small", "s2")).map((c) => c["id"])).toEqual(["d", "k"])
      expect((yield* archive.lines("small", "7")).map((c) => c["id"])).toEqual(["i", "j"])
    }))

  it.scoped("a data file with a line that is not JSON does not open: ArchiveCorrupt naming the member and line", () =>
    Effect.gen(function*() {
      const dir = yield* tempFolder
      const { file, manifest, work } = yield* rawArchive(dir, { "data/cards.jsonl": `{"id":"c1","spaceId":"s1"}\r\n\n{"id":"c2",\n` })
      const failed = corruptOf(yield* Effect.either(Effect.scoped(openIndexed(file, manifest, CARDS_SPEC, work))))
      expect(failed.archive).toBe(file)
      expect(failed.problems).toHaveLength(1)
      expect(failed.problems[0]).toMatch(/^data\/cards\.jsonl: line 3 is not JSON \([^\n]+\)$/)
      expect(yield* workFolders(work)).toEqual([])
    }))

  it.scoped("keeps one handle per indexed data file, opened on first read, shared by concurrent reads, closed with the scope", () =>
    Effect.gen(function*() {
      const cards = bigCards()
      const spaces = `{"id":"s1"}\n{"id":"s2"}\n`
      const { file, manifest, work } = yield* rawArchive(yield* tempFolder, { "data/cards.jsonl": cards, "data/spaces.jsonl": spaces })
      const keys = ["s1", "s2", "s3", "7"]
      let cardsCopy = ""
      let spacesCopy = ""
      yield* Effect.scoped(Effect.gen(function*() {
        const archive = yield* openIndexed(file, manifest, { index: { cards: "spaceId", spaces: "id" } }, work)
        cardsCopy = yield* workCopy(work, cards)
        spacesCopy = yield* workCopy(work, spaces)
        const handles = () => ({ cards: openOn(cardsCopy), spaces: openOn(spacesCopy) })
        const linux = openOn(cardsCopy) !== undefined
        if (linux) expect(handles()).toEqual({ cards: 0, spaces: 0 }) // nothing read yet

        // Many reads at once, every one started before any ends: each gets its own lines.
        const asked = Array.from({ length: 16 }, (_, i) => keys[i % keys.length]!)
        const got = yield* Effect.forEach(asked, (key) => archive.lines("cards", key), { concurrency: "unbounded" })
        const expected = new Map(keys.map((key) => [key, parsedLines(cards, "spaceId", key)]))
        got.forEach((lines, i) => expect(lines, asked[i]).toEqual(expected.get(asked[i]!)))
        if (linux) expect(handles()).toEqual({ cards: 1, spaces: 0 })

        for (let i = 0; i < 8; i++) yield* archive.lines("cards", keys[i % keys.length]!)
        expect(yield* archive.lines("spaces", "s2")).toEqual([{ id: "s2" }])
        if (linux) expect(handles()).toEqual({ cards: 1, spaces: 1 })
      }))
      if (openOn(cardsCopy) !== undefined) expect({ cards: openOn(cardsCopy), spaces: openOn(spacesCopy) }).toEqual({ cards: 0, spaces: 0 })
      expect(yield* workFolders(work)).toEqual([])
    }))

  it.scoped("every read-back failure is an ArchiveCorrupt naming the archive and member on one line, never a defect", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const c1 = `{"id":"c1","spaceId":"s1"}`
      const c2 = `{"id":"c2","spaceId":"s2"}`
      const c3 = `{"id":"c3","spaceId":"s1"}`
      const cards = `${c1}\n${c2}\r\n${c3}\n`
      const { file, manifest, work } = yield* rawArchive(yield* tempFolder, { "data/cards.jsonl": cards })
      const problemOf = (result: Either.Either<unknown, unknown>) => {
        const failed = corruptOf(result)
        expect(failed.archive).toBe(file)
        expect(failed.problems).toHaveLength(1)
        expect(failed.problems[0]).not.toContain("\n")
        expect(failed.message).not.toContain("\n")
        return failed.problems[0]!
      }

      yield* Effect.scoped(Effect.gen(function*() {
        const archive = yield* openIndexed(file, manifest, CARDS_SPEC, work)
        const copy = yield* workCopy(work, cards)
        const read = (key: string) => Effect.either(archive.lines("cards", key))
        expect(yield* archive.lines("cards", "s1")).toEqual([JSON.parse(c1), JSON.parse(c3)]) // the handle is open now
        // The copy changes in place after indexing, its length kept: seen through the open handle.
        const rewrite = (text: string) => fs.writeFileString(copy, text)

        yield* rewrite(`${c1}\n${c2}\r\n${c3.replace("{", "x")}\n`)
        expect(problemOf(yield* read("s1"))).toMatch(
          new RegExp(`^cannot read back data/cards\\.jsonl: the line at byte ${c1.length + c2.length + 3} is not JSON \\(.+\\)$`)
        )
        expect(yield* archive.lines("cards", "s2")).toEqual([JSON.parse(c2)]) // the other key's lines are still whole

        yield* rewrite(`[${" ".repeat(c1.length - 2)}]\n${c2}\r\n${c3}\n`)
        expect(problemOf(yield* read("s1"))).toBe("cannot read back data/cards.jsonl: the line at byte 0 is not an object")

        yield* rewrite(`${c1}\n${c2.replace('"s2"', '"s9"')}\r\n${c3}\n`)
        expect(problemOf(yield* read("s2"))).toBe(
          `cannot read back data/cards.jsonl: the line at byte ${c1.length + 1} is not one of "s2"'s (its spaceId is "s9")`
        )
        yield* rewrite(`${c1}\n${c2.replace('"spaceId"', '"spaceXX"')}\r\n${c3}\n`)
        expect(problemOf(yield* read("s2"))).toContain(`is not one of "s2"'s (its spaceId is missing)`)

        // Cut short: the last line of s1 is no longer all there.
        yield* rewrite(cards.slice(0, cards.length - 5))
        expect(problemOf(yield* read("s1"))).toBe(
          `cannot read back data/cards.jsonl: it ends at byte ${cards.length - 5}, inside the lines of "s1" (bytes ${c1.length + c2.length + 3} to ${cards.length})`
        )
        yield* rewrite("")
        expect(problemOf(yield* read("s1"))).toMatch(/^cannot read back data\/cards\.jsonl: it ends at byte 0, inside the lines of "s1"/)
      }))

      // Gone before the first read: the open fails.
      yield* Effect.scoped(Effect.gen(function*() {
        const archive = yield* openIndexed(file, manifest, CARDS_SPEC, work)
        yield* fs.remove(yield* workCopy(work, cards))
        const problem = problemOf(yield* Effect.either(archive.lines("cards", "s1")))
        expect(problem).toMatch(/^cannot read back data\/cards\.jsonl \(ENOENT: .+\)$/)
        // Not remembered as open: still failing, as ArchiveCorrupt.
        expect(problemOf(yield* Effect.either(archive.lines("cards", "s2")))).toBe(problem)
        expect(yield* archive.lines("cards", "nope")).toEqual([])
      }))
    }))
})
