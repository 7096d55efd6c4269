import { FileSystem, Path } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Exit, Fiber, Layer, Stream } from "effect"
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import Papa from "papaparse"
import { decodeManifest, type Manifest } from "../../src/archive/manifest.ts"
import { archiveEntries, readArchive, readJsonLines, readManifest } from "../../src/archive/reader.ts"
import { ARCHIVE_NAME, type ArchiveSpec, openArchive } from "../../src/archive/writer.ts"
import type { Entity } from "../../src/connector.ts"
import { csvCell, writeCsvFromJsonl } from "../../src/formats/csv.ts"

const KEY = "kin0pio-Secret+Key/42"

const spec = (outDir: string, format: "zip" | "tar.gz", overrides: Partial<ArchiveSpec> = {}): ArchiveSpec => ({
  service: "kinopio",
  collections: ["user", "spaces", "cards", "tags"],
  outDir,
  format,
  createdAt: new Date("2026-11-22T03:00:00.000Z"),
  apiUrl: "https://api.kinopio.club",
  secrets: [KEY],
  ...overrides
})

const user: Entity = { id: "u1", name: "Ada", apiKey: KEY, website: `https://x.test/?apiKey=${encodeURIComponent(KEY)}` }
const spaces: ReadonlyArray<Entity> = [
  { id: "s1", name: "Plans, \"quoted\"", collaboratorKey: "ck-1", readOnlyKey: "rk-1", isRemoved: false, boxes: [{ id: "b1" }] },
  { id: "s2", name: "日本語 ✓ émoji 🚀", collaboratorKey: null, privacy: "private", extra: { note: `url ${KEY}` } }
]
const cards = (n: number): ReadonlyArray<Entity> =>
  Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    spaceId: i % 2 === 0 ? "s1" : "s2",
    name: i % 7 === 0 ? `multi\nline\r\nfield, with "quotes" ${i}` : ` leading space ${i}`,
    x: i * 1.5,
    counted: i % 3 === 0,
    linkToSpaceCollaboratorKey: i === 3 ? "lk" : undefined,
    ...(i % 5 === 0 ? { late: null, nested: { deep: [i, "x"] } } : {})
  }))

/** Everything in the archive, name → bytes, read back through the reader (yauzl / node-tar). */
const contents = (file: string) =>
  archiveEntries(file).pipe(
    Stream.mapEffect((entry) =>
      Stream.runCollect(entry.bytes).pipe(
        Effect.map((chunks) => [entry.name, Buffer.concat(Chunk.toReadonlyArray(chunks))] as const)
      )
    ),
    Stream.runCollect,
    Effect.map((all) => new Map(Chunk.toReadonlyArray(all)))
  )

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex")

const writeSample = (outDir: string, format: "zip" | "tar.gz", cardCount = 50) =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* openArchive(spec(outDir, format))
    yield* session.append("user", [user])
    yield* session.append("spaces", spaces)
    const all = cards(cardCount)
    for (let i = 0; i < all.length; i += 20) yield* session.append("cards", all.slice(i, i + 20))
    yield* session.append("tags", []) // an empty batch (a collection the account has none of) is harmless
    yield* session.document("markdown/Plans-s1.md", `# Plans\n\nkey: ${KEY}\n`)
    yield* session.documentBytes("attachments/a1/photo.bin", Stream.make(new Uint8Array([0, 1, 2, 255])))
    return yield* session.complete("u1")
  }))

const listDir = (dir: string) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory(dir))

layer(NodeContext.layer)("openArchive", (it) => {
  for (const format of ["zip", "tar.gz"] as const) {
    it.scoped(`${format}: round-trips through the reader with a correct manifest, redacted, 0600, under its final name`, () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        const outDir = path.join(dir, "output", "kinopio") // created on demand
        const result = yield* writeSample(outDir, format)

        expect(path.basename(result.path)).toBe(`kinopio-20261122T030000Z.${format}`)
        expect(path.basename(result.path)).toMatch(ARCHIVE_NAME)
        expect(result.counts).toEqual({ user: 1, spaces: 2, cards: 50, tags: 0 })
        expect(yield* listDir(outDir)).toEqual([path.basename(result.path)]) // no temp file, no staging folder
        const info = yield* fs.stat(result.path)
        expect(info.mode & 0o777).toBe(0o600)
        expect(Number(info.size)).toBe(result.bytes)

        const members = yield* contents(result.path)
        const names = [...members.keys()]
        expect(names[0]).toBe("manifest.json")
        expect(names).toEqual([
          "manifest.json",
          "data/user.jsonl",
          "data/spaces.jsonl",
          "data/cards.jsonl",
          "data/tags.jsonl",
          "csv/user.csv",
          "csv/spaces.csv",
          "csv/cards.csv",
          "csv/tags.csv",
          "markdown/Plans-s1.md",
          "attachments/a1/photo.bin"
        ])
        expect(members.get("data/tags.jsonl")!.length).toBe(0) // empty collections are present

        // The manifest: every member but itself, with true sizes and hashes; counts = lines.
        const manifest = decodeManifest(members.get("manifest.json")!.toString("utf8"))
        expect(manifest._tag).toBe("Right")
        const m = (manifest as { right: Manifest }).right
        expect(m).toMatchObject({
          format: "ferry-archive",
          version: 1,
          service: "kinopio",
          createdAt: "2026-11-22T03:00:00.000Z",
          source: { apiUrl: "https://api.kinopio.club", account: "u1" },
          counts: { user: 1, spaces: 2, cards: 50, tags: 0 }
        })
        expect(m.files.map((f) => f.path)).toEqual(names.slice(1))
        for (const f of m.files) {
          const data = members.get(f.path)!
          expect(f.bytes).toBe(data.length)
          expect(f.sha256).toBe(sha256(data))
        }
        expect(result.files).toBe(m.files.length)
        expect(yield* readManifest(result.path)).toEqual(m)

        // Secrets: nowhere, in any member, in any form.
        for (const [name, data] of members) {
          const text = data.toString("utf8")
          expect(text, name).not.toContain(KEY)
          expect(text, name).not.toContain(encodeURIComponent(KEY))
          expect(text, name).not.toContain("ck-1")
          expect(text, name).not.toContain("rk-1")
        }
        // The JSONL keeps everything else exactly, in order, secrets replaced.
        const back = yield* Stream.runCollect(readJsonLines(result.path, "data/cards.jsonl")).pipe(Effect.map(Chunk.toReadonlyArray))
        expect(back).toEqual(
          cards(50).map((c) => JSON.parse(JSON.stringify(c.id === "c3" ? { ...c, linkToSpaceCollaboratorKey: "[redacted]" } : c)))
        )
        const [u] = yield* Stream.runCollect(readJsonLines(result.path, "data/user.jsonl")).pipe(Effect.map(Chunk.toReadonlyArray))
        expect(u).toEqual({ id: "u1", name: "Ada", apiKey: "[redacted]", website: "https://x.test/?apiKey=[redacted]" })
        expect(members.get("markdown/Plans-s1.md")!.toString()).toBe("# Plans\n\nkey: [redacted]\n")
        expect([...members.get("attachments/a1/photo.bin")!]).toEqual([0, 1, 2, 255])

        // CSV: RFC 4180 that papaparse reads back to the JSONL's values.
        for (const collection of ["spaces", "cards"]) {
          const rows = yield* Stream.runCollect(readJsonLines(result.path, `data/${collection}.jsonl`)).pipe(
            Effect.map((c) => Chunk.toReadonlyArray(c) as ReadonlyArray<Record<string, unknown>>)
          )
          const parsed = Papa.parse<Record<string, string>>(members.get(`csv/${collection}.csv`)!.toString("utf8"), { header: true })
          expect(parsed.errors).toEqual([])
          const columns: Array<string> = []
          for (const row of rows) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k)
          expect(parsed.meta.fields).toEqual(columns)
          expect(parsed.data).toEqual(rows.map((row) => Object.fromEntries(columns.map((c) => [c, csvCell(row[c])]))))
        }
        expect(members.get("csv/tags.csv")!.length).toBe(0)

        // Other tools accept the archive too.
        const tool = format === "zip" ? ["unzip", ["-tqq", result.path]] as const : ["tar", ["-tzf", result.path]] as const
        const available = (() => {
          try {
            execFileSync("which", [tool[0]], { stdio: "ignore" })
            return true
          } catch {
            return false
          }
        })()
        if (available) execFileSync(tool[0], [...tool[1]], { stdio: "pipe" })
      }))
  }

  it.scoped("never overwrites: a second archive with the same timestamp gets -2, a third -3", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const first = yield* writeSample(dir, "zip", 1)
      const second = yield* writeSample(dir, "zip", 2)
      const third = yield* writeSample(dir, "zip", 3)
      expect([first, second, third].map((r) => path.basename(r.path))).toEqual([
        "kinopio-20261122T030000Z.zip",
        "kinopio-20261122T030000Z-2.zip",
        "kinopio-20261122T030000Z-3.zip"
      ])
      for (const r of [first, second, third]) expect(path.basename(r.path)).toMatch(ARCHIVE_NAME)
      expect(first.counts["cards"]).toBe(1) // the first one is untouched
      expect((yield* readManifest(first.path)).counts["cards"]).toBe(1)
    }))

  it.scoped("refuses unsafe, duplicate and reserved document paths, and unknown collections", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const session = yield* openArchive(spec(dir, "zip"))
      const refused = (effect: Effect.Effect<void, unknown>) =>
        Effect.map(Effect.exit(effect), (exit) => Exit.isFailure(exit))
      expect(yield* refused(session.document("../evil.md", "x"))).toBe(true)
      expect(yield* refused(session.document("/etc/passwd", "x"))).toBe(true)
      expect(yield* refused(session.document("a\\b.md", "x"))).toBe(true)
      expect(yield* refused(session.document("manifest.json", "{}"))).toBe(true)
      expect(yield* refused(session.document("data/extra.jsonl", ""))).toBe(true)
      expect(yield* refused(session.document("csv/cards.csv", ""))).toBe(true)
      expect(yield* refused(session.document("markdown/A-1.md", "x"))).toBe(false)
      expect(yield* refused(session.document("markdown/A-1.md", "y"))).toBe(true)
      expect(yield* refused(session.document("markdown/a-1.md", "y"))).toBe(true)
      expect(yield* refused(session.append("nope", [{ id: "x" }]))).toBe(true)
      const result = yield* session.complete("u1")
      expect(yield* refused(session.append("cards", [{ id: "late" }]))).toBe(true)
      expect(yield* refused(session.complete("u1"))).toBe(true)
      const members = yield* contents(result.path)
      expect(members.get("markdown/A-1.md")!.toString()).toBe("x")
    }))

  it.scoped("a last check failing after packing (the lock lost) publishes nothing and leaves nothing behind", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      let checked = 0
      const error = yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* openArchive(spec(dir, "tar.gz"))
        yield* session.append("cards", cards(10))
        return yield* session.complete("u1", {
          fetchAgain: {},
          beforePublish: Effect.suspend(() => {
            checked++
            // Packed by now: the temporary archive is there, under no final name.
            return Effect.flatMap(listDir(dir).pipe(Effect.orDie, Effect.provideService(FileSystem.FileSystem, fs)), (names) =>
              names.some((n) => n.endsWith(".tmp")) ? Effect.fail("lock lost" as const) : Effect.die("checked before packing"))
          })
        })
      })).pipe(Effect.flip)
      expect(error).toBe("lock lost")
      expect(checked).toBe(1)
      expect(yield* listDir(dir)).toEqual([])
    }))

  it.scoped("a failure in the middle of packing leaves nothing behind and nothing under a final name", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const error = yield* writeSample(dir, "zip", 200).pipe(Effect.provide(failingWrites({ afterWrites: 1 })), Effect.flip)
      expect(error).toMatchObject({ _tag: "ArchiveWriteFailed", reason: "disk full (injected)" })
      expect(yield* listDir(dir)).toEqual([]) // no .tmp, no staging folder, no archive
    }))

  it.scoped("an interruption while packing leaves nothing behind", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const reached = yield* Deferred.make<void>()
      const fiber = yield* writeSample(dir, "tar.gz", 200).pipe(
        Effect.provide(failingWrites({ afterWrites: 1, hang: reached })),
        Effect.fork
      )
      yield* Deferred.await(reached) // the temp archive exists and is half written
      expect((yield* listDir(dir)).some((name) => name.endsWith(".tmp"))).toBe(true)
      yield* Fiber.interrupt(fiber)
      expect(yield* listDir(dir)).toEqual([])
    }))

  it.scoped("a failing append fails the session without leaving anything", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const exit = yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* openArchive(spec(dir, "zip"))
        yield* session.append("cards", [{ id: "ok" }])
        yield* session.append("cards", [{ id: "bad", size: 1n }])
        return yield* session.complete("u1")
      })).pipe(Effect.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      expect(yield* listDir(dir)).toEqual([])
    }))
})

layer(NodeContext.layer)("reader", (it) => {
  for (const format of ["zip", "tar.gz"] as const) {
    it.scoped(`${format}: readArchive, skipped entries, missing members, truncation`, () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const path = yield* Path.Path
        const dir = yield* fs.makeTempDirectoryScoped()
        // The name says zip, the content is whatever format: the reader sniffs, it does not trust names.
        const result = yield* writeSample(dir, format, 300)
        const misnamed = path.join(dir, "archive.bin")
        yield* fs.copyFile(result.path, misnamed)

        const opened = yield* readArchive(misnamed)
        expect(opened.format).toBe(format)
        expect(opened.manifest._tag).toBe("Right")

        // Reading only some entries' bytes: the others are skipped, and what is read is whole.
        const all = yield* contents(misnamed)
        const some = yield* opened.entries.pipe(
          Stream.zipWithIndex,
          Stream.mapEffect(([entry, i]) =>
            i % 2 === 0
              ? Effect.succeed(undefined)
              : Effect.map(Stream.runCollect(entry.bytes), (c) => [entry.name, Buffer.concat(Chunk.toReadonlyArray(c))] as const)
          ),
          Stream.runCollect,
          Effect.map((c) => Chunk.toReadonlyArray(c).filter((x) => x !== undefined))
        )
        expect(some.length).toBe(5)
        for (const [name, data] of some) expect(data.equals(all.get(name)!)).toBe(true)
        expect((yield* Stream.runCollect(opened.entries)).pipe(Chunk.map((e) => e.safe), Chunk.toReadonlyArray)).not.toContain(false)

        const missing = yield* Stream.runCollect(readJsonLines(misnamed, "data/nope.jsonl")).pipe(Effect.flip)
        expect(missing).toMatchObject({ _tag: "ArchiveCorrupt", problems: ["data/nope.jsonl is missing"] })

        // A cut archive never reads as a shorter, clean one: reading it to the end fails.
        const bytes = yield* fs.readFile(result.path)
        const cut = path.join(dir, "cut")
        yield* fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)))
        const failure = yield* archiveEntries(cut).pipe(
          Stream.runForEach((entry) => Stream.runDrain(entry.bytes)),
          Effect.flip
        )
        expect(failure._tag).toBe("ArchiveCorrupt")
        expect(failure.message).toMatch(/truncated/)
      }))
  }

  it.scoped("CSV from a JSONL file in two passes: columns in first-seen order, RFC 4180", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const jsonl = path.join(dir, "x.jsonl")
      const csv = path.join(dir, "x.csv")
      const rows = [
        { id: "1", name: "plain" },
        { id: "2", note: "a, b", nested: { a: [1, 2] }, flag: true },
        { name: "=SUM(A1)", n: 1.5, empty: null, id: "3", quote: "say \"hi\"\r\nnext" }
      ]
      yield* fs.writeFileString(jsonl, rows.map((r) => JSON.stringify(r)).join("\n") + "\n")
      const summary = yield* writeCsvFromJsonl(jsonl, csv)
      expect(summary).toEqual({ rows: 3, columns: ["id", "name", "note", "nested", "flag", "n", "empty", "quote"] })
      const text = yield* fs.readFileString(csv)
      expect(text.split("\r\n")[0]).toBe("id,name,note,nested,flag,n,empty,quote")
      const parsed = Papa.parse<Record<string, string>>(text, { header: true })
      expect(parsed.errors).toEqual([])
      expect(parsed.data).toEqual([
        { id: "1", name: "plain", note: "", nested: "", flag: "", n: "", empty: "", quote: "" },
        { id: "2", name: "", note: "a, b", nested: "{\"a\":[1,2]}", flag: "true", n: "", empty: "", quote: "" },
        { id: "3", name: "=SUM(A1)", note: "", nested: "", flag: "", n: "1.5", empty: "", quote: "say \"hi\"\r\nnext" }
      ])
      const bad = path.join(dir, "bad.jsonl")
      yield* fs.writeFileString(bad, "{\"id\":1}\nnot json\n")
      const error = yield* writeCsvFromJsonl(bad, csv).pipe(Effect.flip)
      expect(error.reason).toMatch(/^line 2 is not JSON/)
    }))
})

// --- helpers ---

/**
 * The real file system, except that writes to the temporary archive (`*.tmp`) fail after
 * `afterWrites` writes, or, with `hang`, signal it and then never finish (to be interrupted).
 */
const failingWrites = (options: { readonly afterWrites: number; readonly hang?: Deferred.Deferred<void> }) =>
  Layer.effect(
    FileSystem.FileSystem,
    Effect.map(FileSystem.FileSystem, (real) => {
      let writes = 0
      const open: FileSystem.FileSystem["open"] = (file, openOptions) =>
        Effect.map(real.open(file, openOptions), (handle) => {
          if (!file.endsWith(".tmp")) return handle
          return new Proxy(handle, {
            get(target, key) {
              if (key === "writeAll") {
                return (bytes: Uint8Array) =>
                  Effect.suspend((): Effect.Effect<void, unknown> => {
                    writes++
                    if (writes <= options.afterWrites) return target.writeAll(bytes)
                    if (options.hang !== undefined) return Effect.zipRight(Deferred.succeed(options.hang, undefined), Effect.never)
                    return Effect.fail(
                      new (class extends Error {
                        readonly _tag = "SystemError"
                      })("disk full (injected)")
                    )
                  })
              }
              const value = Reflect.get(target, key, target)
              return typeof value === "function" ? value.bind(target) : value
            }
          })
        })
      return { ...real, open }
    })
  ).pipe(Layer.provide(NodeContext.layer))
