/**
 * `ferry sandbox`: the emulated APIs on loopback until interrupted, for rehearsing against
 * something that behaves like the real service. Prints, once ready, the variables to paste.
 */
import { Console, Effect } from "effect"
import { BadInput } from "../src/errors.ts"
import { makeKinopioSandbox } from "../src/kinopio/sandbox.ts"
import { seedByName } from "../src/kinopio/sandbox-seed.ts"
import { serveSandbox } from "../src/sandbox/server.ts"

export interface SandboxRequest {
  readonly port: number
  readonly seed: string
  readonly faults: number
  readonly rateLimit: number
}

export const startSandbox = (request: SandboxRequest) =>
  Effect.gen(function*() {
    if (!Number.isInteger(request.port) || request.port < 0 || request.port > 65535) {
      return yield* Effect.fail(new BadInput({ message: `--port must be a port number from 0 to 65535 (got ${request.port})` }))
    }
    if (!(request.faults >= 0 && request.faults <= 1)) {
      return yield* Effect.fail(new BadInput({ message: `--faults must be a fraction from 0 to 1 (got ${request.faults})` }))
    }
    if (!(request.rateLimit >= 1)) {
      return yield* Effect.fail(new BadInput({ message: `--rate-limit must be at least 1 request per second (got ${request.rateLimit})` }))
    }
    const seed = seedByName(request.seed)
    if (seed === undefined) {
      return yield* Effect.fail(new BadInput({ message: `--seed ${request.seed} is unknown: use demo, empty or generated:<spaces>x<cards>` }))
    }
    const rate = request.faults
    const kinopio = makeKinopioSandbox({
      seed,
      rateLimit: { perSecond: request.rateLimit, lockoutMs: 30_000 },
      ...(rate > 0 ? { faults: () => (Math.random() < rate ? (Math.random() < 0.5 ? "error503" : "drop") : "none") } : {})
    })
    const { url } = yield* serveSandbox({ port: request.port, kinopio })
    return { url, kinopio }
  })

/** The `NAME=value` lines a person pastes to point Ferry at the sandbox. */
export const sandboxVariables = (url: string, kinopio: ReturnType<typeof makeKinopioSandbox>) => [
  `KINOPIO_API_URL=${url}`,
  `KINOPIO_API_KEY=${kinopio.accounts.main.apiKey}`,
  `KINOPIO_TARGET_API_URL=${url}`,
  `KINOPIO_TARGET_API_KEY=${kinopio.accounts.target.apiKey}`
]

export const runSandbox = (request: SandboxRequest) =>
  Effect.scoped(Effect.gen(function*() {
    const { kinopio, url } = yield* startSandbox(request)
    yield* Console.log(sandboxVariables(url, kinopio).join("\n"))
    yield* Console.error(`sandbox serving Kinopio at ${url}; Ctrl-C to stop`)
    return yield* Effect.never
  }))
