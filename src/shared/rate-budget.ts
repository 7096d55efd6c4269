/**
 * One request budget per service and credential, shared by every fiber and every job in the
 * process: each request (retries included) takes a slot first, and after a 429 no request on
 * that credential starts until the pause has passed, not even one that reserved its slot before.
 */
import { createHash } from "node:crypto"
import { Clock, Context, Duration, Effect, Layer, Ref } from "effect"

export interface RateLimit {
  /** The service's documented limit. */
  readonly perSecond: number
  /** The fraction of it Ferry may use (`--budget`, default 0.9). */
  readonly fraction: number
}

export interface BudgetStats {
  /** Requests sent (every attempt). */
  readonly requests: number
  /** 429 answers received. */
  readonly rateLimited: number
  /** Attempts that were retries of an earlier failure. */
  readonly retries: number
}

export interface RateBudget {
  readonly limit: RateLimit
  /** Waits for the next slot; returns when a request may start. */
  readonly take: Effect.Effect<void>
  /** After a 429: nobody starts before `wait` has passed. */
  readonly pauseFor: (wait: Duration.DurationInput) => Effect.Effect<void>
  readonly record: (event: "rateLimited" | "retry") => Effect.Effect<void>
  readonly stats: Effect.Effect<BudgetStats>
}

export const makeRateBudget = (limit: RateLimit): Effect.Effect<RateBudget> =>
  Effect.gen(function*() {
    // A strict spacing (not a bucket that starts full): a bucket lets a burst through that a
    // sliding-window server counts against us (effect-stack.md §5).
    const gap = 1000 / (limit.perSecond * limit.fraction)
    const nextSlot = yield* Ref.make(0) // epoch ms at which the next request may start
    const pausedUntil = yield* Ref.make(0)
    const stats = yield* Ref.make<BudgetStats>({ requests: 0, rateLimited: 0, retries: 0 })
    const take = Effect.gen(function*() {
      while (true) {
        const now = yield* Clock.currentTimeMillis
        // Reserve atomically, sleep outside the Ref: concurrent callers queue in order.
        const at = yield* Ref.modify(nextSlot, (next) => {
          const slot = Math.max(next, now)
          return [slot, slot + gap] as const
        })
        if (at > now) yield* Effect.sleep(Duration.millis(at - now))
        // A 429 may have arrived while this fiber slept: then it queues again behind the pause.
        if ((yield* Clock.currentTimeMillis) >= (yield* Ref.get(pausedUntil))) break
      }
      yield* Ref.update(stats, (s) => ({ ...s, requests: s.requests + 1 }))
    })
    const pauseFor = (wait: Duration.DurationInput) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const until = now + Duration.toMillis(wait)
        return Ref.update(pausedUntil, (p) => Math.max(p, until)).pipe(
          Effect.zipRight(Ref.update(nextSlot, (next) => Math.max(next, until)))
        )
      })
    const record = (event: "rateLimited" | "retry") =>
      Ref.update(stats, (s) =>
        event === "rateLimited" ? { ...s, rateLimited: s.rateLimited + 1 } : { ...s, retries: s.retries + 1 })
    return { limit, take, pauseFor, record, stats: Ref.get(stats) }
  })

/**
 * The process's budgets, one per service and credential: two jobs on the same key share one.
 * Budgets are keyed by a fingerprint, never by the credential in clear.
 */
export class RateBudgets extends Context.Tag("ferry/RateBudgets")<RateBudgets, {
  readonly forCredential: (service: string, credential: string, limit: RateLimit) => Effect.Effect<RateBudget>
  readonly all: Effect.Effect<ReadonlyArray<{ readonly service: string; readonly budget: RateBudget }>>
}>() {
  static readonly layer = Layer.effect(
    RateBudgets,
    Effect.gen(function*() {
      const budgets = yield* Ref.make(new Map<string, { service: string; budget: RateBudget }>())
      const lock = yield* Effect.makeSemaphore(1)
      return {
        forCredential: (service, credential, limit) =>
          lock.withPermits(1)(Effect.gen(function*() {
            const key = `${service}\u0000${fingerprint(credential)}`
            const known = (yield* Ref.get(budgets)).get(key)
            if (known !== undefined) return known.budget
            const budget = yield* makeRateBudget(limit)
            yield* Ref.update(budgets, (m) => new Map(m).set(key, { service, budget }))
            return budget
          })),
        all: Effect.map(Ref.get(budgets), (m) => [...m.values()])
      }
    })
  )
}

// A non-reversible fingerprint: budgets are told apart without keeping the key in clear.
const fingerprint = (credential: string): string => createHash("sha256").update(credential).digest("hex")
