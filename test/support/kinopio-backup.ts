/** Backs up an in-process Kinopio sandbox through Ferry's real client and pipeline, on the test clock. */
import { FetchHttpClient, FileSystem, HttpClient, HttpClientRequest } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer, Redacted, Stream, TestClock } from "effect"
import { backup } from "../../pipelines/backup.ts"
import { progressLayer } from "../../pipelines/progress.ts"
import { archiveEntries, readJsonLines } from "../../src/archive/reader.ts"
import type { RetentionPolicy } from "../../src/archive/retention.ts"
import { Kinopio } from "../../src/kinopio/client.ts"
import { KinopioSourceLive } from "../../src/kinopio/connector.ts"
import { type KinopioSandbox, type KinopioSandboxOptions, makeKinopioSandbox, SANDBOX_BASE_URL, sandboxFetchLayer } from "../../src/kinopio/sandbox.ts"
import { demoSeed } from "../../src/kinopio/sandbox-seed.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { wrappedFetchLayer } from "./fetch.ts"
import { advancing } from "./time.ts"

/** A demo sandbox whose clock is the TestClock, with the documented rate limit unless told otherwise. */
export const sandboxOnTestClock = (options: Partial<KinopioSandboxOptions> = {}) =>
  Effect.map(TestClock.testClock(), (clock) =>
    makeKinopioSandbox({ seed: demoSeed(), now: () => clock.unsafeCurrentTimeMillis(), ...options }))

export const backupSandbox = (
  sandbox: KinopioSandbox,
  out: string,
  options: {
    readonly format?: "zip" | "tar.gz"
    readonly only?: ReadonlyArray<string>
    readonly apiKey?: string
    readonly full?: boolean
    readonly keep?: RetentionPolicy
    /** Stands between Ferry and the sandbox, to make it answer as a real service sometimes does. */
    readonly wrapFetch?: (fetch: (request: Request) => Promise<Response>) => (request: Request) => Promise<Response>
  } = {}
) => {
  const apiKey = options.apiKey ?? sandbox.accounts.main.apiKey
  const wrap = options.wrapFetch
  const fetchLayer = wrap === undefined
    ? sandboxFetchLayer(sandbox)
    : wrappedFetchLayer(sandboxFetchLayer(sandbox), (fetch) => (input, init) => wrap((r) => fetch(r))(new Request(input, init)))
  const source = KinopioSourceLive.pipe(
    Layer.provide(Kinopio.layer({ baseUrl: SANDBOX_BASE_URL, apiKey: Redacted.make(apiKey), budget: 0.9 })),
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(fetchLayer)
  )
  return advancing(
    backup({
      out,
      format: options.format ?? "zip",
      only: options.only ?? [],
      workspaces: [],
      secrets: [apiKey],
      full: options.full ?? false,
      keep: options.keep ?? {}
    }).pipe(
      Effect.provide(Layer.merge(source, progressLayer({ mode: "silent", label: "test" })))
    )
  ).pipe(Effect.provide(RateBudgets.layer), Effect.provide(NodeContext.layer))
}

export const tempDir = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ferry-test-" })).pipe(
  Effect.provide(NodeContext.layer)
)

export const lines = (archive: string, name: string) =>
  Stream.runCollect(readJsonLines(archive, name)).pipe(
    Effect.map((c) => [...c] as Array<Record<string, unknown>>),
    Effect.provide(NodeContext.layer)
  )

/** Every member of an archive as text (small test archives only). */
export const members = (archive: string) =>
  Stream.runFoldEffect(archiveEntries(archive), new Map<string, string>(), (map, entry) =>
    Stream.runCollect(entry.bytes).pipe(
      Effect.map((chunks) => map.set(entry.name, Buffer.concat([...chunks]).toString("utf8")))
    )).pipe(Effect.provide(NodeContext.layer))

/** One GET straight into the sandbox, outside Ferry's client: what the API itself answers. */
export const direct = (sandbox: KinopioSandbox, path: string, apiKey = sandbox.accounts.main.apiKey) =>
  Effect.gen(function*() {
    const response = yield* (yield* HttpClient.HttpClient).execute(
      HttpClientRequest.get(SANDBOX_BASE_URL + path).pipe(HttpClientRequest.setHeader("Authorization", apiKey))
    )
    return { status: response.status, body: (yield* response.json) as any }
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(sandboxFetchLayer(sandbox)))
