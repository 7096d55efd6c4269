/** A `fetch` standing between Ferry and a sandbox, for tests that make the service answer otherwise. */
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"

export type FetchFn = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

/** `inner`'s fetch as `wrap` makes it: it sees each request first, and may answer in its place. */
export const wrappedFetchLayer = (
  inner: Layer.Layer<FetchHttpClient.Fetch>,
  wrap: (fetch: FetchFn) => FetchFn
): Layer.Layer<FetchHttpClient.Fetch> =>
  Layer.effect(FetchHttpClient.Fetch, Effect.map(FetchHttpClient.Fetch, (fetch) => wrap(fetch) as typeof globalThis.fetch)).pipe(
    Layer.provide(inner)
  )
