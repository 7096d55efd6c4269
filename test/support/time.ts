/** Runs an effect while moving the TestClock forward, so paced requests complete with no real waiting. */
import { type Duration, Effect, Fiber, TestClock } from "effect"

export const advancing = <A, E, R>(effect: Effect.Effect<A, E, R>, by: Duration.DurationInput = "10 minutes") =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(by)
    return yield* Fiber.join(fiber)
  })
