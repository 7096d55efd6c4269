/**
 * `ferry schedule`: when runs happen, what happens when one is slow or fails, what is refused,
 * and how a stop reaches the child. The schedule tests run on the TestClock with a fake runner
 * (no real waiting); the last ones start real child processes to check the process boundary.
 */
import { describe, expect, it } from "@effect/vitest"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Cause, Clock, Duration, Effect, Exit, Fiber, Option, Schedule, TestClock } from "effect"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { exitCodeFor } from "../../pipelines/run.ts"
import {
  checkCommand,
  childRunner,
  FERRY_BIN,
  parseCron,
  type RunOnce,
  runSchedule,
  shownCommand,
  splitScheduleArgv
} from "../../pipelines/schedule.ts"

const iso = (millis: number) => new Date(millis).toISOString().replace(/\.000Z$/, "Z")

/** Runs `self` with every Console.error line collected in `lines`. */
const capturing = <A, E, R>(self: Effect.Effect<A, E, R>, lines: Array<string>) =>
  Effect.flatMap(Effect.console, (c) =>
    self.pipe(Effect.withConsole({ ...c, error: (...xs: ReadonlyArray<unknown>) => Effect.sync(() => void lines.push(xs.join(" "))) })))

/** A fake runner: records when each run starts and with what, then does `body(n)` for run n. */
const fakeRunner = (body: (n: number) => Effect.Effect<number> = () => Effect.succeed(0)) => {
  const starts: Array<string> = []
  const seen: Array<ReadonlyArray<string>> = []
  const run: RunOnce<never, never> = (args) =>
    Effect.gen(function*() {
      starts.push(iso(yield* Clock.currentTimeMillis))
      seen.push(args)
      return yield* body(starts.length)
    })
  return { starts, seen, run }
}

/** Starts the schedule at `from` (virtual), lets `span` of virtual time pass, and stops it. */
const scheduleFor = <E>(
  expression: string,
  args: ReadonlyArray<string>,
  run: RunOnce<E, never>,
  from: string,
  span: Duration.DurationInput
) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    yield* TestClock.setTime(Date.parse(from))
    const fiber = yield* Effect.fork(capturing(runSchedule(expression, args, run), lines))
    yield* TestClock.adjust(span)
    const exit = yield* Fiber.interrupt(fiber)
    return { lines, exit }
  })

const badInput = (effect: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) throw new Error("expected a failure")
    const error = Option.getOrThrow(Cause.failureOption(exit.cause)) as { readonly _tag: string; readonly message: string }
    return { tag: error._tag, message: error.message, exitCode: exitCodeFor(exit.cause) }
  })

describe("ferry schedule: when runs happen", () => {
  it.effect("0 3 * * * from 02:59 UTC runs at 03:00 UTC on successive days, saying when the next run is before each wait", () =>
    Effect.gen(function*() {
      const runner = fakeRunner()
      const { lines, exit } = yield* scheduleFor("0 3 * * *", ["backup", "kinopio", "--out", "/var/backups/ferry"], runner.run, "2026-11-23T02:59:00Z", "3 days")
      expect(runner.starts).toEqual(["2026-11-23T03:00:00Z", "2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z"])
      expect(runner.seen).toEqual(Array(3).fill(["backup", "kinopio", "--out", "/var/backups/ferry"]))
      expect(lines).toEqual([
        `schedule: "0 3 * * *" (UTC): ferry backup kinopio --out /var/backups/ferry`,
        "schedule: next run at 2026-11-23T03:00:00Z",
        "schedule: run at 2026-11-23T03:00:00Z succeeded after 0.0 s",
        "schedule: next run at 2026-11-24T03:00:00Z",
        "schedule: run at 2026-11-24T03:00:00Z succeeded after 0.0 s",
        "schedule: next run at 2026-11-25T03:00:00Z",
        "schedule: run at 2026-11-25T03:00:00Z succeeded after 0.0 s",
        "schedule: next run at 2026-11-26T03:00:00Z"
      ])
      expect(Exit.isInterrupted(exit)).toBe(true)
    }))

  it.effect("nothing runs at start: the first run is the first tick after it, even when started on a tick", () =>
    Effect.gen(function*() {
      const runner = fakeRunner()
      yield* scheduleFor("0 3 * * *", ["verify", "a.zip"], runner.run, "2026-11-23T03:00:00Z", "1 day")
      expect(runner.starts).toEqual(["2026-11-24T03:00:00Z"])
    }))

  it.effect("the expression is read in UTC, whatever TZ says: runs stay at 03:00Z across a DST change", () =>
    Effect.gen(function*() {
      const before = process.env["TZ"]
      process.env["TZ"] = "America/New_York" // DST starts there on 2026-03-08
      try {
        const runner = fakeRunner()
        yield* scheduleFor("0 3 * * *", ["backup", "kinopio"], runner.run, "2026-03-06T12:00:00Z", "4 days")
        expect(runner.starts).toEqual(["2026-03-07T03:00:00Z", "2026-03-08T03:00:00Z", "2026-03-09T03:00:00Z", "2026-03-10T03:00:00Z"])
      } finally {
        if (before === undefined) delete process.env["TZ"]
        else process.env["TZ"] = before
      }
    }))

  it.effect("6 fields are accepted, the first being seconds", () =>
    Effect.gen(function*() {
      const runner = fakeRunner()
      yield* scheduleFor("*/20 * * * * *", ["prune", "--keep-last", "3"], runner.run, "2026-11-23T02:59:59Z", "61 seconds")
      expect(runner.starts).toEqual(["2026-11-23T03:00:00Z", "2026-11-23T03:00:20Z", "2026-11-23T03:00:40Z", "2026-11-23T03:01:00Z"])
    }))

  it.effect("a monthly expression waits longer than a JS timer can (24.8 days) in steps of at most an hour, and runs on time", () =>
    Effect.gen(function*() {
      // Effect's live clock treats one sleep over 2^31-1 ms as forever; the TestClock has no such
      // limit, so this clock records every sleep instead (and moves time at once).
      let now = Date.parse("2026-11-01T04:00:00Z")
      const sleeps: Array<number> = []
      const clock: Clock.Clock = {
        [Clock.ClockTypeId]: Clock.ClockTypeId,
        unsafeCurrentTimeMillis: () => now,
        currentTimeMillis: Effect.sync(() => now),
        unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
        currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
        sleep: (duration) =>
          Effect.sync(() => {
            sleeps.push(Duration.toMillis(duration))
            now += Duration.toMillis(duration)
          })
      }
      const runner = fakeRunner((n) => n === 2 ? Effect.interrupt : Effect.succeed(0))
      const exit = yield* capturing(runSchedule("0 3 1 * *", ["backup", "kinopio"], runner.run), []).pipe(Effect.withClock(clock), Effect.exit)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(runner.starts).toEqual(["2026-12-01T03:00:00Z", "2027-01-01T03:00:00Z"])
      expect(Math.max(...sleeps)).toBe(60 * 60 * 1000)
    }))
})

describe("ferry schedule: slow and failing runs", () => {
  it.effect("runs never overlap: a tick during a run is skipped and logged, the next tick after the run is used", () =>
    Effect.gen(function*() {
      const runner = fakeRunner((n) => Effect.as(Effect.sleep(n === 1 ? "25 hours" : "1 hour"), 0))
      const { lines } = yield* scheduleFor("0 3 * * *", ["backup", "kinopio"], runner.run, "2026-11-23T02:59:00Z", "3 days")
      expect(runner.starts).toEqual(["2026-11-23T03:00:00Z", "2026-11-25T03:00:00Z"])
      expect(lines).toContain("schedule: run at 2026-11-23T03:00:00Z succeeded after 90000.0 s")
      expect(lines).toContain("schedule: skipped the run at 2026-11-24T03:00:00Z: the run at 2026-11-23T03:00:00Z was still going")
      const skipped = lines.indexOf("schedule: skipped the run at 2026-11-24T03:00:00Z: the run at 2026-11-23T03:00:00Z was still going")
      expect(lines[skipped + 1]).toBe("schedule: next run at 2026-11-25T03:00:00Z")
    }))

  it.effect("several overlapped ticks are one line", () =>
    Effect.gen(function*() {
      const runner = fakeRunner((n) => Effect.as(Effect.sleep(n === 1 ? "50 minutes" : "1 minute"), 0))
      const { lines } = yield* scheduleFor("*/15 * * * *", ["feed", "kinopio", "--space", "s1"], runner.run, "2026-11-23T02:59:00Z", "76 minutes")
      expect(runner.starts).toEqual(["2026-11-23T03:00:00Z", "2026-11-23T04:00:00Z", "2026-11-23T04:15:00Z"])
      expect(lines).toContain(
        "schedule: skipped 3 runs (2026-11-23T03:15:00Z to 2026-11-23T03:45:00Z): the run at 2026-11-23T03:00:00Z was still going"
      )
    }))

  it.effect("a run that ends exactly on a tick has not overlapped it: that tick runs", () =>
    Effect.gen(function*() {
      const runner = fakeRunner((n) => Effect.as(Effect.sleep(n === 1 ? "1 day" : "1 minute"), 0))
      const { lines } = yield* scheduleFor("0 3 * * *", ["backup", "kinopio"], runner.run, "2026-11-23T02:59:00Z", "2 days")
      expect(runner.starts).toEqual(["2026-11-23T03:00:00Z", "2026-11-24T03:00:00Z"])
      expect(lines.some((l) => l.includes("skipped"))).toBe(false)
    }))

  it.effect("a failed run is one line on stderr and the schedule goes on", () =>
    Effect.gen(function*() {
      const runner = fakeRunner((n) => Effect.as(Effect.sleep("12.3 seconds"), n === 1 ? 1 : n === 2 ? 137 : 0))
      const { lines } = yield* scheduleFor("0 3 * * *", ["backup", "kinopio"], runner.run, "2026-11-23T02:59:00Z", "3 days")
      expect(runner.starts).toEqual(["2026-11-23T03:00:00Z", "2026-11-24T03:00:00Z", "2026-11-25T03:00:00Z"])
      expect(lines).toContain("schedule: run at 2026-11-23T03:00:00Z exited 1 after 12.3 s")
      expect(lines).toContain("schedule: run at 2026-11-24T03:00:00Z exited 137 after 12.3 s")
      expect(lines).toContain("schedule: run at 2026-11-25T03:00:00Z succeeded after 12.3 s")
    }))

  it.effect("a run that cannot start is one line too, and the schedule goes on", () =>
    Effect.gen(function*() {
      let calls = 0
      const run: RunOnce<Error, never> = () =>
        Effect.suspend(() => ++calls === 1 ? Effect.fail(new Error("spawn /usr/bin/node\nEACCES")) : Effect.succeed(0))
      const { lines } = yield* scheduleFor("0 3 * * *", ["backup", "kinopio"], run, "2026-11-23T02:59:00Z", "2 days")
      expect(calls).toBe(2)
      expect(lines).toContain("schedule: run at 2026-11-23T03:00:00Z could not run: spawn /usr/bin/node EACCES")
    }))

  it.effect("stopping during a run interrupts the run and waits for it; the exit is 130", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      const run: RunOnce<never, never> = () =>
        Effect.never.pipe(
          // The real runner's cleanup (SIGTERM, then waiting for the child) takes time; so does this.
          Effect.onInterrupt(() => Effect.sleep("5 seconds").pipe(Effect.zipRight(Effect.sync(() => events.push("run stopped")))))
        )
      yield* TestClock.setTime(Date.parse("2026-11-23T02:59:00Z"))
      const fiber = yield* Effect.fork(capturing(runSchedule("0 3 * * *", ["backup", "kinopio"], run), []))
      yield* TestClock.adjust("2 minutes")
      const stopping = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* TestClock.adjust("4 seconds")
      expect(events).toEqual([])
      expect(Option.isNone(yield* Fiber.poll(stopping))).toBe(true)
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.join(stopping)
      expect(events).toEqual(["run stopped"])
      expect(Exit.isFailure(exit) && exitCodeFor(exit.cause)).toBe(130)
    }))
})

describe("ferry schedule: refused input (exit 2, one line)", () => {
  it.effect("a bad cron expression is BadInput naming the expression, the field and what is wrong; nothing runs", () =>
    Effect.gen(function*() {
      const runner = fakeRunner()
      const cases = [
        ["61 3 * * *", `cron expression "61 3 * * *": minute field "61": expected a value between 0 and 59`],
        ["0 25 * * *", `cron expression "0 25 * * *": hour field "25": expected a value between 0 and 23`],
        ["0 3 * * funday", `cron expression "0 3 * * funday": day-of-week field "funday": expected a positive integer`],
        ["0 3 * *", `cron expression "0 3 * *": it has 4 fields; write 5 (minute hour day-of-month month day-of-week, in UTC), e.g. "0 3 * * *" for 03:00 UTC every day`],
        ["@daily", `cron expression "@daily": it has 1 field; write 5 (minute hour day-of-month month day-of-week, in UTC), e.g. "0 3 * * *" for 03:00 UTC every day`],
        ["0 0 30 2 *", `cron expression "0 0 30 2 *": it never matches a date`],
        ["0 3 */0 * *", `cron expression "0 3 */0 * *": day-of-month field "*/0": expected step value to be greater than 0`]
      ] as const
      for (const [expression, message] of cases) {
        expect(yield* badInput(runSchedule(expression, ["backup", "kinopio"], runner.run))).toEqual({ tag: "BadInput", message, exitCode: 2 })
      }
      expect(runner.starts).toEqual([])
    }))

  it.effect("the command must be a Ferry command that ends, and never schedule itself", () =>
    Effect.gen(function*() {
      expect(yield* badInput(checkCommand(["schedule", "0 3 * * *", "--", "backup", "kinopio"]))).toEqual({
        tag: "BadInput",
        message: "the command to schedule cannot be schedule itself",
        exitCode: 2
      })
      expect((yield* badInput(checkCommand([]))).message).toBe(`name the Ferry command to run after --, e.g. ferry schedule "0 3 * * *" -- backup kinopio`)
      expect((yield* badInput(checkCommand(["frob"]))).message).toBe(
        `"frob" is not a Ferry command that can be scheduled (one of: backup, verify, prune, feed, restore, migrate, export, import)`
      )
      expect((yield* badInput(checkCommand(["--help"]))).tag).toBe("BadInput")
      expect((yield* badInput(checkCommand(["serve"]))).message).toContain("serve runs until stopped")
      for (const name of ["backup", "verify", "prune", "feed", "restore", "migrate", "export", "import"]) {
        expect(yield* checkCommand([name, "x"])).toEqual([name, "x"])
      }
      const runner = fakeRunner()
      const refused = yield* badInput(runSchedule("0 3 * * *", ["schedule", "0 3 * * *", "--", "backup"], runner.run))
      expect(refused.exitCode).toBe(2)
      expect(runner.starts).toEqual([])
    }))

  it.effect("parseCron accepts what Effect's Cron accepts: lists, ranges, steps, names", () =>
    Effect.gen(function*() {
      for (const expression of ["0 3 * * *", "30 2 * * mon-fri", "0 */6 * * *", "0 3 1,15 * *", "0 3 * jan-mar sun", " 0  3 * * * "]) {
        yield* parseCron(expression, new Date("2026-11-23T00:00:00Z"))
      }
    }))
})

describe("ferry schedule: the command line", () => {
  it("splitScheduleArgv hands @effect/cli only what comes before --, and the rest untouched", () => {
    const node = ["/usr/bin/node", "/app/bin/ferry.js"]
    expect(splitScheduleArgv([...node, "schedule", "0 3 * * *", "--", "backup", "kinopio", "--help", "--log-level", "debug", "--", "x"])).toEqual({
      argv: [...node, "schedule", "0 3 * * *"],
      command: ["backup", "kinopio", "--help", "--log-level", "debug", "--", "x"]
    })
    expect(splitScheduleArgv([...node, "schedule", "0 3 * * *", "--"])).toEqual({ argv: [...node, "schedule", "0 3 * * *"], command: [] })
    // Only schedule: other commands, and schedule without --, are left to @effect/cli.
    const others = [...node, "backup", "kinopio", "--", "schedule"]
    expect(splitScheduleArgv(others)).toEqual({ argv: others, command: undefined })
    const noDashes = [...node, "schedule", "0 3 * * *", "backup", "kinopio"]
    expect(splitScheduleArgv(noDashes)).toEqual({ argv: noDashes, command: undefined })
  })

  it("the command is logged with flag credentials redacted", () => {
    expect(shownCommand(["restore", "a b.zip", "--to-api-key", "k1", "--api-key=k2", "--api-url", "http://x"])).toBe(
      `restore "a b.zip" --to-api-key [redacted] --api-key=[redacted] --api-url http://x`
    )
    // A URL can carry a secret too: its user and password, or a token in its query.
    expect(shownCommand(["backup", "kinopio", "--api-url", "https://me:pw1@proxy.example/api?token=t0p&x=1#f", "--api-url=http://u@h/"]))
      .toBe(`backup kinopio --api-url "https://[redacted]@proxy.example/api?token=[redacted]&x=[redacted]#f" --api-url=http://[redacted]@h/`)
    // A password holding "@", and a token in the fragment.
    const shown = shownCommand(["--api-url", "https://u:p@ss@h.example/x#access_token=s3cr3t&state=1"])
    expect(shown).toBe(`--api-url "https://[redacted]@h.example/x#access_token=[redacted]&state=[redacted]"`)
    expect(shown).not.toContain("ss@")
  })

  it("FERRY_BIN is bin/ferry.js, found from the module", () => {
    expect(FERRY_BIN.endsWith(join("bin", "ferry.js"))).toBe(true)
    expect(existsSync(FERRY_BIN)).toBe(true)
  })
})

describe("ferry schedule: the child process (real processes, small scripts)", () => {
  const withScripts = <A, E>(body: (dir: string) => Effect.Effect<A, E, NodeContext.NodeContext>) =>
    Effect.acquireUseRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "ferry-schedule-"))),
      (dir) => body(dir).pipe(Effect.provide(NodeContext.layer)),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )

  it.live("the child gets the arguments, folder and environment; its exit code comes back, a signal as 128 + its number", () =>
    withScripts((dir) =>
      Effect.gen(function*() {
        const script = join(dir, "exit.mjs")
        const seen = join(dir, "seen.json")
        writeFileSync(
          script,
          [
            `import { writeFileSync } from "node:fs"`,
            `writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ cwd: process.cwd(), env: process.env.FERRY_SCHEDULE_TEST, args: process.argv.slice(2) }))`,
            `if (process.argv[2] === "kill") process.kill(process.pid, "SIGKILL"); else process.exit(Number(process.argv[2]))`
          ].join("\n")
        )
        process.env["FERRY_SCHEDULE_TEST"] = "inherited"
        expect(yield* childRunner(script)(["0", "--api-key", "k"])).toBe(0)
        delete process.env["FERRY_SCHEDULE_TEST"]
        // The child gets the arguments untouched, and this process's folder and environment.
        expect(JSON.parse(readFileSync(seen, "utf8"))).toEqual({ cwd: process.cwd(), env: "inherited", args: ["0", "--api-key", "k"] })
        expect(yield* childRunner(script)(["3"])).toBe(3)
        expect(yield* childRunner(script)(["kill"])).toBe(137)
      })
    ), 20_000)

  it.live("stopping the scheduler sends the child SIGTERM and waits for it to clean up and exit", () =>
    withScripts((dir) =>
      Effect.gen(function*() {
        const script = join(dir, "slow.mjs")
        const ready = join(dir, "ready")
        const cleaned = join(dir, "cleaned")
        writeFileSync(
          script,
          [
            `import { writeFileSync } from "node:fs"`,
            `process.on("SIGTERM", () => setTimeout(() => { writeFileSync(${JSON.stringify(cleaned)}, ""); process.exit(130) }, 200))`,
            `writeFileSync(${JSON.stringify(ready)}, "")`,
            `setInterval(() => {}, 1000)`
          ].join("\n")
        )
        const lines: Array<string> = []
        const fiber = yield* Effect.fork(capturing(childRunner(script)([]), lines))
        yield* Effect.sync(() => existsSync(ready)).pipe(Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("20 millis") }), Effect.timeout("10 seconds"))
        const exit = yield* Fiber.interrupt(fiber)
        // Fiber.interrupt returned only once the child had run its SIGTERM handler to the end.
        expect(existsSync(cleaned)).toBe(true)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(lines).toEqual([
          "schedule: stopping; the run in progress was sent SIGTERM, waiting for it to end",
          "schedule: the run in progress stopped with exit 130"
        ])
      })
    ), 20_000)
})
