/**
 * One cross-service migration in its own process: the Kinopio account of KINOPIO_API_* into the
 * Infinity account of INFINITY_TARGET_*, through the mapping and Infinity's restore, and one JSON
 * line of figures, each service's requests counted on its own budget.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer, Option, Redacted } from "effect"
import { resolveCredentials, resolveTargetCredentials, sourceLayer, targetLayer } from "../pipelines/layers.ts"
import { migrate } from "../pipelines/migrate.ts"
import { progressLayer } from "../pipelines/progress.ts"
import { BackupSource } from "../src/connector.ts"
import { services } from "../src/services.ts"
import { RateBudgets } from "../src/shared/rate-budget.ts"

const program = Effect.gen(function*() {
  const from = yield* resolveCredentials(services.kinopio, { apiKey: Option.none(), apiUrl: Option.none() })
  const to = yield* resolveTargetCredentials(services.infinity, { toApiKey: Option.none(), toApiUrl: Option.none() })
  const target = yield* targetLayer(services.infinity, to, 0.9, {
    withHooks: false,
    inviteMembers: false,
    journal: `${process.env["BENCH_OUT"] ?? "output/bench"}/migrate.restore-journal.jsonl`
  })
  const started = performance.now()
  const { outcome, sourceRequests } = yield* Effect.gen(function*() {
    const outcome = yield* migrate({ secrets: [Redacted.value(from.credential)], dryRun: false })
    const stats = yield* (yield* BackupSource).stats
    return { outcome, sourceRequests: stats.requests }
  }).pipe(Effect.provide(Layer.mergeAll(sourceLayer(services.kinopio, from, 0.9), target, progressLayer({ mode: "silent", label: "bench" }))))
  if (outcome._tag !== "Migrated") return yield* Effect.die("not migrated")
  const s = outcome.summary
  console.log(JSON.stringify({
    wallMs: performance.now() - started,
    sourceRequests,
    targetRequests: s.requests,
    rateLimited: s.rateLimited,
    collections: s.collections,
    notCarried: s.notCarried.length,
    differences: s.differences.length,
    peakRssBytes: process.resourceUsage().maxRSS * 1024
  }))
}).pipe(Effect.provide(Layer.merge(NodeContext.layer, RateBudgets.layer)))

Effect.runPromise(program).catch((e) => {
  console.error(String(e))
  process.exit(1)
})
