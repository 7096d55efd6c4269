/**
 * `ferry sandbox`: the emulated APIs on loopback until interrupted (Kinopio under `/`, Infinity
 * under `/api/v2`), for rehearsing against something that behaves like the real services.
 * Prints, once ready, the variables to paste.
 */
import { Console, Effect } from "effect"
import { BadInput } from "../src/errors.ts"
import { type InfinitySandbox, infinitySandboxMounts, makeInfinitySandbox } from "../src/infinity/sandbox.ts"
import { seedByName as infinitySeedByName } from "../src/infinity/sandbox-seed.ts"
import { type KinopioSandbox, makeKinopioSandbox } from "../src/kinopio/sandbox.ts"
import { seedByName as kinopioSeedByName } from "../src/kinopio/sandbox-seed.ts"
import { serveSandbox } from "../src/sandbox/server.ts"

export interface SandboxRequest {
  readonly port: number
  /** Kinopio's seed: demo, empty or generated:<spaces>x<cards>. */
  readonly seed: string
  /** Infinity's seed: demo, empty or generated:<boards>x<items>[x<comments per item>]; by default demo with a demo Kinopio, else empty. */
  readonly infinitySeed?: string
  readonly faults: number
  /** Kinopio: requests per second per key (documented: 5). */
  readonly rateLimit: number
  /** Infinity: requests per minute per token (documented: 180). */
  readonly infinityRateLimit?: number
}

export interface RunningSandbox {
  readonly url: string
  readonly kinopio: KinopioSandbox
  readonly infinity: InfinitySandbox
}

export const startSandbox = (request: SandboxRequest) =>
  Effect.gen(function*() {
    const bad = (message: string) => Effect.fail(new BadInput({ message }))
    if (!Number.isInteger(request.port) || request.port < 0 || request.port > 65535) {
      return yield* bad(`--port must be a port number from 0 to 65535 (got ${request.port})`)
    }
    if (!(request.faults >= 0 && request.faults <= 1)) return yield* bad(`--faults must be a fraction from 0 to 1 (got ${request.faults})`)
    if (!(request.rateLimit >= 1)) return yield* bad(`--rate-limit must be at least 1 request per second (got ${request.rateLimit})`)
    const perMinute = request.infinityRateLimit ?? 180
    if (!(perMinute >= 1)) return yield* bad(`--infinity-rate-limit must be at least 1 request per minute (got ${perMinute})`)
    const kinopioSeed = kinopioSeedByName(request.seed)
    if (kinopioSeed === undefined) return yield* bad(`--seed ${request.seed} is unknown: use demo, empty or generated:<spaces>x<cards>`)
    const infinityName = request.infinitySeed ?? (request.seed === "demo" ? "demo" : "empty")
    const infinitySeed = infinitySeedByName(infinityName)
    if (infinitySeed === undefined) {
      return yield* bad(`--infinity-seed ${infinityName} is unknown: use demo, empty or generated:<boards>x<items>[x<comments>]`)
    }
    const rate = request.faults
    const fault = (): "error503" | "drop" | "none" => (Math.random() < rate ? (Math.random() < 0.5 ? "error503" : "drop") : "none")
    const faults = rate > 0 ? { faults: fault } : {}
    const kinopio = makeKinopioSandbox({ seed: kinopioSeed, rateLimit: { perSecond: request.rateLimit, lockoutMs: 30_000 }, ...faults })
    const infinity = makeInfinitySandbox({ seed: infinitySeed, rateLimit: { perMinute }, ...faults })
    const { url } = yield* serveSandbox({ port: request.port, kinopio, mounts: infinitySandboxMounts(infinity) })
    return { url, kinopio, infinity } satisfies RunningSandbox
  })

/** The `NAME=value` lines a person pastes to point Ferry at the sandbox. */
export const sandboxVariables = ({ infinity, kinopio, url }: RunningSandbox) => [
  `KINOPIO_API_URL=${url}`,
  `KINOPIO_API_KEY=${kinopio.accounts.main.apiKey}`,
  `KINOPIO_TARGET_API_URL=${url}`,
  `KINOPIO_TARGET_API_KEY=${kinopio.accounts.target.apiKey}`,
  `INFINITY_API_URL=${url}`,
  `INFINITY_API_TOKEN=${infinity.accounts.main.token}`,
  `INFINITY_TARGET_API_URL=${url}`,
  `INFINITY_TARGET_API_TOKEN=${infinity.accounts.target.token}`
]

export const runSandbox = (request: SandboxRequest) =>
  Effect.scoped(Effect.gen(function*() {
    const running = yield* startSandbox(request)
    yield* Console.log(sandboxVariables(running).join("\n"))
    yield* Console.error(`sandbox serving Kinopio at ${running.url} and Infinity at ${running.url}/api/v2; Ctrl-C to stop`)
    return yield* Effect.never
  }))
