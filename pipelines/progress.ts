/**
 * What a person sees while a job runs: on a terminal one live line (done/total, requests, rate,
 * ETA); in cron or CI plain lines now and then. Always on standard error: standard output is
 * for the archive path or the --json summary.
 */
import { Clock, Context, Effect, Layer, Ref } from "effect"

export interface Progress {
  readonly update: (unit: string, done: number, total: number, requests: number) => Effect.Effect<void>
  readonly warn: (message: string) => Effect.Effect<void>
  /** Ends the live line, if any. */
  readonly finish: Effect.Effect<void>
}
export class ProgressReporter extends Context.Tag("ferry/ProgressReporter")<ProgressReporter, Progress>() {}

export interface ProgressOptions {
  readonly mode: "live" | "plain" | "silent"
  readonly label: string
  readonly write?: (text: string) => void
}

const formatDuration = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
}

const RATE_AFTER_MS = 5_000

export const makeProgress = (options: ProgressOptions) =>
  Effect.gen(function*() {
    const write = options.write ?? ((text: string) => process.stderr.write(text))
    const started = yield* Clock.currentTimeMillis
    const state = yield* Ref.make({ lastDrawn: -Infinity, lastPlain: -Infinity, plainStep: -1, live: false })

    const line = (unit: string, done: number, total: number, now: number, requests: number) => {
      const elapsed = now - started
      // Over the first seconds a handful of evenly paced requests reads as a rate above the limit
      // (n requests span n - 1 intervals): no rate until it means something.
      const rate = elapsed >= RATE_AFTER_MS ? ` · ${(requests / (elapsed / 1000)).toFixed(1)} req/s` : ""
      const eta = done > 0 && total > done ? ` · ETA ${formatDuration((elapsed / done) * (total - done))}` : ""
      return `${options.label}: ${done}/${total} ${unit} · ${requests} requests${rate}${eta}`
    }

    const update: Progress["update"] = (unit, done, total, requests) =>
      Effect.gen(function*() {
        if (options.mode === "silent") return
        const now = yield* Clock.currentTimeMillis
        const s = yield* Ref.get(state)
        if (options.mode === "live") {
          // Redraw at most 10 times a second, and always the last step.
          if (now - s.lastDrawn < 100 && done < total) return
          const text = line(unit, done, total, now, requests)
          write(`\r\u001b[2K${text}`)
          yield* Ref.set(state, { ...s, lastDrawn: now, live: true })
          return
        }
        // Plain: one line per tenth of the way, or every 30 s, whichever comes first.
        const step = total === 0 ? 10 : Math.floor((done / total) * 10)
        if (step === s.plainStep && now - s.lastPlain < 30_000) return
        write(`${line(unit, done, total, now, requests)}\n`)
        yield* Ref.set(state, { ...s, lastPlain: now, plainStep: step })
      })

    const endLive = Effect.flatMap(Ref.getAndUpdate(state, (s) => ({ ...s, live: false })), (s) =>
      Effect.sync(() => {
        if (s.live) write("\n")
      }))

    const say = (prefix: string) => (message: string) =>
      options.mode === "silent" ? Effect.void : endLive.pipe(Effect.zipRight(Effect.sync(() => write(`${prefix}${message}\n`))))

    return { update, warn: say("warning: "), finish: endLive } satisfies Progress
  })

export const progressLayer = (options: ProgressOptions) => Layer.effect(ProgressReporter, makeProgress(options))
