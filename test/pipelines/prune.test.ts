/**
 * `ferry prune` and `backup --keep-*`'s `pruneFolder`, on real archives written by the archive
 * writer: retention is applied per owner (service, account, API URL, as the manifest says), an
 * archive whose owner cannot be told is never removed, and nothing but archives is ever touched.
 */
import { FileSystem, Path } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { expect, layer } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { prune, type PruneGroup, pruneFolder } from "../../pipelines/prune.ts"
import { openArchive } from "../../src/archive/writer.ts"

const REAL = "https://api.kinopio.club"
const SANDBOX = "http://127.0.0.1:8787"

/** Every file under `dir` (symbolic links not followed), relative, sorted. */
const listAll = (dir: string): Effect.Effect<Array<string>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const files: Array<string> = []
    const walk = (relative: string): Effect.Effect<void, never, FileSystem.FileSystem | Path.Path> =>
      Effect.gen(function*() {
        for (const name of yield* fs.readDirectory(path.join(dir, relative)).pipe(Effect.orDie)) {
          const child = path.join(relative, name)
          if ((yield* Effect.either(fs.readLink(path.join(dir, child))))._tag === "Right") continue
          const info = yield* fs.stat(path.join(dir, child)).pipe(Effect.orDie)
          if (info.type === "File") files.push(child)
          else if (info.type === "Directory") yield* walk(child)
        }
      })
    yield* walk("")
    return files.sort()
  })

/**
 * A real (empty) archive in `folder`, written as a backup of `account` at `apiUrl` would be at
 * `at`; its path, relative to `root`. A second one in the same second gets `-2`.
 */
const archive = (
  root: string,
  folder: string,
  at: string,
  owner: { readonly account: string; readonly apiUrl?: string; readonly service?: "kinopio" | "infinity" },
  format: "zip" | "tar.gz" = "zip"
) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const session = yield* openArchive({
      service: owner.service ?? "kinopio",
      collections: ["spaces"],
      outDir: path.join(root, folder),
      format,
      createdAt: new Date(at),
      apiUrl: owner.apiUrl ?? REAL,
      secrets: []
    })
    const written = yield* session.complete(owner.account)
    return path.relative(root, written.path)
  }).pipe(Effect.scoped, Effect.orDie)

/** A file at `relative` under `root`, its folders made. */
const plant = (root: string, relative: string, content: string | Uint8Array) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    yield* fs.makeDirectory(path.dirname(path.join(root, relative)), { recursive: true })
    yield* typeof content === "string"
      ? fs.writeFileString(path.join(root, relative), content)
      : fs.writeFile(path.join(root, relative), content)
  }).pipe(Effect.orDie)

/** The group of `account` (null: the unknown owner) at `apiUrl` in `folder`, paths relative to `root`. */
const groupOf = (
  root: string,
  groups: ReadonlyArray<PruneGroup>,
  where: { readonly folder: string; readonly account: string | null; readonly apiUrl?: string | null; readonly service?: string }
) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const found = groups.filter((g) =>
      g.folder === path.join(root, where.folder) &&
      g.account === where.account &&
      (where.apiUrl === undefined || g.apiUrl === where.apiUrl) &&
      (where.service === undefined || g.service === where.service)
    )
    expect(found).toHaveLength(1)
    const group = found[0]!
    return {
      service: group.service,
      apiUrl: group.apiUrl,
      keep: group.keep.map((k) => [path.relative(root, k.path), k.reasons.join(", ")] as const),
      remove: group.remove.map((r) => path.relative(root, r.path))
    }
  })

layer(NodeContext.layer)("prune", (it) => {
  it.scoped("dry-run removes nothing; a real run removes exactly the policy's list and nothing else", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const out = yield* fs.makeTempDirectoryScoped()
      const elsewhere = yield* fs.makeTempDirectoryScoped()
      const me = { account: "user-1" }
      const k1 = yield* archive(out, "kinopio", "2024-03-01T03:00:00Z", me)
      const k2 = yield* archive(out, "kinopio", "2024-03-02T03:00:00Z", me)
      const k3 = yield* archive(out, "kinopio", "2024-03-03T03:00:00Z", me)
      const k3b = yield* archive(out, "kinopio", "2024-03-03T03:00:00Z", me) // same second, written later
      const k4 = yield* archive(out, "kinopio", "2024-03-04T03:00:00Z", me, "tar.gz")
      expect([k1, k2, k3, k3b, k4]).toEqual([
        "kinopio/kinopio-20240301T030000Z.zip",
        "kinopio/kinopio-20240302T030000Z.zip",
        "kinopio/kinopio-20240303T030000Z.zip",
        "kinopio/kinopio-20240303T030000Z-2.zip",
        "kinopio/kinopio-20240304T030000Z.tar.gz"
      ])
      const i1 = yield* archive(out, "infinity", "2024-03-01T03:00:00Z", { account: "user-1", service: "infinity" })
      const i2 = yield* archive(out, "infinity", "2024-03-05T03:00:00Z", { account: "user-1", service: "infinity" })
      // Never looked at: other files, temporary archives, staging folders, journals, an archive
      // not inside a folder, and archives behind a symbolic link to a folder out of --out.
      const real = yield* fs.readFile(path.join(out, k1)).pipe(Effect.orDie)
      yield* plant(out, "kinopio/notes.txt", "mine")
      yield* plant(out, "kinopio/.kinopio-20240101T000000Z.zip.0b7e4c1e.tmp", real)
      yield* plant(out, "kinopio/.staging-1234/kinopio-20230101T000000Z.zip", real)
      yield* plant(out, "kinopio/.staging-1234/kinopio-20230102T000000Z.zip", real)
      yield* plant(out, ".hidden/kinopio/kinopio-20230101T000000Z.zip", real)
      yield* plant(out, ".hidden/kinopio/kinopio-20230102T000000Z.zip", real)
      yield* plant(out, "kinopio/kinopio-20240301T030000Z.zip.restore-journal.jsonl", "{}")
      yield* plant(out, "kinopio-20200101T000000Z.zip", real)
      yield* plant(out, "kinopio-20200102T000000Z.zip", real)
      yield* plant(elsewhere, "kinopio/kinopio-20230101T000000Z.zip", real)
      yield* plant(elsewhere, "kinopio/kinopio-20230102T000000Z.zip", real)
      yield* fs.symlink(elsewhere, path.join(out, "linked")).pipe(Effect.orDie)
      yield* fs.symlink(path.join(elsewhere, "kinopio"), path.join(out, "kinopio-linked")).pipe(Effect.orDie)
      const before = yield* listAll(out)
      const beforeElsewhere = yield* listAll(elsewhere)

      const planned = yield* prune({ out, policy: { last: 2 }, dryRun: true })
      expect(yield* listAll(out)).toEqual(before)
      expect(planned.dryRun).toBe(true)
      expect(planned.kept).toBe(4)
      expect(planned.removed).toBe(3)
      expect(planned.services.map((g) => [path.relative(out, g.folder), g.service, g.account, g.apiUrl])).toEqual([
        ["infinity", "infinity", "user-1", REAL],
        ["kinopio", "kinopio", "user-1", REAL]
      ])
      expect(yield* groupOf(out, planned.services, { folder: "kinopio", account: "user-1" })).toEqual({
        service: "kinopio",
        apiUrl: REAL,
        keep: [[k4, "last snapshot"], [k3b, "last snapshot"]],
        remove: [k3, k2, k1]
      })
      expect(yield* groupOf(out, planned.services, { folder: "infinity", account: "user-1" })).toEqual({
        service: "infinity",
        apiUrl: REAL,
        keep: [[i2, "last snapshot"], [i1, "last snapshot"]],
        remove: []
      })

      const done = yield* prune({ out, policy: { last: 2 }, dryRun: false })
      expect(done.services).toEqual(planned.services)
      expect(yield* listAll(out)).toEqual(before.filter((f) => ![k3, k2, k1].includes(f)))
      expect(yield* listAll(elsewhere)).toEqual(beforeElsewhere)

      // Again: nothing more to remove.
      const again = yield* prune({ out, policy: { last: 2 }, dryRun: false })
      expect(again.removed).toBe(0)
      expect(yield* listAll(out)).toEqual(before.filter((f) => ![k3, k2, k1].includes(f)))
    }))

  it.scoped("two accounts in one folder: each keeps its own newest, and one's retention never removes the other's archives", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const out = yield* fs.makeTempDirectoryScoped()
      const alice = { account: "alice-id" }
      const bob = { account: "bob-id" }
      // Bob's archives are all older than Alice's newest: grouped by service alone, they would go.
      const b1 = yield* archive(out, "kinopio", "2024-03-01T03:00:00Z", bob)
      const a1 = yield* archive(out, "kinopio", "2024-03-02T03:00:00Z", alice)
      const b2 = yield* archive(out, "kinopio", "2024-03-03T03:00:00Z", bob)
      const a2 = yield* archive(out, "kinopio", "2024-03-04T03:00:00Z", alice)
      const a3 = yield* archive(out, "kinopio", "2024-03-05T03:00:00Z", alice)
      const before = yield* listAll(out)

      // backup --keep-last 1 for Alice: only Alice's older archives go.
      const folder = path.join(out, "kinopio")
      const mine = yield* pruneFolder(folder, { service: "kinopio", account: "alice-id", apiUrl: REAL }, { last: 1 })
      expect(mine.dryRun).toBe(false)
      expect(mine.services).toHaveLength(1)
      expect(yield* groupOf(out, mine.services, { folder: "kinopio", account: "alice-id", apiUrl: REAL })).toEqual({
        service: "kinopio",
        apiUrl: REAL,
        keep: [[a3, "last snapshot"]],
        remove: [a2, a1]
      })
      expect(mine.kept).toBe(1)
      expect(mine.removed).toBe(2)
      expect(yield* listAll(out)).toEqual(before.filter((f) => ![a2, a1].includes(f)))

      // Bob's, on a policy of his own: his newest is kept although older than Alice's.
      const his = yield* pruneFolder(folder, { service: "kinopio", account: "bob-id", apiUrl: REAL }, { last: 1 })
      expect(yield* groupOf(out, his.services, { folder: "kinopio", account: "bob-id" })).toEqual({
        service: "kinopio",
        apiUrl: REAL,
        keep: [[b2, "last snapshot"]],
        remove: [b1]
      })
      expect(yield* listAll(out)).toEqual([a3, b2].sort())

      // An owner with no archive there: nothing to do, nothing touched.
      const nobody = yield* pruneFolder(folder, { service: "kinopio", account: "carol-id", apiUrl: REAL }, { last: 1 })
      expect(nobody.kept).toBe(0)
      expect(nobody.removed).toBe(0)
      expect(nobody.services.map((g) => g.account)).toEqual(["carol-id"])
      expect(yield* listAll(out)).toEqual([a3, b2].sort())
    }))

  it.scoped("standalone prune: different outcomes per account in one folder, each group named", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const out = yield* fs.makeTempDirectoryScoped()
      const alice = { account: "alice-id" }
      const bob = { account: "bob-id" }
      const a1 = yield* archive(out, "kinopio", "2024-03-01T03:00:00Z", alice)
      const a2 = yield* archive(out, "kinopio", "2024-03-02T03:00:00Z", alice)
      const a3 = yield* archive(out, "kinopio", "2024-03-03T03:00:00Z", alice)
      const b1 = yield* archive(out, "kinopio", "2024-01-10T03:00:00Z", bob)
      const b2 = yield* archive(out, "kinopio", "2024-01-20T03:00:00Z", bob)

      const done = yield* prune({ out, policy: { last: 2 }, dryRun: false })
      expect(done.services.map((g) => g.account)).toEqual(["alice-id", "bob-id"])
      expect(yield* groupOf(out, done.services, { folder: "kinopio", account: "alice-id" })).toMatchObject({
        keep: [[a3, "last snapshot"], [a2, "last snapshot"]],
        remove: [a1]
      })
      expect(yield* groupOf(out, done.services, { folder: "kinopio", account: "bob-id" })).toMatchObject({
        keep: [[b2, "last snapshot"], [b1, "last snapshot"]],
        remove: []
      })
      expect(done.kept).toBe(4)
      expect(done.removed).toBe(1)
      expect(yield* listAll(out)).toEqual([a2, a3, b1, b2].sort())
    }))

  it.scoped("the same account on two API URLs (a sandbox and the real one) is two groups", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const out = yield* fs.makeTempDirectoryScoped()
      const onReal = { account: "user-1", apiUrl: REAL }
      const onSandbox = { account: "user-1", apiUrl: SANDBOX }
      const r1 = yield* archive(out, "kinopio", "2024-03-01T03:00:00Z", onReal)
      const r2 = yield* archive(out, "kinopio", "2024-03-02T03:00:00Z", onReal)
      const s1 = yield* archive(out, "kinopio", "2024-03-03T03:00:00Z", onSandbox)
      const s2 = yield* archive(out, "kinopio", "2024-03-04T03:00:00Z", onSandbox)

      // The sandbox's backup --keep-last 1 leaves the real API's archives alone.
      const sandboxed = yield* pruneFolder(path.join(out, "kinopio"), { service: "kinopio", ...onSandbox }, { last: 1 })
      expect(yield* groupOf(out, sandboxed.services, { folder: "kinopio", account: "user-1", apiUrl: SANDBOX })).toMatchObject({
        keep: [[s2, "last snapshot"]],
        remove: [s1]
      })
      expect(yield* listAll(out)).toEqual([r1, r2, s2].sort())

      const planned = yield* prune({ out, policy: { last: 1 }, dryRun: true })
      // Sorted by API URL: "http://127.0.0.1:8787" before "https://api.kinopio.club".
      expect(planned.services.map((g) => [g.account, g.apiUrl])).toEqual([["user-1", SANDBOX], ["user-1", REAL]])
      expect(yield* groupOf(out, planned.services, { folder: "kinopio", account: "user-1", apiUrl: REAL })).toMatchObject({
        keep: [[r2, "last snapshot"]],
        remove: [r1]
      })
      expect(yield* groupOf(out, planned.services, { folder: "kinopio", account: "user-1", apiUrl: SANDBOX })).toMatchObject({
        keep: [[s2, "last snapshot"]],
        remove: []
      })
    }))

  it.scoped("an archive whose manifest cannot be read is never removed, is reported as kept, and is no group's newest", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const out = yield* fs.makeTempDirectoryScoped()
      const me = { account: "user-1" }
      const k1 = yield* archive(out, "kinopio", "2024-03-01T03:00:00Z", me)
      const k2 = yield* archive(out, "kinopio", "2024-03-02T03:00:00Z", me)
      const k3 = yield* archive(out, "kinopio", "2024-03-03T03:00:00Z", me, "tar.gz")
      const bytes = yield* fs.readFile(path.join(out, k3)).pipe(Effect.orDie)
      // Named like archives, newer and older than the real ones, but whose owner cannot be told.
      const garbage = "kinopio/kinopio-20240310T030000Z.zip"
      const empty = "kinopio/kinopio-20240311T030000Z.zip"
      const cut = "kinopio/kinopio-20240312T030000Z.tar.gz"
      const foreign = "kinopio/kinopio-20240201T030000Z.zip"
      const misnamed = "infinity/infinity-20240313T030000Z.tar.gz" // a Kinopio archive under an Infinity name
      yield* plant(out, garbage, "not an archive at all")
      yield* plant(out, empty, "")
      yield* plant(out, cut, bytes.subarray(0, 12)) // gzip magic, then cut short before the manifest
      yield* plant(out, foreign, new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)])) // an empty zip: no manifest
      yield* plant(out, misnamed, bytes)
      const before = yield* listAll(out)

      const planned = yield* prune({ out, policy: { last: 1 }, dryRun: true })
      expect(planned.services.map((g) => [path.relative(out, g.folder), g.service, g.account, g.apiUrl])).toEqual([
        ["infinity", "infinity", null, null],
        ["kinopio", "kinopio", "user-1", REAL],
        ["kinopio", "kinopio", null, null]
      ])
      expect(yield* groupOf(out, planned.services, { folder: "kinopio", account: "user-1" })).toMatchObject({
        keep: [[k3, "last snapshot"]],
        remove: [k2, k1]
      })
      const unknown = yield* groupOf(out, planned.services, { folder: "kinopio", account: null })
      expect(unknown.remove).toEqual([])
      expect(unknown.keep.map(([file]) => file)).toEqual([cut, empty, garbage, foreign])
      for (const [, reason] of unknown.keep) expect(reason).toMatch(/^manifest unreadable: \S/)
      expect(unknown.keep[1]![1]).toBe("manifest unreadable: empty file, not a Ferry archive")
      expect(unknown.keep[2]![1]).toBe("manifest unreadable: neither a zip nor a tar.gz file, not a Ferry archive")
      const other = yield* groupOf(out, planned.services, { folder: "infinity", account: null })
      expect(other.keep).toEqual([[misnamed, "manifest unreadable: it names service kinopio, the file name infinity"]])
      expect(planned.kept).toBe(1 + 4 + 1)
      expect(planned.removed).toBe(2)

      const done = yield* prune({ out, policy: { last: 1 }, dryRun: false })
      expect(done.services).toEqual(planned.services)
      expect(yield* listAll(out)).toEqual(before.filter((f) => ![k2, k1].includes(f)))

      // backup --keep-last 1 does not touch them either, nor report them.
      const mine = yield* pruneFolder(path.join(out, "kinopio"), { service: "kinopio", ...me, apiUrl: REAL }, { last: 1 })
      expect(mine.services.map((g) => g.account)).toEqual(["user-1"])
      expect(mine.kept).toBe(1)
      expect(mine.removed).toBe(0)
      expect(yield* listAll(out)).toEqual(before.filter((f) => ![k2, k1].includes(f)))
    }))

  it.scoped("the two-level layout of backup --config (<out>/<account name>/<service>/) is pruned too, no deeper", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const out = yield* fs.makeTempDirectoryScoped()
      const alice = { account: "alice-id" }
      const bob = { account: "bob-id" }
      const a1 = yield* archive(out, "alice/kinopio", "2024-03-01T03:00:00Z", alice)
      const a2 = yield* archive(out, "alice/kinopio", "2024-03-02T03:00:00Z", alice)
      const ai1 = yield* archive(out, "alice/infinity", "2024-03-01T03:00:00Z", { ...alice, service: "infinity" })
      const ai2 = yield* archive(out, "alice/infinity", "2024-03-02T03:00:00Z", { ...alice, service: "infinity" })
      const b1 = yield* archive(out, "bob/kinopio", "2024-03-01T03:00:00Z", bob, "tar.gz")
      const b2 = yield* archive(out, "bob/kinopio", "2024-03-02T03:00:00Z", bob, "tar.gz")
      const k1 = yield* archive(out, "kinopio", "2024-03-01T03:00:00Z", alice)
      const k2 = yield* archive(out, "kinopio", "2024-03-02T03:00:00Z", alice)
      // Three levels down: not looked at.
      const d1 = yield* archive(out, "old/alice/kinopio", "2024-03-01T03:00:00Z", alice)
      const d2 = yield* archive(out, "old/alice/kinopio", "2024-03-02T03:00:00Z", alice)
      const before = yield* listAll(out)

      const done = yield* prune({ out, policy: { last: 1 }, dryRun: false })
      expect(done.services.map((g) => [path.relative(out, g.folder), g.service, g.account])).toEqual([
        ["alice/infinity", "infinity", "alice-id"],
        ["alice/kinopio", "kinopio", "alice-id"],
        ["bob/kinopio", "kinopio", "bob-id"],
        ["kinopio", "kinopio", "alice-id"]
      ])
      expect(done.removed).toBe(4)
      expect(done.kept).toBe(4)
      expect(yield* listAll(out)).toEqual(before.filter((f) => ![a1, ai1, b1, k1].includes(f)))
      expect(yield* listAll(out)).toEqual([a2, ai2, b2, k2, d1, d2].sort())
    }))

  it.scoped("a missing --out folder is bad input", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const dir = yield* fs.makeTempDirectoryScoped()
      const exit = yield* Effect.exit(prune({ out: path.join(dir, "nope"), policy: { last: 1 }, dryRun: true }))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag === "BadInput").toBe(true)
    }))
})
