/** `ferry export --format canvas` and `ferry import --to kinopio` through the real bin and a served sandbox. */
import { describe, expect, it } from "@effect/vitest"
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { ferry, servedSandbox, stderrLines } from "../support/cli.ts"
import { tempDir } from "../support/kinopio-backup.ts"

describe("canvas export and import", () => {
  it.scoped("exports every live space as a canvas, imports them into an empty account, and a second import creates nothing", () =>
    Effect.gen(function*() {
      const { vars } = yield* servedSandbox()
      const out = yield* tempDir
      const env = {
        KINOPIO_API_KEY: vars["KINOPIO_API_KEY"]!,
        KINOPIO_API_URL: vars["KINOPIO_API_URL"]!,
        KINOPIO_TARGET_API_KEY: vars["KINOPIO_TARGET_API_KEY"]!
      }
      const backup = yield* ferry(["backup", "kinopio", "--out", out, "--json"], env)
      expect(backup.code).toBe(0)
      const summary = JSON.parse(backup.stdout)

      const exported = yield* ferry(["export", summary.archive, "--format", "canvas", "--out", join(out, "canvas")])
      expect(exported.code).toBe(0)
      const files = exported.stdout.trim().split("\n")
      expect(files).toHaveLength(summary.entities.spaces)
      for (const file of files) {
        expect(statSync(file).mode & 0o777).toBe(0o600)
        const canvas = JSON.parse(readFileSync(file, "utf8"))
        expect(Array.isArray(canvas.nodes)).toBe(true)
        expect(file.endsWith(`${canvas.ferry.space.id}.canvas`)).toBe(true)
      }

      const plan = yield* ferry(["import", ...files, "--to", "kinopio", "--dry-run", "--json"], env)
      expect(plan.code).toBe(0)
      expect(JSON.parse(plan.stdout).steps.find((s: { collection: string }) => s.collection === "spaces").entities).toBe(files.length)

      const first = yield* ferry(["import", ...files, "--to", "kinopio", "--json"], env, 120_000)
      expect(first.code).toBe(0)
      const created = JSON.parse(first.stdout)
      expect(created.collections.spaces.created).toBe(files.length)
      expect(created.differences).toEqual([])
      const again = yield* ferry(["import", ...files, "--to", "kinopio", "--json"], env, 120_000)
      expect(again.code).toBe(0)
      const second = JSON.parse(again.stdout)
      expect(second.collections.spaces).toEqual({ created: 0, existing: files.length })
      expect(second.collections.cards.created).toBe(0)

      // Not a canvas: exit 2, one line naming the file and the place, before any request.
      const bad = join(out, "bad.canvas")
      writeFileSync(bad, JSON.stringify({ nodes: [{ id: "a", type: "text", x: "left", y: 0, width: 10, height: 10, text: "" }] }))
      const refused = yield* ferry(["import", bad, "--to", "kinopio"], { ...env, KINOPIO_API_URL: "http://127.0.0.1:9" })
      expect(refused.code).toBe(2)
      expect(stderrLines(refused)).toHaveLength(1)
      expect(refused.stderr).toContain("bad.canvas")
      expect(refused.stderr).toContain("nodes[0].x")
    }), 240_000)

  it.scoped("imports two different canvases of the same name as two spaces; the same files again, even moved, create nothing", () =>
    Effect.gen(function*() {
      const { vars } = yield* servedSandbox()
      const out = yield* tempDir
      // Into the sandbox's empty second account.
      const env = { KINOPIO_API_KEY: vars["KINOPIO_API_KEY"]!, KINOPIO_API_URL: vars["KINOPIO_API_URL"]!, KINOPIO_TARGET_API_KEY: vars["KINOPIO_TARGET_API_KEY"]! }
      const files = ["a", "b"].map((folder) => {
        mkdirSync(join(out, folder))
        const file = join(out, folder, "plan.canvas")
        writeFileSync(file, JSON.stringify({
          nodes: [
            { id: "n1", type: "text", x: 0, y: 0, width: 200, height: 60, text: `the plan in ${folder}/` },
            { id: "n2", type: "text", x: 300, y: 0, width: 200, height: 60, text: "next" }
          ],
          edges: [{ id: "e1", fromNode: "n1", toNode: "n2", label: "then" }]
        }))
        return file
      })

      const first = yield* ferry(["import", ...files, "--to", "kinopio", "--json"], env, 120_000)
      expect(first.code, first.stderr).toBe(0)
      const created = JSON.parse(first.stdout)
      expect(created.collections.spaces).toEqual({ created: 2, existing: 0 })
      expect(created.collections.cards.created).toBe(4)
      expect(created.differences).toEqual([])

      const again = yield* ferry(["import", ...files, "--to", "kinopio", "--json"], env, 120_000)
      expect(again.code, again.stderr).toBe(0)
      const second = JSON.parse(again.stdout)
      expect(second.collections.spaces).toEqual({ created: 0, existing: 2 })
      expect(second.collections.cards).toMatchObject({ created: 0 })
      expect(second.collections.connections).toMatchObject({ created: 0 })

      // Moved and renamed, it is still the same file: its space is not made twice.
      const moved = join(out, "moved.canvas")
      renameSync(files[0]!, moved)
      const third = yield* ferry(["import", moved, "--to", "kinopio", "--json"], env, 120_000)
      expect(third.code, third.stderr).toBe(0)
      expect(JSON.parse(third.stdout).collections.spaces).toEqual({ created: 0, existing: 1 })
    }), 240_000)
})
