/**
 * Nightly operation through the real bin against a served sandbox: many accounts from a config,
 * one failing without stopping the others, a live lock respected, retention after a backup.
 */
import { describe, expect, it } from "@effect/vitest"
import { mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { lockPath } from "../../src/archive/lock.ts"
import { ferry, servedSandbox, stderrLines } from "../support/cli.ts"
import { tempDir } from "../support/kinopio-backup.ts"

describe("nightly operation", () => {
  it.scoped("backs up every account of a config; one failing does not stop the others, and the exit code is 1", () =>
    Effect.gen(function*() {
      const { vars } = yield* servedSandbox(["--seed", "empty"])
      const out = yield* tempDir
      const config = join(out, "ferry.config.json")
      writeFileSync(config, JSON.stringify({
        keep: { last: 3 },
        accounts: [
          { name: "alice", service: "kinopio", credentialEnv: "ALICE_KEY", apiUrlEnv: "SANDBOX_URL" },
          { name: "broken", service: "kinopio", credentialEnv: "NOT_SET_ANYWHERE", apiUrlEnv: "SANDBOX_URL" },
          { name: "bob", service: "kinopio", credentialEnv: "BOB_KEY", apiUrlEnv: "SANDBOX_URL", format: "tar.gz" },
          // Its URL variable is unset: it must fail, not quietly back up from the real service.
          { name: "nourl", service: "kinopio", credentialEnv: "ALICE_KEY", apiUrlEnv: "URL_NOT_SET_ANYWHERE" }
        ]
      }))
      const env = { ALICE_KEY: vars["KINOPIO_API_KEY"]!, BOB_KEY: vars["KINOPIO_TARGET_API_KEY"]!, SANDBOX_URL: vars["KINOPIO_API_URL"]! }
      const run = yield* ferry(["backup", "--config", config, "--out", join(out, "backups"), "--json"], env)
      expect(run.code).toBe(1)
      const summary = JSON.parse(run.stdout)
      expect(summary.ok).toBe(false)
      const byName = Object.fromEntries(summary.accounts.map((a: { name: string }) => [a.name, a]))
      expect(byName["broken"].ok).toBe(false)
      expect(byName["broken"].error).toContain("NOT_SET_ANYWHERE")
      expect(byName["nourl"].ok).toBe(false)
      expect(byName["nourl"].error).toContain("URL_NOT_SET_ANYWHERE")
      for (const name of ["alice", "bob"]) {
        expect(byName[name].ok).toBe(true)
        expect(byName[name].archive).toContain(join(out, "backups", name, "kinopio"))
        expect(typeof byName[name].requests).toBe("number")
        expect(typeof byName[name].bytes).toBe("number")
      }
      expect(byName["bob"].archive).toMatch(/\.tar\.gz$/)
      // Each account's archive is in its own folder; the failure was said on stderr, once, by name.
      expect(readdirSync(join(out, "backups", "alice", "kinopio")).filter((n) => n.endsWith(".zip"))).toHaveLength(1)
      expect(stderrLines(run).filter((l) => l.startsWith("broken: failed"))).toHaveLength(1)
      expect(run.stderr).not.toContain(vars["KINOPIO_API_KEY"]!)

      // A bad config is bad input: exit 2, one line naming the file and the place.
      writeFileSync(config, JSON.stringify({ accounts: [{ name: "alice", service: "kinopo", credentialEnv: "ALICE_KEY" }] }))
      const bad = yield* ferry(["backup", "--config", config], env)
      expect(bad.code).toBe(2)
      expect(stderrLines(bad)).toHaveLength(1)
      expect(bad.stderr).toContain("accounts[0].service")
      writeFileSync(config, JSON.stringify({ accounts: [{ name: "alice", service: "kinopio", apiKey: "secret-in-file", credentialEnv: "A" }] }))
      const secret = yield* ferry(["backup", "--config", config], env)
      expect(secret.code).toBe(2)
      expect(secret.stderr).toContain("credentialEnv")
      expect(secret.stderr).not.toContain("secret-in-file")
    }), 120_000)

  it.scoped("a second run on the same folder and account exits 1 naming the holder of the lock", () =>
    Effect.gen(function*() {
      const { vars } = yield* servedSandbox(["--seed", "empty"])
      const out = yield* tempDir
      const env = { KINOPIO_API_KEY: vars["KINOPIO_API_KEY"]!, KINOPIO_API_URL: vars["KINOPIO_API_URL"]! }
      const me = yield* Effect.promise(() =>
        fetch(`${vars["KINOPIO_API_URL"]}/user`, { headers: { Authorization: vars["KINOPIO_API_KEY"]! } }).then((r) => r.json())
      )
      // This test process stands for a run still going: alive, on this host.
      const folder = join(out, "kinopio")
      mkdirSync(folder, { recursive: true })
      const lock = lockPath(folder, String(me.id))
      writeFileSync(lock, JSON.stringify({
        pid: process.pid,
        host: hostname(),
        command: "ferry backup kinopio",
        account: String(me.id),
        startedAt: new Date().toISOString(),
        token: "held-by-the-test"
      }))
      const refused = yield* ferry(["backup", "kinopio", "--out", out], env)
      expect(refused.code).toBe(1)
      expect(stderrLines(refused)).toHaveLength(1)
      expect(refused.stderr).toContain(`pid ${process.pid}`)
      expect(readdirSync(folder).filter((n) => n.endsWith(".zip"))).toHaveLength(0)

      // The holder is gone (a pid that has ended): the lock is taken over and the run goes on.
      writeFileSync(lock, JSON.stringify({
        pid: 2 ** 22 + 1234, // above Linux's pid_max default: no such process
        host: hostname(),
        command: "ferry backup kinopio",
        account: String(me.id),
        startedAt: new Date().toISOString(),
        token: "left-by-a-killed-run"
      }))
      const taken = yield* ferry(["backup", "kinopio", "--out", out, "--keep-last", "1"], env)
      expect(taken.code).toBe(0)
      expect(taken.stderr).toContain("abandoned lock")
      const second = yield* ferry(["backup", "kinopio", "--out", out, "--keep-last", "1"], env)
      expect(second.code).toBe(0)
      // --keep-last 1 after a successful run: only the newest archive is left, and no lock.
      const left = readdirSync(folder)
      expect(left.filter((n) => n.endsWith(".zip"))).toEqual([second.stdout.trim().split("/").pop()])
      expect(left.filter((n) => n.endsWith(".lock"))).toEqual([])
    }), 120_000)
})
