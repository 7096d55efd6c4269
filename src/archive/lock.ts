/**
 * The run lock: two Ferry runs on the same output folder and account never overlap.
 *
 * Promises:
 * - At most one run holds `<folder>/.ferry-<hash of account>.lock` at a time: the file is
 *   created with an exclusive create, so of two runs starting together exactly one wins; the
 *   other fails with `LockHeld`, naming the holder (command, pid, host, start time).
 * - A lock left behind by a run that is gone is taken over, not obeyed forever: it was never
 *   written whole; or its holder is on this host and its process has ended (or it ran before the
 *   host restarted); or its holder is on another host (e.g. a folder shared over NFS) and its
 *   heartbeat stopped.
 * - A holder on this host whose process is alive is obeyed however old its heartbeat: the machine
 *   may have slept, or the process been stopped (SIGSTOP, a debugger) and resumed. Only the pid
 *   tells a run on this host is gone; the heartbeat judges holders on other hosts only.
 * - The holder refreshes the heartbeat (the file's mtime) every minute. A failed refresh (a network
 *   file system hiccup) is not fatal: the next beat tries again. Once the file is gone or holds
 *   another run's token, the lock is lost for good: the heartbeat stops (it must not keep someone
 *   else's lock alive) and `stillHeld` fails with `LockLost` from then on.
 * - `stillHeld` re-reads the file: the holder calls it just before it publishes or removes
 *   anything, and stops with `LockLost` when another run took its lock over.
 * - The lock is released when its scope closes, whatever the exit, and only if the file is
 *   still ours: a run that was taken over never deletes its successor's lock.
 *
 * Limits (a plain file system has no fencing):
 * - `stillHeld` narrows the window, it cannot close it: a takeover between the check and the
 *   publish goes unnoticed. The staleness window (minutes) is what makes that unlikely.
 * - Pid reuse: where the host says which boot it is in (Linux's boot_id), a lock from before a
 *   restart is taken over whatever its pid names now. Without that, or within one boot, a dead
 *   holder's pid may by now belong to another live process of this host; its lock is then obeyed
 *   until that process ends or someone removes the file. A
 *   lock naming this very process's pid with a token this process never took is recognised as a
 *   dead predecessor's (a restarted container reuses its pids) and taken over.
 * - Two machines (or containers with separate process namespaces) sharing a folder and reporting
 *   the same host name are judged by pid alone: a live holder there can look dead, a dead one alive.
 * - Clocks of different hosts sharing a folder must agree to well within the staleness window.
 */
import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Data, Duration, Effect, Option, Ref, Schema, type Scope } from "effect"
import { createHash, randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
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
  /** The holder's boot of its host (Linux's boot_id), where the system says: a pid is only meaningful within one. */
  readonly bootId?: string
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

/**
 * This run's lock was taken over by another run (this one looked abandoned to it, e.g. its
 * heartbeat stopped while the machine slept, seen from another host), or its file was removed. The
 * run must stop before publishing or removing anything: another run may be doing the same. Exit 1.
 */
export class LockLost extends Data.TaggedError("LockLost")<{
  readonly path: string
}> {
  override get message() {
    return `another Ferry run took over this run's lock ${this.path} (or the lock file was removed), so this run stops without publishing or removing any archive; run it again once the other run is done`
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
  /**
   * Succeeds while the lock is still ours; call it just before publishing an archive or pruning.
   * Re-reads the file: fails with `LockLost` once another run took it over (we looked dead) or it
   * is gone, and for good (also when the heartbeat saw that first). `LockFailed` when the file
   * cannot be read (then whether it is ours is unknown: do not publish either).
   */
  readonly stillHeld: Effect.Effect<void, LockLost | LockFailed>
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
  /** This boot of the host. Default: Linux's boot_id, none elsewhere. */
  readonly bootId?: string | undefined
}

/** This boot of the machine (Linux); undefined where the system does not say. */
const systemBootId: string | undefined = (() => {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined
  } catch {
    return undefined
  }
})()

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
    const bootId = "bootId" in options ? options.bootId : systemBootId
    const failed = (where: string) => (e: PlatformError) => new LockFailed({ path: where, reason: reasonOf(e) })

    yield* fs.makeDirectory(options.folder, { recursive: true }).pipe(Effect.mapError(failed(options.folder)))

    const info: LockInfo = {
      pid: process.pid,
      host: hostname(),
      command: options.command,
      account: options.account,
      startedAt: new Date(yield* Clock.currentTimeMillis).toISOString(),
      token: randomUUID(),
      ...(bootId === undefined ? {} : { bootId })
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
        const reason = staleReason(holder, text, ageMs, staleAfterMs, bootId)
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
    // Set once the file was seen gone or someone else's. Never unset: our token, once replaced,
    // cannot come back, and a run that saw itself lost must not publish even if it looks again.
    const lost = yield* Ref.make(false)

    // Between the check and the remove the file could only change hands if we looked dead to
    // another run at that very moment; a rename-and-verify would just move that window elsewhere.
    const release = Effect.ignore(Effect.flatMap(isOurs, (ours) => (ours ? fs.remove(path) : Effect.void)))

    // Acquisition is a handful of file operations, so it runs uninterruptibly: either we hold no
    // file, or the release is registered. The token is known to this process from before the file
    // exists until after it is removed (see `heldHere`).
    const replaced = yield* Effect.acquireRelease(
      Effect.sync(() => heldHere.add(info.token)).pipe(
        Effect.zipRight(attempt(2, undefined)),
        Effect.tapError(() => Effect.sync(() => heldHere.delete(info.token)))
      ),
      () => Effect.ensuring(release, Effect.sync(() => heldHere.delete(info.token)))
    )

    // Refreshes our own file only: once the file is gone or someone else's, touching it would keep
    // an abandoned lock looking alive, so the lock is recorded lost and the heartbeat stops for
    // good. Any other failure (a network file system hiccup, the file vanishing between the read and
    // the touch) only skips this beat: the next one tries again. Defects too: a heartbeat that died
    // silently would let another host take over a live run.
    const beat: Effect.Effect<"lost" | "beating"> = Effect.gen(function*() {
      if (!(yield* isOurs)) {
        yield* Ref.set(lost, true)
        return "lost" as const
      }
      const now = new Date(yield* Clock.currentTimeMillis)
      yield* fs.utimes(path, now, now)
      return "beating" as const
    }).pipe(
      Effect.catchAll(() => Effect.succeed("beating" as const)),
      Effect.catchAllDefect(() => Effect.succeed("beating" as const))
    )
    // Forked after the release was registered, so it is stopped before the file is removed.
    yield* Effect.forkScoped(
      Effect.sleep(heartbeatEvery).pipe(Effect.zipRight(beat), Effect.repeat({ until: (state) => state === "lost" }))
    )

    const stillHeld: Effect.Effect<void, LockLost | LockFailed> = Effect.gen(function*() {
      if (!(yield* Ref.get(lost)) && (yield* isOurs.pipe(Effect.mapError(failed(path))))) return
      yield* Ref.set(lost, true)
      return yield* new LockLost({ path })
    })

    return { path, info, replaced, stillHeld } satisfies Lock
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
  staleAfterMs: number,
  bootId: string | undefined
): string | undefined => {
  if (holder === undefined) {
    if (ageMs <= Duration.toMillis(UNREADABLE_GRACE)) return undefined // its writer may be mid-write
    return `the lock file is ${text.trim() === "" ? "empty" : "unreadable"} and ${describeAge(ageMs)} old`
  }
  if (holder.host === hostname()) {
    // A pid from before the host restarted names nothing of today's (whatever now runs under it).
    if (holder.bootId !== undefined && bootId !== undefined && holder.bootId !== bootId) {
      return `its holder, pid ${holder.pid}, ran before this host restarted`
    }
    // On this host the pid decides, never the heartbeat: a live holder may have slept or been stopped.
    if (holder.pid === process.pid) {
      // Our own pid: either another acquisition of this very process, or a predecessor that had
      // the same pid (a restarted container numbers its processes the same way again).
      return heldHere.has(holder.token) ? undefined : `pid ${holder.pid} on this host has ended (this run has its pid now)`
    }
    return isProcessAlive(holder.pid) ? undefined : `pid ${holder.pid} on this host has ended`
  }
  if (ageMs > staleAfterMs) return `its heartbeat stopped ${describeAge(ageMs)} ago`
  return undefined
}

/** The tokens of the locks this process holds or is acquiring, released ones removed. */
const heldHere = new Set<string>()

/**
 * Whether process `pid` of this host is alive. Signal 0 only checks: ESRCH means no such process;
 * EPERM means it exists but belongs to another user (alive). Anything else (an invalid pid) counts
 * as alive: whoever asks must never remove what a live process uses.
 */
export const isProcessAlive = (pid: number): boolean => {
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
  token: Schema.NonEmptyString,
  bootId: Schema.optionalWith(Schema.String, { exact: true })
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
