/**
 * The CLI as a person meets it: the real `ferry` bin in a child process, exit codes and the one
 * line on standard error the contract promises.
 */
import { describe, expect, it } from "@effect/vitest"
import { copyFileSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { ferry, servedSandbox, stderrLines } from "../support/cli.ts"
import { backupSandbox, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"

describe("ferry CLI", () => {
  it.effect("usage errors and a missing credential exit 2 with one line naming what is wrong", () =>
    Effect.gen(function*() {
      const [noKey, badBudget, badFlag, unknown] = yield* Effect.all([
        ferry(["backup", "kinopio"]),
        ferry(["backup", "kinopio", "--budget", "1.5"], { KINOPIO_API_KEY: "k" }),
        ferry(["backup", "kinopio", "--bogus"]),
        ferry(["frob"])
      ], { concurrency: "unbounded" })
      expect(noKey.code).toBe(2)
      expect(stderrLines(noKey)).toHaveLength(1)
      expect(noKey.stderr).toContain("KINOPIO_API_KEY")
      expect(noKey.stdout).toBe("")
      expect(badBudget.code).toBe(2)
      expect(stderrLines(badBudget)).toEqual(["ferry: --budget must be a fraction above 0 and at most 1 (got 1.5)"])
      for (const run of [badFlag, unknown]) {
        expect(run.code).toBe(2)
        expect(stderrLines(run)).toHaveLength(1)
      }
    }), 60_000)

  it.effect("with --json, a run that fails before it starts still prints its one JSON line; --config refuses flags the file sets", () =>
    Effect.gen(function*() {
      const [noKey, withFormat] = yield* Effect.all([
        ferry(["backup", "kinopio", "--json"]),
        ferry(["backup", "--config", "ferry.config.json", "--format", "tar.gz", "--budget", "0.5"])
      ], { concurrency: "unbounded" })
      expect(noKey.code).toBe(2)
      const line = JSON.parse(noKey.stdout)
      expect(line.ok).toBe(false)
      expect(line.service).toBe("kinopio")
      expect(line.error).toContain("KINOPIO_API_KEY")
      expect(withFormat.code).toBe(2)
      expect(stderrLines(withFormat)).toHaveLength(1)
      expect(withFormat.stderr).toContain("--format")
      expect(withFormat.stderr).toContain("--budget")
    }), 60_000)

  it.scoped("verify accepts a good archive, and a corrupted, truncated or foreign one exits 2 with one line", () =>
    Effect.gen(function*() {
      const out = yield* tempDir
      const summary = yield* backupSandbox(yield* sandboxOnTestClock(), out)
      const bytes = readFileSync(summary.archive)
      const flipped = join(out, "flipped.zip")
      const copy = Buffer.from(bytes)
      // Flip a byte inside the first stored member's data, past manifest.json's local header.
      const at = copy.indexOf(Buffer.from("data/user.jsonl")) + 40
      copy[at] = copy[at]! ^ 0xff
      writeFileSync(flipped, copy)
      const truncated = join(out, "truncated.zip")
      writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)))
      const foreign = join(out, "notes.zip")
      copyFileSync(join(import.meta.dirname, "../../package.json"), foreign)

      // restore verifies first: a damaged archive is refused before any request (this URL has no server).
      const restoreBad = yield* ferry(["restore", flipped], { KINOPIO_API_KEY: "k", KINOPIO_API_URL: "http://127.0.0.1:9" })
      expect(restoreBad.code).toBe(2)
      expect(stderrLines(restoreBad)).toHaveLength(1)
      expect(restoreBad.stderr).toContain("data/user.jsonl")

      const [good, bad, cut, other, missing] = yield* Effect.all([
        ferry(["verify", summary.archive]),
        ferry(["verify", flipped]),
        ferry(["verify", truncated]),
        ferry(["verify", foreign]),
        ferry(["verify", join(out, "nothing-here.zip")])
      ], { concurrency: "unbounded" })
      expect(good.code).toBe(0)
      expect(good.stdout).toContain("ok")
      for (const [run, says] of [[bad, "data/user.jsonl"], [cut, "truncated.zip"], [other, "not a Ferry archive"], [missing, "no such file"]] as const) {
        expect(run.code, run.stderr).toBe(2)
        expect(stderrLines(run)).toHaveLength(1)
        expect(run.stderr).toContain(says)
        expect(run.stderr).not.toContain("    at ") // no stack trace
      }
    }), 60_000)

  it.effect("sandbox prints the variables to paste, and serves the account they name", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { exited, vars } = yield* Scope.extend(servedSandbox(), scope)
      const checks = Effect.gen(function*() {
        expect(Object.keys(vars)).toEqual([
          "KINOPIO_API_URL",
          "KINOPIO_API_KEY",
          "KINOPIO_TARGET_API_URL",
          "KINOPIO_TARGET_API_KEY",
          "INFINITY_API_URL",
          "INFINITY_API_TOKEN",
          "INFINITY_TARGET_API_URL",
          "INFINITY_TARGET_API_TOKEN"
        ])
        const me = yield* Effect.promise(() =>
          fetch(`${vars["KINOPIO_API_URL"]}/user`, { headers: { Authorization: vars["KINOPIO_API_KEY"]! } }).then((r) => r.json())
        )
        expect(typeof me.id).toBe("string")
        const target = yield* Effect.promise(() =>
          fetch(`${vars["KINOPIO_TARGET_API_URL"]}/user/spaces`, { headers: { Authorization: vars["KINOPIO_TARGET_API_KEY"]! } }).then((r) => r.json())
        )
        expect(target).toEqual([]) // the second account starts empty
        const profile = yield* Effect.promise(() =>
          fetch(`${vars["INFINITY_API_URL"]}/api/v2/profile`, { headers: { Authorization: `Bearer ${vars["INFINITY_API_TOKEN"]}` } }).then((r) => r.json())
        )
        expect(typeof profile.id).toBe("number")
        const workspaces = yield* Effect.promise(() =>
          fetch(`${vars["INFINITY_TARGET_API_URL"]}/api/v2/workspaces`, { headers: { Authorization: `Bearer ${vars["INFINITY_TARGET_API_TOKEN"]}` } }).then((r) => r.json())
        )
        expect(workspaces.data).toHaveLength(1) // one empty workspace to restore into
      })
      yield* checks.pipe(Effect.ensuring(Scope.close(scope, Exit.void)))
      expect(yield* exited).toBe(130)
    }), 60_000)
})
