/**
 * `npm start`: the main job for a new user. With KINOPIO_API_KEY set it backs up that account;
 * without, it rehearses on the embedded sandbox (an emulated Kinopio account served on
 * loopback, reached over real HTTP by the very same client), then verifies the archive and
 * says what happened, where the archive is, and how to point Ferry at a real account.
 */
import { Console, Effect, Layer, Option, Redacted } from "effect"
import { backup } from "./backup.ts"
import { kinopioService } from "../src/kinopio/service.ts"
import { checkBudget, resolveCredentials, sourceLayer } from "./layers.ts"
import { progressLayer } from "./progress.ts"
import { runProcess } from "./run.ts"
import { startSandbox } from "./sandbox.ts"
import { verifyArchive } from "./verify.ts"

const OUT = "output"

const program = Effect.scoped(Effect.gen(function*() {
  const configured = (process.env[kinopioService.credentialVariable] ?? "").trim() !== ""
  let credentials
  if (configured) {
    credentials = yield* resolveCredentials(kinopioService, { apiKey: Option.none(), apiUrl: Option.none() })
    yield* Console.error(`Backing up the Kinopio account of ${kinopioService.credentialVariable} at ${credentials.apiUrl}`)
  } else {
    const { kinopio, url } = yield* startSandbox({ port: 0, seed: "demo", faults: 0, rateLimit: 5 })
    credentials = yield* resolveCredentials(kinopioService, { apiKey: Option.some(kinopio.accounts.main.apiKey), apiUrl: Option.some(url) })
    yield* Console.error(
      `No ${kinopioService.credentialVariable} is set, so this is a rehearsal on Ferry's sandbox: an emulated Kinopio account at ${url}, with the real service's rate limit.`
    )
  }
  const summary = yield* backup({ out: OUT, format: "zip", only: [], workspaces: [], secrets: [Redacted.value(credentials.credential)] }).pipe(
    Effect.provide(Layer.mergeAll(
      sourceLayer(kinopioService, credentials, yield* checkBudget(0.9)),
      progressLayer({ mode: process.stderr.isTTY ? "live" : "plain", label: "backup kinopio" })
    ))
  )
  const report = yield* verifyArchive(summary.archive)
  const counts = Object.entries(summary.entities).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ")
  yield* Console.error([
    "",
    `Backed up ${counts}`,
    `in ${(summary.durationMs / 1000).toFixed(1)} s with ${summary.requests} requests (${summary.rateLimited} answered 429).`,
    `Verified: ${report.files} files, every sha256 and count matches (ferry verify ${summary.archive}).`,
    "",
    configured
      ? "Schedule it nightly with cron or a systemd timer: see the README."
      : [
        "To back up your real account: copy your API key from Kinopio (User → Settings → Api Key), then",
        `  export ${kinopioService.credentialVariable}=<your key> && npm start      (or: npx ferry backup kinopio)`,
        "Other commands: npx ferry --help"
      ].join("\n"),
    "",
    "Archive:"
  ].join("\n"))
  yield* Console.log(summary.archive)
}))

runProcess(program)
