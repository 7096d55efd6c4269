import { FileSystem, Path } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { expect, layer } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { prune } from "../../pipelines/prune.ts"

/** Every file under `dir`, relative, sorted. */
const listAll = (dir: string): Effect.Effect<Array<string>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const names = yield* fs.readDirectory(dir, { recursive: true }).pipe(Effect.orDie)
    const files: Array<string> = []
    for (const name of names) {
      const info = yield* fs.stat(path.join(dir, name)).pipe(Effect.orDie)
      if (info.type === "File") files.push(name)
    }
    return files.sort()
  })

layer(NodeContext.layer)("prune", (it) => {
  it.scoped("dry-run removes nothing; a real run removes exactly the policy's list and nothing else", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const out = yield* fs.makeTempDirectoryScoped()
      const files = [
        "kinopio/kinopio-20240301T030000Z.zip",
        "kinopio/kinopio-20240302T030000Z.zip",
        "kinopio/kinopio-20240303T030000Z.zip",
        "kinopio/kinopio-20240303T030000Z-2.zip", // same second, written later
        "kinopio/kinopio-20240304T030000Z.tar.gz",
        "kinopio/notes.txt",
        "kinopio/.kinopio-20240101T000000Z.zip.0b7e4c1e.tmp",
        "kinopio/.staging-1234/kinopio-20230101T000000Z.zip",
        "kinopio/kinopio-20240301T030000Z.zip.restore-journal.jsonl",
        "infinity/infinity-20240301T030000Z.zip",
        "infinity/infinity-20240305T030000Z.zip",
        "kinopio-20200101T000000Z.zip" // not inside a service folder
      ]
      for (const file of files) {
        yield* fs.makeDirectory(path.dirname(path.join(out, file)), { recursive: true })
        yield* fs.writeFileString(path.join(out, file), file)
      }
      const before = yield* listAll(out)
      const at = (name: string) => path.join(out, name)

      const planned = yield* prune({ out, policy: { last: 2 }, dryRun: true })
      expect(yield* listAll(out)).toEqual(before)
      expect(planned.dryRun).toBe(true)
      expect(planned.kept).toBe(4)
      expect(planned.removed).toBe(3)
      const kinopio = planned.services.find((g) => g.service === "kinopio")!
      expect(kinopio.keep).toEqual([
        { path: at("kinopio/kinopio-20240304T030000Z.tar.gz"), reasons: ["last snapshot"] },
        { path: at("kinopio/kinopio-20240303T030000Z-2.zip"), reasons: ["last snapshot"] }
      ])
      expect(kinopio.remove).toEqual([
        { path: at("kinopio/kinopio-20240303T030000Z.zip") },
        { path: at("kinopio/kinopio-20240302T030000Z.zip") },
        { path: at("kinopio/kinopio-20240301T030000Z.zip") }
      ])
      const infinity = planned.services.find((g) => g.service === "infinity")!
      expect(infinity.keep.map((k) => k.path)).toEqual([at("infinity/infinity-20240305T030000Z.zip"), at("infinity/infinity-20240301T030000Z.zip")])
      expect(infinity.remove).toEqual([])

      const done = yield* prune({ out, policy: { last: 2 }, dryRun: false })
      expect(done.services).toEqual(planned.services)
      const removed = planned.services.flatMap((g) => g.remove.map((r) => path.relative(out, r.path)))
      expect(yield* listAll(out)).toEqual(before.filter((f) => !removed.includes(f)))

      // Again: nothing more to remove.
      const again = yield* prune({ out, policy: { last: 2 }, dryRun: false })
      expect(again.removed).toBe(0)
      expect(yield* listAll(out)).toEqual(before.filter((f) => !removed.includes(f)))
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
