/** Backs up an in-process Infinity sandbox through Ferry's real client and pipeline, on the test clock. */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { afterAll, beforeAll } from "@effect/vitest"
import { Effect, Layer, Redacted, TestClock, TestContext } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { backup } from "../../pipelines/backup.ts"
import { progressLayer } from "../../pipelines/progress.ts"
import { Infinity } from "../../src/infinity/client.ts"
import { InfinitySourceLive } from "../../src/infinity/connector.ts"
import {
  INFINITY_SANDBOX_BASE_URL,
  type InfinitySandbox,
  type InfinitySandboxOptions,
  infinitySandboxFetchLayer,
  makeInfinitySandbox
} from "../../src/infinity/sandbox.ts"
import { demoSeed } from "../../src/infinity/sandbox-seed.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { advancing } from "./time.ts"

/** A demo Infinity sandbox whose clock is the TestClock, with the documented rate limit unless told otherwise. */
export const infinityOnTestClock = (options: Partial<InfinitySandboxOptions> = {}) =>
  Effect.map(TestClock.testClock(), (clock) =>
    makeInfinitySandbox({ seed: demoSeed(), now: () => clock.unsafeCurrentTimeMillis(), ...options }))

export const backupInfinitySandbox = (
  sandbox: InfinitySandbox,
  out: string,
  options: {
    readonly only?: ReadonlyArray<string>
    readonly workspaces?: ReadonlyArray<string>
    /** Answers some requests before they reach the sandbox (a link that has expired, say). */
    readonly intercept?: (url: string) => Response | undefined
  } = {}
) => {
  const token = sandbox.accounts.main.token
  const fetchLayer = options.intercept === undefined
    ? infinitySandboxFetchLayer(sandbox)
    : Layer.effect(
      FetchHttpClient.Fetch,
      Effect.map(FetchHttpClient.Fetch, (inner) => {
        const intercept = options.intercept!
        return ((input: RequestInfo | URL, init?: RequestInit) =>
          Promise.resolve(intercept(String(input instanceof Request ? input.url : input))).then((r) => r ?? inner(input, init))) as typeof globalThis.fetch
      })
    ).pipe(Layer.provide(infinitySandboxFetchLayer(sandbox)))
  const source = InfinitySourceLive.pipe(
    Layer.provide(Infinity.layer({ baseUrl: INFINITY_SANDBOX_BASE_URL, token: Redacted.make(token), budget: 0.9 })),
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(fetchLayer)
  )
  return advancing(
    backup({ out, format: "zip", only: options.only ?? [], workspaces: options.workspaces ?? [], secrets: [token] }).pipe(
      Effect.provide(Layer.merge(source, progressLayer({ mode: "silent", label: "test" })))
    ),
    { step: "500 millis", limit: "2 hours" }
  ).pipe(Effect.provide(RateBudgets.layer), Effect.provide(NodeContext.layer))
}

/** Every entity of a list as the API itself pages it, outside Ferry's client. */
export const walkApi = (sandbox: InfinitySandbox, path: string, query = "") =>
  Effect.gen(function*() {
    const all: Array<Record<string, unknown>> = []
    let after = ""
    for (let guard = 0; guard < 1000; guard++) {
      const url = `${INFINITY_SANDBOX_BASE_URL}/api/v2${path}?limit=25${query}${after === "" ? "" : `&after=${encodeURIComponent(after)}`}`
      const response = yield* (yield* HttpClient.HttpClient).execute(
        HttpClientRequest.get(url).pipe(HttpClientRequest.setHeader("Authorization", `Bearer ${sandbox.accounts.main.token}`))
      )
      const page = (yield* response.json) as { data: Array<Record<string, unknown>>; has_more: boolean; after: string }
      all.push(...page.data)
      if (!page.has_more) return all
      after = page.after
    }
    throw new Error("too many pages")
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(infinitySandboxFetchLayer(sandbox)))

/**
 * One backup of the demo account for a whole test file, made before its tests and removed after
 * them (every sandbox starts from the same seed): `archive` is its path once the tests run.
 */
export const demoArchiveForFile = () => {
  const shared = { dir: "", archive: "" }
  beforeAll(async () => {
    shared.dir = mkdtempSync(join(tmpdir(), "ferry-test-"))
    shared.archive = await Effect.runPromise(
      Effect.flatMap(infinityOnTestClock({ rateLimit: false }), (sandbox) => backupInfinitySandbox(sandbox, shared.dir)).pipe(
        Effect.map((b) => b.archive),
        Effect.provide(TestContext.TestContext)
      )
    )
  })
  afterAll(() => rmSync(shared.dir, { recursive: true, force: true }))
  return shared
}
