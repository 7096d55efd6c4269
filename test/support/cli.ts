/** The real `ferry` bin in a child process, and `ferry sandbox` served beside it, for CLI tests. */
import { execFile, spawn } from "node:child_process"
import { join } from "node:path"
import { Effect } from "effect"

export const bin = join(import.meta.dirname, "../../bin/ferry.js")

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `ferry args` with none of the caller's Ferry variables, only `env`. */
export const ferry = (args: ReadonlyArray<string>, env: Record<string, string> = {}, timeout = 60_000) =>
  Effect.async<Run>((resume) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KINOPIO|INFINITY)_/.test(k) && k !== "FERRY_DEBUG"))
    execFile(process.execPath, [bin, ...args], { env: { ...clean, ...env }, timeout }, (error, stdout, stderr) => {
      resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }))
    })
  })

export const stderrLines = (run: Run) => run.stderr.split("\n").filter((l) => l.trim() !== "")

/**
 * `ferry sandbox --port 0 ...args` for the scope: the variables it printed, and how it exited
 * once stopped with SIGINT when the scope closes.
 */
export const servedSandbox = (args: ReadonlyArray<string> = []) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const child = spawn(process.execPath, [bin, "sandbox", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] })
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
      const exited = Effect.async<number | null>((resume) => {
        if (child.exitCode !== null) return resume(Effect.succeed(child.exitCode))
        child.on("exit", (c) => resume(Effect.succeed(c)))
      })
      return { vars, child, exited }
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGINT"))
  )
