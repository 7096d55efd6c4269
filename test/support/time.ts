/**
 * Runs an effect while moving the TestClock forward, so paced requests and cooldowns complete
 * with no real waiting. Time moves in steps, yielding to the event loop between them so that
 * real I/O (files, in-process HTTP) can finish and schedule the next virtual sleep.
 */
import { Duration, Effect, Fiber, Option, TestClock } from "effect"

const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

export const advancing = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: { readonly step?: Duration.DurationInput; readonly limit?: Duration.DurationInput } = {}
) =>
  Effect.gen(function*() {
    const step = Duration.decode(options.step ?? "100 millis")
    const limit = Duration.toMillis(options.limit ?? "1 hour")
    const fiber = yield* Effect.fork(effect)
    for (let moved = 0; moved <= limit; moved += Duration.toMillis(step)) {
      for (let i = 0; i < 3; i++) yield* turn
      if (Option.isSome(yield* Fiber.poll(fiber))) break
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber)
  })
