import { FileSystem, Path } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { expect, layer } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { crc32 } from "node:zlib"
import * as tar from "tar"
import yauzl from "yauzl"
import { COLLECTIONS } from "../../src/archive/collections.ts"
import { archiveEntries } from "../../src/archive/reader.ts"
import { openArchive } from "../../src/archive/writer.ts"
import type { ArchiveCorrupt, BadInput } from "../../src/errors.ts"
import { verifyArchive } from "../../pipelines/verify.ts"

type Members = ReadonlyArray<readonly [string, Uint8Array]>

/** A good archive from the real writer: 50 cards, 2 spaces, 1 user, empty collections, a document. */
const goodArchive = (dir: string, format: "zip" | "tar.gz") =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* openArchive({
      service: "kinopio",
      collections: COLLECTIONS.kinopio,
      outDir: dir,
      format,
      createdAt: new Date("2026-11-22T03:00:00.000Z"),
      apiUrl: "https://api.kinopio.club",
      secrets: []
    })
    yield* session.append("user", [{ id: "u1", name: "Ada" }])
    yield* session.append("spaces", [{ id: "s1", name: "One" }, { id: "s2", name: "Two" }])
    yield* session.append("cards", Array.from({ length: 50 }, (_, i) => ({ id: `c${i}`, spaceId: "s1", name: `card ${i}` })))
    yield* session.document("markdown/One-s1.md", "# One\n")
    return (yield* session.complete("u1")).path
  }))

/** Where the middle of a zip member's stored (compressed) data is. */
const dataOffset = async (file: string, name: string): Promise<number> => {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false })
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== name) continue
      const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true })
      return fileDataStart + Math.floor(entry.compressedSize / 2)
    }
    throw new Error(`${name} not found`)
  } finally {
    zip.close()
  }
}

/** Every member of an archive, in order, read back with the reader. */
const membersOf = (file: string) =>
  archiveEntries(file).pipe(
    Stream.mapEffect((e) =>
      Effect.map(Stream.runCollect(e.bytes), (c) => [e.name, new Uint8Array(Buffer.concat(Chunk.toReadonlyArray(c)))] as const)
    ),
    Stream.runCollect,
    Effect.map((c): Members => Chunk.toReadonlyArray(c))
  )

/**
 * A zip with stored (uncompressed) entries, written by hand so a test can put anything in it,
 * names archiver would clean up included.
 */
const storedZip = (members: Members): Uint8Array => {
  const locals: Array<Buffer> = []
  const centrals: Array<Buffer> = []
  let offset = 0
  for (const [name, data] of members) {
    const nameBytes = Buffer.from(name, "utf8")
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(0, 8) // stored
    local.writeUInt16LE(0, 10)
    local.writeUInt16LE(0x21, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(nameBytes.length, 26)
    local.writeUInt16LE(0, 28)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(0, 10)
    central.writeUInt16LE(0, 12)
    central.writeUInt16LE(0x21, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(data.length, 20)
    central.writeUInt32LE(data.length, 24)
    central.writeUInt16LE(nameBytes.length, 28)
    central.writeUInt32LE(offset, 42)
    locals.push(local, nameBytes, Buffer.from(data))
    centrals.push(central, nameBytes)
    offset += 30 + nameBytes.length + data.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(members.length, 8)
  end.writeUInt16LE(members.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return new Uint8Array(Buffer.concat([...locals, directory, end]))
}

const edit = (members: Members, name: string, change: (data: Uint8Array) => Uint8Array): Members =>
  members.map(([n, d]) => [n, n === name ? change(d) : d] as const)

const editManifest = (members: Members, change: (m: Record<string, any>) => void): Members =>
  edit(members, "manifest.json", (data) => {
    const manifest = JSON.parse(Buffer.from(data).toString("utf8"))
    change(manifest)
    return new Uint8Array(Buffer.from(JSON.stringify(manifest)))
  })

const flipByte = (at: number) => (data: Uint8Array) => {
  const copy = new Uint8Array(data)
  copy[at] = copy[at]! ^ 0x01
  return copy
}

const write = (file: string, bytes: Uint8Array) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFile(file, bytes))

/** The problems verify reports, expecting it to fail with ArchiveCorrupt. */
const problemsOf = (file: string) =>
  verifyArchive(file).pipe(
    Effect.flip,
    Effect.map((e: ArchiveCorrupt | BadInput) => {
      expect(e._tag).toBe("ArchiveCorrupt")
      return e._tag === "ArchiveCorrupt" ? e.problems : []
    })
  )

const setup = (format: "zip" | "tar.gz" = "zip") =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped()
    const good = yield* goodArchive(dir, format)
    const members = yield* membersOf(good)
    return { dir, path, fs, good, members, at: (name: string) => path.join(dir, name) }
  })

layer(NodeContext.layer)("verifyArchive", (it) => {
  for (const format of ["zip", "tar.gz"] as const) {
    it.scoped(`a good ${format} passes, with its counts`, () =>
      Effect.gen(function*() {
        const { fs, good } = yield* setup(format)
        const report = yield* verifyArchive(good)
        expect(report).toEqual({
          archive: good,
          format,
          service: "kinopio",
          createdAt: "2026-11-22T03:00:00.000Z",
          files: 21, // 10 data files, 10 CSV, 1 Markdown
          entities: { ...Object.fromEntries(COLLECTIONS.kinopio.map((c) => [c, 0])), user: 1, spaces: 2, cards: 50 },
          bytes: Number((yield* fs.stat(good)).size)
        })
      }))
  }

  it.scoped("a hand-made zip with the same members passes too (the check is about content, not the packer)", () =>
    Effect.gen(function*() {
      const { members, at } = yield* setup()
      yield* write(at("repacked.zip"), storedZip(members))
      expect((yield* verifyArchive(at("repacked.zip"))).entities["cards"]).toBe(50)
    }))

  it.scoped("a flipped byte in a member is a hash mismatch", () =>
    Effect.gen(function*() {
      const { members, at } = yield* setup()
      yield* write(at("flipped.zip"), storedZip(edit(members, "data/cards.jsonl", flipByte(100))))
      const problems = yield* problemsOf(at("flipped.zip"))
      expect(problems).toEqual(["data/cards.jsonl: sha256 does not match the manifest (its content changed)"])
    }))

  it.scoped("a flipped byte inside a member's packed data is caught", () =>
    Effect.gen(function*() {
      for (const format of ["zip", "tar.gz"] as const) {
        const { fs, good, at } = yield* setup(format)
        const bytes = new Uint8Array(yield* fs.readFile(good))
        // zip: the middle of data/cards.jsonl's compressed data (a flip in a header field yauzl
        // ignores, such as a timestamp, changes no content); tar.gz: anywhere, gzip has a CRC.
        const at_ = format === "zip" ? yield* Effect.promise(() => dataOffset(good, "data/cards.jsonl")) : Math.floor(bytes.length / 2)
        yield* write(at(`raw-flip.${format}`), flipByte(at_)(bytes))
        const problems = yield* problemsOf(at(`raw-flip.${format}`))
        expect(problems.length).toBeGreaterThan(0)
        if (format === "zip") expect(problems.join("; ")).toContain("data/cards.jsonl")
      }
    }))

  it.scoped("a removed member, an extra member and a wrong count are each named, all in one report", () =>
    Effect.gen(function*() {
      const { members, at } = yield* setup()
      const tampered = editManifest(
        [...members.filter(([n]) => n !== "csv/cards.csv"), ["notes.txt", new Uint8Array(Buffer.from("hi"))] as const],
        (m) => {
          m["counts"]["cards"] = 51
        }
      )
      yield* write(at("tampered.zip"), storedZip(tampered))
      const problems = yield* problemsOf(at("tampered.zip"))
      expect(problems).toEqual([
        "csv/cards.csv: listed in the manifest but absent",
        "notes.txt: in the archive but not listed in the manifest",
        "data/cards.jsonl: 50 lines where the manifest's counts say 51"
      ])
    }))

  it.scoped("a byte count that disagrees, a data file missing from counts, a count without a data file", () =>
    Effect.gen(function*() {
      const { members, at } = yield* setup()
      const tampered = editManifest(members, (m) => {
        m["files"][0]["bytes"] += 1
        delete m["counts"]["tags"]
        m["counts"]["ghosts"] = 0
      })
      yield* write(at("counts.zip"), storedZip(tampered))
      const problems = yield* problemsOf(at("counts.zip"))
      expect(problems).toContain("data/user.jsonl: 25 bytes where the manifest says 26")
      expect(problems).toContain("data/tags.jsonl: has no entry in the manifest's counts")
      expect(problems).toContain("counts names ghosts, but data/ghosts.jsonl is absent")
    }))

  it.scoped("a collection of the format dropped from archive and manifest alike, or one it does not have, is named", () =>
    Effect.gen(function*() {
      const { members, at } = yield* setup()
      const dropped = editManifest(
        [...members.filter(([n]) => n !== "data/tags.jsonl" && n !== "csv/tags.csv"), ["data/boards.jsonl", new Uint8Array()] as const],
        (m) => {
          delete m["counts"]["tags"]
          m["files"] = m["files"].filter((f: { path: string }) => f.path !== "data/tags.jsonl" && f.path !== "csv/tags.csv")
          m["files"].push({ path: "data/boards.jsonl", bytes: 0, sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" })
          m["counts"]["boards"] = 0
        }
      )
      yield* write(at("dropped.zip"), storedZip(dropped))
      expect(yield* problemsOf(at("dropped.zip"))).toEqual([
        "data/tags.jsonl is missing (every kinopio archive has it, even when empty)",
        "data/boards.jsonl is not a kinopio collection of format version 1"
      ])
    }))

  it.scoped("a manifest of another format version or service is refused", () =>
    Effect.gen(function*() {
      const { members, at } = yield* setup()
      yield* write(at("v2.zip"), storedZip(editManifest(members, (m) => {
        m["version"] = 2
      })))
      expect(yield* problemsOf(at("v2.zip"))).toEqual(["manifest.json says version 2; this Ferry reads version 1"])
      yield* write(at("svc.zip"), storedZip(editManifest(members, (m) => {
        m["service"] = "trello"
      })))
      const problems = yield* problemsOf(at("svc.zip"))
      expect(problems).toEqual(["manifest.json names service \"trello\"; this Ferry knows kinopio and infinity"])
      yield* write(at("bad.zip"), storedZip(editManifest(members, (m) => {
        m["createdAt"] = "yesterday"
        m["files"][1]["sha256"] = "xyz"
        m["counts"]["cards"] = -1
      })))
      expect(yield* problemsOf(at("bad.zip"))).toEqual([
        "manifest.json: createdAt: an ISO 8601 timestamp such as 2026-11-22T03:00:00.000Z",
        "manifest.json: counts.cards: Expected a non-negative number, actual -1",
        "manifest.json: files.1.sha256: 64 lowercase hex digits"
      ])
    }))

  it.scoped("truncated archives are refused", () =>
    Effect.gen(function*() {
      for (const format of ["zip", "tar.gz"] as const) {
        const { fs, good, at } = yield* setup(format)
        const bytes = yield* fs.readFile(good)
        for (const keep of [0.5, 0.95]) {
          const cut = at(`cut-${keep}.${format}`)
          yield* write(cut, bytes.subarray(0, Math.floor(bytes.length * keep)))
          const problems = yield* problemsOf(cut)
          expect(problems.join("; ")).toMatch(/truncated/)
        }
      }
    }))

  it.scoped("garbage, an empty file and a missing path", () =>
    Effect.gen(function*() {
      const { at } = yield* setup()
      yield* write(at("garbage.zip"), new Uint8Array(Buffer.from("this is not an archive at all, just text\n".repeat(20))))
      expect(yield* problemsOf(at("garbage.zip"))).toEqual(["neither a zip nor a tar.gz file, not a Ferry archive"])
      yield* write(at("fake.tar.gz"), new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
      expect((yield* problemsOf(at("fake.tar.gz"))).length).toBeGreaterThan(0)
      yield* write(at("empty.zip"), new Uint8Array(0))
      expect(yield* problemsOf(at("empty.zip"))).toEqual(["empty file, not a Ferry archive"])
      const missing = yield* verifyArchive(at("nope.zip")).pipe(Effect.flip)
      expect(missing._tag).toBe("BadInput")
      expect(missing.message).toContain("no such file")
    }))

  it.scoped("a foreign zip without a manifest is not a Ferry archive", () =>
    Effect.gen(function*() {
      const { at } = yield* setup()
      yield* write(at("foreign.zip"), storedZip([["README.txt", new Uint8Array(Buffer.from("hello"))]]))
      expect(yield* problemsOf(at("foreign.zip"))).toEqual(["manifest.json is missing, not a Ferry archive"])
    }))

  it.scoped("a foreign tar.gz without a manifest is not a Ferry archive", () =>
    Effect.gen(function*() {
      const { fs, dir, at } = yield* setup()
      yield* fs.makeDirectory(at("src"))
      yield* fs.writeFileString(at("src/README.txt"), "hello")
      yield* Effect.promise(() => tar.c({ gzip: true, file: at("foreign.tar.gz"), cwd: at("src"), portable: true }, ["README.txt"]))
      void dir
      expect(yield* problemsOf(at("foreign.tar.gz"))).toEqual(["manifest.json is missing, not a Ferry archive"])
    }))

  it.scoped("an entry that would escape the folder is reported by name", () =>
    Effect.gen(function*() {
      const { members, at } = yield* setup()
      const evil = [...members, ["../evil", new Uint8Array(Buffer.from("pwned"))] as const, ["/abs", new Uint8Array(1)] as const]
      yield* write(at("evil.zip"), storedZip(evil))
      const problems = yield* problemsOf(at("evil.zip"))
      expect(problems).toEqual([
        "\"../evil\": unsafe entry name (it could escape the folder it is extracted to)",
        "\"/abs\": unsafe entry name (it could escape the folder it is extracted to)"
      ])
    }))

  it.scoped("a changed member of a tar.gz is a hash mismatch", () =>
    Effect.gen(function*() {
      const { fs, members, at } = yield* setup("tar.gz")
      yield* fs.makeDirectory(at("tree"))
      for (const [name, data] of members) {
        const target = at(`tree/${name}`)
        yield* fs.makeDirectory(target.slice(0, target.lastIndexOf("/")), { recursive: true })
        yield* fs.writeFile(target, name === "data/spaces.jsonl" ? flipByte(3)(data) : data)
      }
      yield* Effect.promise(() =>
        tar.c({ gzip: true, file: at("changed.tar.gz"), cwd: at("tree"), portable: true }, members.map(([n]) => n))
      )
      expect(yield* problemsOf(at("changed.tar.gz"))).toEqual([
        "data/spaces.jsonl: sha256 does not match the manifest (its content changed)"
      ])
    }))
})
