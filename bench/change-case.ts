/**
 * Changes BENCH_CHANGE spaces of the account (a new card in each, through Ferry's own client
 * and budget), as a person would between two nightly backups. Prints the ids it changed.
 */
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer, Option } from "effect"
import { resolveCredentials } from "../pipelines/layers.ts"
import { Kinopio } from "../src/kinopio/client.ts"
import { services } from "../src/services.ts"
import { RateBudgets } from "../src/shared/rate-budget.ts"

const count = Number(process.env["BENCH_CHANGE"] ?? "2")

const program = Effect.gen(function*() {
  const credentials = yield* resolveCredentials(services.kinopio, { apiKey: Option.none(), apiUrl: Option.none() })
  const changed = yield* Effect.gen(function*() {
    const client = yield* Kinopio
    const spaces = (yield* client.userSpaces).value.slice(0, count)
    for (const [i, space] of spaces.entries()) {
      const id = `benchChange${String(i).padStart(11, "0")}`
      yield* client.create("card", [{ id, spaceId: space["id"], name: `changed since the last backup ${i}`, x: 10, y: 10 }])
    }
    return spaces.map((s) => String(s["id"]))
  }).pipe(Effect.provide(Kinopio.layer({ baseUrl: credentials.apiUrl, apiKey: credentials.credential, budget: 0.9 })))
  console.log(JSON.stringify({ changed }))
}).pipe(Effect.provide(Layer.merge(FetchHttpClient.layer, RateBudgets.layer)))

Effect.runPromise(program).catch((e) => {
  console.error(String(e))
  process.exit(1)
})
