/**
 * One benchmark case in its own process, so its peak RSS is Ferry's alone: backs up the
 * account named by the environment (BENCH_SERVICE, and that service's usual variables) and
 * prints one JSON line of figures.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer, Option, Redacted } from "effect"
import { backup } from "../pipelines/backup.ts"
import { resolveCredentials, sourceLayer } from "../pipelines/layers.ts"
import { readManifest } from "../src/archive/reader.ts"
import { progressLayer } from "../pipelines/progress.ts"
import { serviceNames, services } from "../src/services.ts"
import { RateBudgets } from "../src/shared/rate-budget.ts"

const name = process.env["BENCH_SERVICE"] ?? "kinopio"
const service = serviceNames.includes(name as never) ? services[name as keyof typeof services] : undefined
const perSecond = process.env["BENCH_PER_SECOND"] === undefined ? undefined : Number(process.env["BENCH_PER_SECOND"])
const budget = Number(process.env["BENCH_BUDGET"] ?? "0.9")
const out = process.env["BENCH_OUT"] ?? "output/bench"
// Full unless told: cases sharing the output folder must not copy from each other's archives.
const full = process.env["BENCH_FULL"] !== "0"

// BENCH_MEMORY_TRACE=1: how memory moves during the run (stderr), to tell growth from GC slack.
if (process.env["BENCH_MEMORY_TRACE"] === "1") {
  setInterval(() => {
    const m = process.memoryUsage()
    const mb = (n: number) => (n / 1048576).toFixed(0)
    process.stderr.write(`rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n`)
  }, 1000).unref()
}

const program = Effect.gen(function*() {
  if (service === undefined) return yield* Effect.die(`BENCH_SERVICE=${name} is not a service`)
  const credentials = yield* resolveCredentials(service, { apiKey: Option.none(), apiUrl: Option.none() })
  const started = performance.now()
  const summary = yield* backup({ out, format: "zip", only: [], workspaces: [], secrets: [Redacted.value(credentials.credential)], full }).pipe(
    Effect.provide(Layer.mergeAll(
      sourceLayer(service, credentials, budget, perSecond),
      progressLayer({ mode: "silent", label: "bench" })
    ))
  )
  const wallMs = performance.now() - started
  // The data files' digests, to tell whether two archives hold the same data.
  const manifest = yield* readManifest(summary.archive)
  const dataFiles = Object.fromEntries(manifest.files.filter((f) => f.path.startsWith("data/")).map((f) => [f.path, f.sha256]))
  const records = Object.values(summary.entities).reduce((n, c) => n + c, 0)
  console.log(JSON.stringify({
    wallMs,
    requests: summary.requests,
    rateLimited: summary.rateLimited,
    retries: summary.retries,
    records,
    entities: summary.entities,
    bytes: summary.bytes,
    archive: summary.archive,
    carriedOver: summary.carriedOver,
    dataFiles,
    peakRssBytes: process.resourceUsage().maxRSS * 1024
  }))
}).pipe(Effect.provide(Layer.merge(NodeContext.layer, RateBudgets.layer)))

Effect.runPromise(program).catch((e) => {
  console.error(String(e))
  process.exit(1)
})
