/**
 * `ferry feed` as a person meets it: the real bin in a child process, reading an archive (so no
 * server is needed and no request can be made), the feed on standard output or in a file, and
 * exit 2 with one line for a private space or a wrong flag.
 */
import { describe, expect, it } from "@effect/vitest"
import { parseFeed } from "@rowanmanning/feed-parser"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { demoIds } from "../../src/kinopio/sandbox-seed.ts"
import { backupSandbox, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"

const bin = join(import.meta.dirname, "../../bin/ferry.js")

const ferry = (args: ReadonlyArray<string>) =>
  Effect.async<{ code: number; stdout: string; stderr: string }>((resume) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KINOPIO|INFINITY)_/.test(k) && k !== "FERRY_DEBUG"))
    execFile(process.execPath, [bin, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }))
    })
  })

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "")

describe("ferry feed (CLI)", () => {
  it.scoped("from an archive: the feed on stdout or in a file; a private space or a wrong flag exit 2 with one line", () =>
    Effect.gen(function*() {
      const out = yield* tempDir
      const { archive } = yield* backupSandbox(yield* sandboxOnTestClock(), out)
      const file = join(out, "site", "open.xml")
      const [atom, toFile, secret, wrongFlag] = yield* Effect.all([
        ferry(["feed", "kinopio", "--from", archive, "--space", demoIds.spaces.open, "--format", "atom", "--limit", "4"]),
        ferry(["feed", "kinopio", "--from", archive, "--space", demoIds.spaces.open, "--format", "rss", "--out", file]),
        ferry(["feed", "kinopio", "--from", archive, "--space", demoIds.spaces.private]),
        ferry(["feed", "kinopio", "--from", archive, "--board", "x"])
      ], { concurrency: "unbounded" })
      expect(atom.code, atom.stderr).toBe(0)
      const newest = parseFeed(atom.stdout).items.map((i) => i.id)
      expect(newest).toHaveLength(4)
      expect(toFile.code, toFile.stderr).toBe(0)
      expect(toFile.stdout.trim()).toBe(file)
      const all = parseFeed(readFileSync(file, "utf8")).items.map((i) => i.id)
      expect(all.length).toBeGreaterThan(10) // every live card of the open space (fewer than the default 20)
      expect(all.slice(0, 4)).toEqual(newest)
      expect(readdirSync(join(out, "site"))).toEqual(["open.xml"]) // no temporary file left
      for (const run of [secret, wrongFlag]) {
        expect(run.code, run.stderr).toBe(2)
        expect(lines(run.stderr)).toHaveLength(1)
        expect(run.stdout).toBe("")
      }
      expect(secret.stderr).toContain("private")
    }), 60_000)
})
