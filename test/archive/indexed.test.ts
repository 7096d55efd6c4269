import { FileSystem } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { expect, layer } from "@effect/vitest"
import { Chunk, Duration, Effect, Either, Stream, TestClock } from "effect"
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { join } from "node:path"
import { COLLECTIONS } from "../../src/archive/collections.ts"
import { type IndexSpec, openIndexed } from "../../src/archive/indexed.ts"
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
