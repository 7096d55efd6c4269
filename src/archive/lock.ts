/**
 * The run lock: two Ferry runs on the same output folder and account never overlap.
 *
 * Promises:
 * - At most one run holds `<folder>/.ferry-<hash of account>.lock` at a time: the file is
 *   created with an exclusive create, so of two runs starting together exactly one wins; the
 *   other fails with `LockHeld`, naming the holder (command, pid, host, start time).
 * - A lock left behind by a run that is gone is taken over, not obeyed forever: its process has
 *   ended (same host), it was never written whole, or its heartbeat stopped (any host, e.g. a
 *   folder shared over NFS). The holder refreshes the heartbeat (the file's mtime) every minute.
 * - The lock is released when its scope closes, whatever the exit, and only if the file is
 *   still ours: a run that was taken over never deletes its successor's lock.
 *
 * Limits (a plain file system has no fencing): two machines sharing a folder and reporting the
 * same host name are told apart by heartbeat only, so a live holder there can look dead by pid.
 * Clocks of hosts sharing a folder must agree to well within the staleness window.
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Data, Duration, Effect, Option, Schema, type Scope } from "effect"
import { createHash, randomUUID } from "node:crypto"
import { hostname } from "node:os"
import { join } from "node:path"

/** What a lock file says about its holder. */
export interface LockInfo {
  readonly pid: number
  readonly host: string
  /** The holder's command line, as Ferry wrote it (never a credential). */
  readonly command: string
  readonly account: string
  /** ISO time the holder took the lock. */
  readonly startedAt: string
  /** Random, per acquisition: tells this acquisition's file from any later one. */
  readonly token: string
}

/** Another run holds the lock. Not bad input: the same command succeeds later. Exit 1. */
export class LockHeld extends Data.TaggedError("LockHeld")<{
  readonly path: string
  /** Undefined when the holder's file could not be read yet (it is being written). */
  readonly holder: LockInfo | undefined
}> {
  override get message() {
    const h = this.holder
    if (h === undefined) {
      return `another Ferry run holds ${this.path} (it is just starting); try again in a few seconds`
    }
    return `another Ferry run holds ${this.path}: ${JSON.stringify(oneLine(h.command))}, pid ${h.pid} on host ${
      oneLine(h.host)
    }, since ${oneLine(h.startedAt)}; let it finish, or stop it and run again`
  }
}

/** The lock could not be taken or inspected (permission denied, not a folder...). Exit 1. */
export class LockFailed extends Data.TaggedError("LockFailed")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `could not lock ${this.path}: ${this.reason}; check that the folder is writable`
  }
}

/** A lock this acquisition found abandoned and replaced. */
export interface StaleHolder {
  /** Undefined when the file was unreadable. */
  readonly holder: LockInfo | undefined
  /** Why it counted as abandoned, in a person's words, e.g. "pid 4242 on this host has ended". */
  readonly reason: string
}

export interface Lock {
  readonly path: string
  /** What our lock file says. */
  readonly info: LockInfo
  /** The abandoned lock taken over on the way in, if any (worth a log line). */
  readonly replaced: StaleHolder | undefined
  /** Whether the file is still ours: false once another run took it over (we looked dead). */
  readonly stillHeld: Effect.Effect<boolean, LockFailed>
}

export interface LockOptions {
  /** The output folder (e.g. "output/kinopio"); created if missing. */
  readonly folder: string
  readonly account: string
  /** Shown to a second run; must not contain credentials. */
  readonly command: string
  /** A heartbeat older than this marks the holder as gone. Default 10 minutes. */
  readonly staleAfter?: Duration.DurationInput
  /** How often the holder refreshes its heartbeat; keep it well under `staleAfter`. Default 1 minute. */
  readonly heartbeatEvery?: Duration.DurationInput
}

export const DEFAULT_STALE_AFTER = Duration.minutes(10)
export const DEFAULT_HEARTBEAT_EVERY = Duration.minutes(1)
/** A writer creates the file and writes it at once; unreadable for longer than this, it died in between. */
export const UNREADABLE_GRACE = Duration.seconds(10)

/**
 * `<folder>/.ferry-<16 hex>.lock`. A hash, not the account itself: account ids are user text
 * (slashes, spaces, case that a case-insensitive disk would fold).
 */
export const lockPath = (folder: string, account: string): string =>
  join(folder, `.ferry-${createHash("sha256").update(account, "utf8").digest("hex").slice(0, 16)}.lock`)

/**
 * Takes the lock for `account` in `folder`, or fails with `LockHeld`. Released when the scope
 * closes; a heartbeat fiber lives as long as the scope.
 */
export const acquireLock = (
  options: LockOptions
): Effect.Effect<Lock, LockHeld | LockFailed, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = lockPath(options.folder, options.account)
    const staleAfterMs = Duration.toMillis(options.staleAfter ?? DEFAULT_STALE_AFTER)
    const heartbeatEvery = options.heartbeatEvery ?? DEFAULT_HEARTBEAT_EVERY
    const failed = (where: string) => (e: PlatformError) => new LockFailed({ path: where, reason: reasonOf(e) })

    yield* fs.makeDirectory(options.folder, { recursive: true }).pipe(Effect.mapError(failed(options.folder)))

    const info: LockInfo = {
      pid: process.pid,
      host: hostname(),
      command: options.command,
      account: options.account,
      startedAt: new Date(yield* Clock.currentTimeMillis).toISOString(),
      token: randomUUID()
    }
    const content = JSON.stringify(info) + "\n"

    /** True when we created the file; false when one was there already. */
    const create: Effect.Effect<boolean, LockFailed> = Effect.scoped(Effect.gen(function*() {
      const opened = yield* fs.open(path, { flag: "wx", mode: 0o600 }).pipe(
        Effect.map(Option.some),
        Effect.catchIf(isReason("AlreadyExists"), () => Effect.succeed(Option.none())),
        Effect.mapError(failed(path))
      )
      if (Option.isNone(opened)) return false
      yield* opened.value.writeAll(Buffer.from(content, "utf8")).pipe(
        // The file is ours and half-written: a leftover would block the next run for a while.
        Effect.tapError(() => Effect.ignore(fs.remove(path))),
        Effect.mapError(failed(path))
      )
      return true
    }))

    const inspect = (file: string): Effect.Effect<Seen, LockFailed> =>
      Effect.gen(function*() {
        const stat = yield* fs.stat(file)
        const text = yield* fs.readFileString(file)
        const now = yield* Clock.currentTimeMillis
        // An mtime in the future (another host's clock ahead, or a virtual clock) is a fresh heartbeat.
        const ageMs = Option.match(stat.mtime, { onNone: () => 0, onSome: (m) => now - m.getTime() })
        const holder = Option.getOrUndefined(decodeInfo(text))
        const reason = staleReason(holder, text, ageMs, staleAfterMs)
        return reason === undefined
          ? { _tag: "Held", holder } as const
          : { _tag: "Stale", holder, text, reason } as const
      }).pipe(
        Effect.catchIf(isReason("NotFound"), () => Effect.succeed({ _tag: "Gone" } as const)),
        Effect.mapError(failed(file))
      )

    /**
     * Moves the stale file out of the way under a name only we use, then looks again at what we
     * actually moved: between our look and the rename another run may have taken the stale lock
     * over and created a fresh one at the same name. Deleting by name would destroy that fresh
     * lock; deleting only what we moved, once re-checked, cannot.
     */
    const takeOver = (stale: Stale): Effect.Effect<"cleared" | { readonly held: LockInfo | undefined }, LockFailed> =>
      Effect.gen(function*() {
        const aside = `${path}.stale-${info.token}`
        const moved = yield* fs.rename(path, aside).pipe(
          Effect.as(true),
          // Someone else moved it first; the exclusive create decides which of us wins.
          Effect.catchIf(isReason("NotFound"), () => Effect.succeed(false)),
          Effect.mapError(failed(path))
        )
        if (!moved) return "cleared" as const
        const again = yield* inspect(aside)
        if (again._tag === "Gone" || (again._tag === "Stale" && again.text === stale.text)) {
          yield* fs.remove(aside).pipe(
            Effect.catchIf(isReason("NotFound"), () => Effect.void),
            Effect.mapError(failed(aside))
          )
          return "cleared" as const
        }
        // Not the file judged stale: a live run's lock. A hard link puts it back and, unlike a
        // rename, fails instead of overwriting a lock a third run may have created meanwhile.
        yield* putBack(aside)
        return { held: again.holder }
      })

    const putBack = (aside: string): Effect.Effect<void, LockFailed> =>
      fs.link(aside, path).pipe(
        Effect.catchIf((e) => !isReason("AlreadyExists")(e), () =>
          // No hard links on this file system: a rename, but only onto a free name (a small window).
          Effect.flatMap(fs.exists(path), (taken) => taken ? Effect.void : fs.rename(aside, path))),
        // A third run created a lock in the moment the name was free: it holds the lock now, and the
        // run we displaced sees `stillHeld` false. Nothing left for us to repair.
        Effect.catchIf(isReason("AlreadyExists"), () => Effect.void),
        Effect.zipRight(fs.remove(aside).pipe(Effect.catchIf(isReason("NotFound"), () => Effect.void))),
        Effect.mapError(failed(path))
      )

    // Bounded: a stale lock is taken over at most once; if our create then loses, a live run won.
    const attempt = (
      triesLeft: number,
      replaced: StaleHolder | undefined
    ): Effect.Effect<StaleHolder | undefined, LockHeld | LockFailed> =>
      Effect.gen(function*() {
        if (yield* create) return replaced
        const seen = yield* inspect(path)
        const held = (holder: LockInfo | undefined) => Effect.fail(new LockHeld({ path, holder }))
        if (seen._tag === "Held") return yield* held(seen.holder)
        if (triesLeft === 0) return yield* held(seen._tag === "Stale" ? seen.holder : undefined)
        if (seen._tag === "Gone") return yield* attempt(triesLeft - 1, replaced) // released meanwhile
        if (replaced !== undefined) return yield* held(seen.holder)
        const outcome = yield* takeOver(seen)
        if (outcome !== "cleared") return yield* held(outcome.held)
        return yield* attempt(triesLeft - 1, { holder: seen.holder, reason: seen.reason })
      })

    const isOurs: Effect.Effect<boolean, PlatformError> = fs.readFileString(path).pipe(
      Effect.map((text) => Option.exists(decodeInfo(text), (h) => h.token === info.token)),
      Effect.catchIf(isReason("NotFound"), () => Effect.succeed(false))
    )

    // Between the check and the remove the file could only change hands if we looked dead to
    // another run at that very moment; a rename-and-verify would just move that window elsewhere.
    const release = Effect.ignore(Effect.flatMap(isOurs, (ours) => (ours ? fs.remove(path) : Effect.void)))

    // Acquisition is a handful of file operations, so it runs uninterruptibly: either we hold no
    // file, or the release is registered.
    const replaced = yield* Effect.acquireRelease(attempt(2, undefined), () => release)

    // Refreshes our own file only: once the file is someone else's, touching it would keep an
    // abandoned lock looking alive, so the heartbeat stops for good. A failed refresh (a network
    // file system hiccup) is retried at the next beat.
    const beat: Effect.Effect<boolean> = Effect.gen(function*() {
      if (!(yield* isOurs)) return true
      const now = new Date(yield* Clock.currentTimeMillis)
      yield* fs.utimes(path, now, now)
      return false
    }).pipe(Effect.orElseSucceed(() => false))
    // Forked after the release was registered, so it is stopped before the file is removed.
    yield* Effect.forkScoped(
      Effect.sleep(heartbeatEvery).pipe(Effect.zipRight(beat), Effect.repeat({ until: (lost) => lost }))
    )

    return {
      path,
      info,
      replaced,
      stillHeld: isOurs.pipe(Effect.mapError(failed(path)))
    } satisfies Lock
  })

type Stale = { readonly _tag: "Stale"; readonly holder: LockInfo | undefined; readonly text: string; readonly reason: string }
type Seen =
  | { readonly _tag: "Gone" }
  | { readonly _tag: "Held"; readonly holder: LockInfo | undefined }
  | Stale

const staleReason = (
  holder: LockInfo | undefined,
  text: string,
  ageMs: number,
  staleAfterMs: number
): string | undefined => {
  if (holder === undefined) {
    if (ageMs <= Duration.toMillis(UNREADABLE_GRACE)) return undefined // its writer may be mid-write
    return `the lock file is ${text.trim() === "" ? "empty" : "unreadable"} and ${describeAge(ageMs)} old`
  }
  if (holder.host === hostname() && !isAlive(holder.pid)) return `pid ${holder.pid} on this host has ended`
  if (ageMs > staleAfterMs) return `its heartbeat stopped ${describeAge(ageMs)} ago`
  return undefined
}

/** Signal 0 only checks: ESRCH means no such process; EPERM means it exists but is not ours. */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH"
  }
}

const describeAge = (ms: number): string =>
  ms < 120_000 ? `${Math.round(ms / 1000)} seconds` : ms < 7_200_000 ? `${Math.round(ms / 60_000)} minutes` : `${Math.round(ms / 3_600_000)} hours`

// pid ≥ 1: `process.kill` with 0 or a negative pid signals a whole process group.
const LockInfoSchema = Schema.Struct({
  pid: Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)),
  host: Schema.String,
  command: Schema.String,
  account: Schema.String,
  startedAt: Schema.String,
  token: Schema.NonEmptyString
})
const decodeInfo = Schema.decodeUnknownOption(Schema.parseJson(LockInfoSchema))

const isReason = (reason: string) => (e: PlatformError): boolean => e._tag === "SystemError" && e.reason === reason

const reasonOf = (e: PlatformError): string =>
  e._tag === "SystemError" && e.description !== undefined ? e.description : e.message

/** Text read from a file someone else wrote goes into a one-line message: no line breaks, bounded. */
const oneLine = (s: string): string => {
  const flat = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat
}
