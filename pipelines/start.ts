/**
 * `npm start`: the main job for a new user. For every service whose credential is set, it backs
 * up that account; with none set, it rehearses on the embedded sandbox (emulated accounts served
 * on loopback, reached over real HTTP by the very same clients). Each archive is verified, and
 * the person is told what happened, where the archives are, and how to use a real account.
 */
import { Console, Effect, Layer, Option, Redacted } from "effect"
import type { ServiceDefinition } from "../src/service.ts"
import { serviceNames, services } from "../src/services.ts"
import { backup } from "./backup.ts"
import { checkBudget, DEFAULT_BUDGET, resolveCredentials, sourceLayer } from "./layers.ts"
import { progressLayer } from "./progress.ts"
import { runProcess } from "./run.ts"
import { sandboxVariables, startSandbox } from "./sandbox.ts"
import { verifyArchive } from "./verify.ts"

const OUT = "output"

const backupOne = (service: ServiceDefinition, variables: Readonly<Record<string, string | undefined>>) =>
  Effect.gen(function*() {
    const credentials = yield* resolveCredentials(service, {
      apiKey: Option.fromNullable(variables[service.credentialVariable]),
      apiUrl: Option.fromNullable(variables[service.urlVariable])
    })
    const summary = yield* backup({ out: OUT, format: "zip", only: [], workspaces: [], secrets: [Redacted.value(credentials.credential)] }).pipe(
      Effect.provide(Layer.mergeAll(
        sourceLayer(service, credentials, yield* checkBudget(DEFAULT_BUDGET)),
        progressLayer({ mode: process.stderr.isTTY ? "live" : "plain", label: `backup ${service.name}` })
      ))
    )
    const report = yield* verifyArchive(summary.archive)
    const counts = Object.entries(summary.entities).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ")
    yield* Console.error([
      `${service.title}: backed up ${counts}`,
      `  in ${(summary.durationMs / 1000).toFixed(1)} s with ${summary.requests} requests (${summary.rateLimited} answered 429);`,
      `  verified ${report.files} files, every sha256 and count matches.`
    ].join("\n"))
    return summary.archive
  })

const program = Effect.scoped(Effect.gen(function*() {
  const all = serviceNames.map((name): ServiceDefinition => services[name])
  const configured = all.filter((s) => (process.env[s.credentialVariable] ?? "").trim() !== "")
  let variables: Record<string, string | undefined> = process.env
  let chosen = configured
  if (configured.length === 0) {
    const running = yield* startSandbox({ port: 0, seed: "demo", faults: 0, rateLimit: 5 })
    variables = Object.fromEntries(sandboxVariables(running).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]))
    chosen = all
    yield* Console.error(
      `No ${all.map((s) => s.credentialVariable).join(" or ")} is set, so this is a rehearsal on Ferry's sandbox:\n` +
        `emulated ${all.map((s) => s.title).join(" and ")} accounts at ${running.url}, with the real services' rate limits.\n`
    )
  } else {
    yield* Console.error(`Backing up ${configured.map((s) => `the ${s.title} account of ${s.credentialVariable}`).join(" and ")}.\n`)
  }
  const archives: Array<string> = []
  for (const service of chosen) archives.push(yield* backupOne(service, variables))
  const missing = all.filter((s) => !chosen.includes(s))
  yield* Console.error([
    "",
    configured.length === 0
      ? [
        "To back up your real accounts, set the credential and run npm start again (or npx ferry backup <service>):",
        ...all.map((s) => `  export ${s.credentialVariable}=<${s.credentialHint}>`)
      ].join("\n")
      : [
        ...missing.map((s) => `(${s.title} skipped: ${s.credentialVariable} is not set.)`),
        "Schedule it nightly with cron or a systemd timer: see the README."
      ].join("\n"),
    "Other commands: npx ferry --help",
    "",
    `Archive${archives.length === 1 ? "" : "s"}:`
  ].join("\n"))
  yield* Console.log(archives.join("\n"))
}))

runProcess(program)
