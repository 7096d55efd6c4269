/**
 * `ferry schedule "<cron expression>" -- <ferry command and its flags>`: runs a Ferry command on a
 * cron schedule, in the foreground, until stopped (for a container or a service manager).
 *
 * - The expression is read in UTC, always: a nightly job must not move, run twice or be skipped
 *   when daylight saving time starts or ends. Standard 5 fields (minute hour day-of-month month
 *   day-of-week, with lists, ranges, steps and jan-dec / sun-sat names); 6 fields are accepted
 *   too, the first being seconds. No `@daily` macros, no `?`, `L` or `W`.
 * - Each tick runs the command in a child process (see `childRunner`), so a crash, a leak or a
 *   failed run never takes the scheduler down, and each run starts with a fresh heap and budget.
 * - Runs never overlap: a tick that comes while a run is still going is skipped (one line says
 *   so), and the next tick after the run ends is used.
 * - Stopped (Ctrl-C, SIGTERM): a running child is sent SIGTERM, cleans up and exits; the scheduler
 *   waits for it, then exits 130 as any interrupted Ferry command does.
 *
 * Everything it says goes to standard error as plain lines starting with `schedule:`.
 */
import { Args, Command as CliCommand } from "@effect/cli"
import { Command, type CommandExecutor } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Console, Cron, Data, Duration, Effect, Either, Exit } from "effect"
import { constants } from "node:os"
import { fileURLToPath } from "node:url"
import { BadInput } from "../src/errors.ts"

/** The Ferry commands that may be scheduled: the ones that do a job and end. */
export const SCHEDULABLE = ["backup", "verify", "prune", "feed", "restore", "migrate", "export", "import"] as const

/**
 * A run that could not start, or whose end could not be read. Its message never holds the
 * command line: @effect/platform's own error message does, and it may hold a credential.
 */
export class RunNotStarted extends Data.TaggedError("RunNotStarted")<{ readonly reason: string }> {
  override get message() {
    return this.reason
  }
}

/** Runs one Ferry command line (without `ferry`) to its end and gives its exit code. */
export type RunOnce<E, R> = (args: ReadonlyArray<string>) => Effect.Effect<number, E, R>

const FIELDS_5 = ["minute", "hour", "day-of-month", "month", "day-of-week"] as const
const FIELDS_6 = ["second", ...FIELDS_5] as const

/**
 * Parses `expression` in UTC. Bad input names the expression, the field and what is wrong, or
 * says the expression never matches a date (`0 0 30 2 *`), which `Cron.parse` accepts but on
 * which `Cron.next` would throw at the first tick.
 */
export const parseCron = (expression: string, now: Date): Effect.Effect<Cron.Cron, BadInput> =>
  Effect.suspend(() => {
    const bad = (what: string) =>
      Effect.fail(new BadInput({ message: `cron expression "${expression}": ${what}` }))
    const fields = expression.trim().split(/\s+/).filter((f) => f !== "")
    if (fields.length !== 5 && fields.length !== 6) {
      return bad(
        `it has ${fields.length} field${fields.length === 1 ? "" : "s"}; write 5 (minute hour day-of-month month day-of-week, in UTC), e.g. "0 3 * * *" for 03:00 UTC every day`
      )
    }
    const names = fields.length === 5 ? FIELDS_5 : FIELDS_6
    // Cron.parse names only the offending text, not its field: parse each field alone to say which.
    for (const [i, field] of fields.entries()) {
      const alone = ["*", "*", "*", "*", "*", "*"]
      alone[fields.length === 5 ? i + 1 : i] = field
      const parsed = Cron.parse(alone.join(" "), "UTC")
      if (Either.isLeft(parsed)) return bad(`${names[i]} field "${field}": ${parsed.left.message.toLowerCase()}`)
    }
    const parsed = Cron.parse(expression, "UTC")
    if (Either.isLeft(parsed)) return bad(parsed.left.message.toLowerCase())
    try {
      Cron.next(parsed.right, now)
    } catch {
      return bad("it never matches a date")
    }
    return Effect.succeed(parsed.right)
  })

/** The command after `--`: a Ferry command that does a job and ends, never `schedule` itself. */
export const checkCommand = (args: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, BadInput> => {
  const [name] = args
  if (name === undefined) {
    return Effect.fail(new BadInput({ message: `name the Ferry command to run after --, e.g. ferry schedule "0 3 * * *" -- backup kinopio` }))
  }
  if (name === "schedule") {
    return Effect.fail(new BadInput({ message: "the command to schedule cannot be schedule itself" }))
  }
  if (name === "serve" || name === "sandbox") {
    return Effect.fail(new BadInput({ message: `${name} runs until stopped, so every tick after the first would be skipped; run it on its own` }))
  }
  if (!(SCHEDULABLE as ReadonlyArray<string>).includes(name)) {
    return Effect.fail(new BadInput({ message: `"${name}" is not a Ferry command that can be scheduled (one of: ${SCHEDULABLE.join(", ")})` }))
  }
  return Effect.succeed(args)
}

/**
 * A URL's user and password (up to the last "@" before the path: a password may hold "@") and
 * the values of its query and fragment (where a proxy or gateway token may ride) replaced.
 */
const shownUrl = (text: string): string =>
  text.replace(/\bhttps?:\/\/[^\s"']+/gi, (url) =>
    url
      .replace(/^(https?:\/\/)[^/?#]*@/i, "$1[redacted]@")
      .replace(/([?&#][^=&#]*=)[^&#]*/g, "$1[redacted]"))

/** Credentials given as flags, or inside URLs, must not reach the log: their values are replaced. */
export const shownCommand = (args: ReadonlyArray<string>): string => {
  const secret = /^--(to-)?api-key$/
  return args.map((arg, i) => {
    if (/^--(to-)?api-key=/.test(arg)) return `${arg.slice(0, arg.indexOf("=") + 1)}[redacted]`
    if (i > 0 && secret.test(args[i - 1]!)) return "[redacted]"
    const shown = shownUrl(arg)
    return /^[\w@%+=:,./[\]-]+$/.test(shown) ? shown : JSON.stringify(shown)
  }).join(" ")
}

/** 2026-11-24T03:00:00Z: whole seconds, as cron ticks are. */
const iso = (millis: number) => new Date(millis).toISOString().replace(/\.000Z$/, "Z")
const seconds = (millis: number) => `${(millis / 1000).toFixed(1)} s`

/**
 * Effect's live clock treats a sleep longer than 2^31-1 ms (24.8 days) as forever, and a monthly
 * or yearly expression can wait longer than that. Waiting in steps also re-reads the wall clock,
 * so after a suspended machine wakes, or the clock is set, the job runs within an hour of its time.
 */
const MAX_STEP = Duration.hours(1)

const waitUntil = (at: number) =>
  Effect.gen(function*() {
    for (let now = yield* Clock.currentTimeMillis; now < at; now = yield* Clock.currentTimeMillis) {
      yield* Effect.sleep(Duration.min(Duration.millis(at - now), MAX_STEP))
    }
  })

/** Counting the ticks a long run overlapped stops here (a day of a per-second expression has 86,400). */
const MAX_COUNTED = 10_000

/** The ticks strictly after `at` and before `end`: those a run from `at` to `end` overlapped. */
const ticksBetween = (cron: Cron.Cron, at: number, end: number) => {
  let count = 0
  let last = at
  for (let t = Cron.next(cron, new Date(at)).getTime(); t < end && count < MAX_COUNTED; t = Cron.next(cron, new Date(t)).getTime()) {
    count++
    last = t
  }
  return { count, first: count === 0 ? at : Cron.next(cron, new Date(at)).getTime(), last }
}

/**
 * Runs `args` with `runOnce` at every tick of `expression` (UTC), one run at a time, until
 * interrupted. Bad input (the expression, the command) fails before anything runs; after that,
 * nothing fails: a run that exits non-zero, or that cannot start, is one line on standard error.
 */
export const runSchedule = <E, R>(
  expression: string,
  args: ReadonlyArray<string>,
  runOnce: RunOnce<E, R>
): Effect.Effect<never, BadInput, R> =>
  Effect.gen(function*() {
    const started = yield* Clock.currentTimeMillis
    const cron = yield* parseCron(expression, new Date(started))
    const command = yield* checkCommand(args)
    yield* Console.error(`schedule: "${expression.trim()}" (UTC): ferry ${shownCommand(command)}`)
    let after = started
    while (true) {
      const at = Cron.next(cron, new Date(after)).getTime()
      yield* Console.error(`schedule: next run at ${iso(at)}`)
      yield* waitUntil(at)
      const began = yield* Clock.currentTimeMillis
      const outcome = yield* Effect.either(runOnce(command))
      const end = yield* Clock.currentTimeMillis
      const took = seconds(end - began)
      if (Either.isLeft(outcome)) {
        const e: unknown = outcome.left
        const reason = e instanceof Error && e.message !== "" ? e.message : String(e)
        yield* Console.error(`schedule: run at ${iso(at)} could not run: ${reason.replace(/\s*\n\s*/g, " ")}`)
      } else if (outcome.right === 0) {
        yield* Console.error(`schedule: run at ${iso(at)} succeeded after ${took}`)
      } else {
        yield* Console.error(`schedule: run at ${iso(at)} exited ${outcome.right} after ${took}`)
      }
      const skipped = ticksBetween(cron, at, end)
      if (skipped.count === 1) {
        yield* Console.error(`schedule: skipped the run at ${iso(skipped.first)}: the run at ${iso(at)} was still going`)
      } else if (skipped.count > 1) {
        const count = skipped.count >= MAX_COUNTED ? `${MAX_COUNTED} or more` : `${skipped.count}`
        yield* Console.error(
          `schedule: skipped ${count} runs (${iso(skipped.first)} to ${iso(skipped.last)}): the run at ${iso(at)} was still going`
        )
      }
      // The next tick at or after the end of the run (a tick at `at` itself is never run twice).
      after = Math.max(at, end - 1)
    }
  })

/** `bin/ferry.js`, found from this module so that the scheduler works from any folder. */
export const FERRY_BIN = fileURLToPath(new URL("../bin/ferry.js", import.meta.url))

/** The child's exit code; one killed by a signal counts as 128 + its number, as in a shell. */
const exitCodeOf = (child: CommandExecutor.Process) =>
  child.exitCode.pipe(
    Effect.map(Number),
    Effect.catchIf(
      (e) => e._tag === "SystemError" && e.method === "exitCode",
      (e) => {
        const signal = /signal: (\w+)/.exec(e.description ?? "")?.[1]
        const number = signal === undefined ? undefined : constants.signals[signal as NodeJS.Signals]
        return number === undefined ? Effect.fail(e) : Effect.succeed(128 + number)
      }
    )
  )

/**
 * Runs `node <bin> <args>` with this process's standard streams, environment and folder.
 *
 * @effect/platform's Command rather than node:child_process: its NodeContext executor already
 * does what stopping needs. When the scope closes while the child runs (our fiber interrupted
 * by Ctrl-C or SIGTERM), it sends SIGTERM to the child's process group and waits for it to exit,
 * in a finalizer that cannot be cut short. The child gets its own process group (`detached`), so
 * a Ctrl-C on a terminal reaches the scheduler only and the child gets exactly one SIGTERM, from
 * us: a second signal stops a Ferry process at once, before it has cleaned up (hence
 * `KillMode=mixed` in the README's systemd unit for `ferry schedule`).
 *
 * Failing to start is the error channel, as `RunNotStarted`.
 */
export const childRunner = (bin: string): RunOnce<RunNotStarted, CommandExecutor.CommandExecutor> => (args) =>
  Effect.scoped(Effect.gen(function*() {
    let child: CommandExecutor.Process | undefined
    // Added before the child starts, so it runs after the finalizer that stops it and waits.
    yield* Effect.addFinalizer((exit) =>
      child !== undefined && Exit.isInterrupted(exit)
        ? exitCodeOf(child).pipe(
          Effect.flatMap((code) => Console.error(`schedule: the run in progress stopped with exit ${code}`)),
          Effect.ignore
        )
        : Effect.void
    )
    child = yield* Command.make(process.execPath, bin, ...args).pipe(
      Command.stdin("inherit"),
      Command.stdout("inherit"),
      Command.stderr("inherit"),
      Command.start
    )
    return yield* exitCodeOf(child).pipe(
      Effect.onInterrupt(() => Console.error("schedule: stopping; the run in progress was sent SIGTERM, waiting for it to end"))
    )
  })).pipe(Effect.mapError((e: PlatformError) =>
    new RunNotStarted({ reason: e.description ?? `${e._tag} in ${e.method}` })
  ))

/** Each tick runs `bin/ferry.js` in a child process. */
export const runFerry = childRunner(FERRY_BIN)

/** `ferry schedule "<cron expression>" -- <command and its flags>` with real child processes. */
export const schedule = (expression: string, args: ReadonlyArray<string>) => runSchedule(expression, args, runFerry)

/**
 * @effect/cli does not pass everything after `--` through: it still acts on its built-in flags
 * there (`-- backup kinopio --help` printed Ferry's help and exited 0, `--version` likewise) and
 * drops `--log-level X`. So `ferry schedule ... -- <command>` is split before @effect/cli sees
 * it: `argv` (what to parse) ends before the first `--`, and `command` is every word after it,
 * untouched. Only for `schedule`; `command` is undefined when there is no `--` or no `schedule`.
 */
export const splitScheduleArgv = (
  argv: ReadonlyArray<string>
): { readonly argv: ReadonlyArray<string>; readonly command: ReadonlyArray<string> | undefined } => {
  const dashes = argv.indexOf("--", 2)
  if (dashes === -1 || !argv.slice(2, dashes).includes("schedule")) return { argv, command: undefined }
  return { argv: argv.slice(0, dashes), command: argv.slice(dashes + 1) }
}

/**
 * The @effect/cli command, given the words after `--` split off by `splitScheduleArgv`. Without
 * `--`, the words after the expression are the command (enough for one with no flags).
 */
export const scheduleCommand = (afterDashes: ReadonlyArray<string> | undefined) =>
  CliCommand.make("schedule", {
    cron: Args.text({ name: "cron expression" }).pipe(
      Args.withDescription(`When to run, in UTC: 5 fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * *"; 6 fields start with seconds`)
    ),
    command: Args.text({ name: "command" }).pipe(
      Args.repeated,
      Args.withDescription("After --: the Ferry command and its flags, e.g. -- backup kinopio --out /var/backups/ferry")
    )
  }, (a) =>
    afterDashes !== undefined && a.command.length > 0
      ? Effect.fail(new BadInput({ message: `put the whole command after --: ferry schedule "${a.cron}" -- ${shownCommand([...a.command, ...afterDashes])}` }))
      : schedule(a.cron, afterDashes ?? a.command)).pipe(
      CliCommand.withDescription(
        `Run a Ferry command on a cron schedule in UTC (ferry schedule "0 3 * * *" -- backup kinopio), in the foreground until stopped, one run at a time, each in its own process`
      )
    )
