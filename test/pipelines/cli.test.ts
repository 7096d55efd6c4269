/**
 * The CLI as a person meets it: the real `ferry` bin in a child process, exit codes and the one
 * line on standard error the contract promises.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile, spawn } from "node:child_process"
import { copyFileSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { backupSandbox, sandboxOnTestClock, tempDir } from "../support/kinopio-backup.ts"

const bin = join(import.meta.dirname, "../../bin/ferry.js")

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const ferry = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.async<Run>((resume) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KINOPIO|INFINITY)_/.test(k) && k !== "FERRY_DEBUG"))
    execFile(process.execPath, [bin, ...args], { env: { ...clean, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }))
    })
  })

const stderrLines = (run: Run) => run.stderr.split("\n").filter((l) => l.trim() !== "")

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
      const child = spawn(process.execPath, [bin, "sandbox", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] })
      const vars = yield* Effect.async<Record<string, string>>((resume) => {
        let text = ""
        child.stdout.on("data", (d) => {
          text += d
          const found = Object.fromEntries(text.split("\n").flatMap((l) => {
            const m = /^([A-Z_]+)=(.+)$/.exec(l)
            return m === null ? [] : [[m[1]!, m[2]!]]
          }))
          if (found["INFINITY_TARGET_API_TOKEN"] !== undefined) resume(Effect.succeed(found))
        })
      })
      try {
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
      } finally {
        child.kill("SIGINT")
      }
      const code = yield* Effect.async<number | null>((resume) => {
        if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
        child.on("exit", (c) => resume(Effect.succeed(c)))
      })
      expect(code).toBe(130)
    }), 60_000)
})
