/**
 * One restore case in its own process: restores BENCH_ARCHIVE into the account named by the
 * service's *_TARGET_* variables and prints one JSON line of figures.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer, Option } from "effect"
import { resolveTargetCredentials, targetLayer } from "../pipelines/layers.ts"
import { progressLayer } from "../pipelines/progress.ts"
import { archiveCollections, runRestore } from "../pipelines/restore.ts"
import { serviceNames, services } from "../src/services.ts"
import { RateBudgets } from "../src/shared/rate-budget.ts"

const name = process.env["BENCH_SERVICE"] ?? "kinopio"
const archive = process.env["BENCH_ARCHIVE"] ?? ""

const program = Effect.gen(function*() {
  const service = serviceNames.includes(name as never) ? services[name as keyof typeof services] : undefined
  if (service === undefined) return yield* Effect.die(`BENCH_SERVICE=${name} is not a service`)
  const credentials = yield* resolveTargetCredentials(service, { toApiKey: Option.none(), toApiUrl: Option.none() })
  const target = yield* targetLayer(service, credentials, 0.9, {
    withHooks: false,
    inviteMembers: false,
    journal: `${archive}.restore-journal.jsonl`,
    ...(process.env["BENCH_WORKSPACE"] === undefined ? {} : { workspace: process.env["BENCH_WORKSPACE"] })
  })
  const started = performance.now()
  const summary = yield* Effect.flatMap(archiveCollections(archive, service.name), (collections) => runRestore(archive, collections)).pipe(
    Effect.provide(Layer.merge(target, progressLayer({ mode: "silent", label: "bench" })))
  )
  console.log(JSON.stringify({
    wallMs: performance.now() - started,
    requests: summary.requests,
    rateLimited: summary.rateLimited,
    collections: summary.collections,
    differences: summary.differences.length,
    peakRssBytes: process.resourceUsage().maxRSS * 1024
  }))
}).pipe(Effect.provide(Layer.merge(NodeContext.layer, RateBudgets.layer)))

Effect.runPromise(program).catch((e) => {
  console.error(String(e))
  process.exit(1)
})
