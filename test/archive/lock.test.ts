import { FileSystem } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { expect, layer } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Fiber, Option, Scope, TestClock } from "effect"
import { spawn, spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { basename, join } from "node:path"
import {
  acquireLock,
  isProcessAlive,
  type LockInfo,
  LockFailed,
  LockHeld,
  LockLost,
  lockPath,
  type LockOptions
} from "../../src/archive/lock.ts"

const T0 = Date.parse("2026-11-23T03:00:00.000Z")
const ACCOUNT = "ada@example.com / Kinopio"
const options = (folder: string, overrides: Partial<LockOptions> = {}): LockOptions => ({
  folder,
  account: ACCOUNT,
  command: "ferry backup kinopio --out output",
  ...overrides
})

const tempFolder = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "ferry-lock-" }))

/** A pid that certainly belonged to a process of this host and is certainly over now. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", ""])
  expect(child.status).toBe(0)
  return child.pid
}

const foreign = (overrides: Partial<LockInfo> = {}): LockInfo => ({
  pid: 4242,
  host: "build-1",
  command: "ferry backup kinopio",
  account: ACCOUNT,
  startedAt: "2026-11-23T02:00:00.000Z",
  token: "their-token",
  ...overrides
})

/** Writes a lock file as another run would, with its heartbeat (mtime) at `mtimeMs`. */
const plant = (file: string, content: LockInfo | string, mtimeMs?: number) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* fs.writeFileString(file, typeof content === "string" ? content : JSON.stringify(content), { mode: 0o600 })
    if (mtimeMs !== undefined) yield* fs.utimes(file, new Date(mtimeMs), new Date(mtimeMs))
  })

const readLock = (file: string) =>
  Effect.map(Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(file)), (text) => JSON.parse(text) as LockInfo)

const exists = (file: string) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.exists(file))
const listDir = (dir: string) => Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readDirectory(dir))
const mtimeOf = (file: string) =>
  Effect.map(Effect.flatMap(FileSystem.FileSystem, (fs) => fs.stat(file)), (s) => Option.getOrThrow(s.mtime).getTime())

/** Lets pending I/O callbacks run: an event-loop turn, not a timed wait. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
const eventually = (check: Effect.Effect<boolean, unknown, FileSystem.FileSystem>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if (yield* check) return
      yield* turn
    }
    expect.fail("condition not reached")
  })

/** What `stillHeld` failed with, or undefined when it succeeded. */
const lostError = (lock: { readonly stillHeld: Effect.Effect<void, LockLost | LockFailed> }) =>
  Effect.map(Effect.either(lock.stillHeld), (r) => (Either.isLeft(r) ? r.left : undefined))

/** An I/O error as the platform reports one, for a file system that fails on purpose. */
const ioError = (method: string, reason: "Unknown" | "NotFound" = "Unknown") =>
  new SystemError({ reason, module: "FileSystem", method, description: "EIO: i/o error" })

const heldError = <A>(result: Either.Either<A, LockHeld | LockFailed>): LockHeld => {
  if (Either.isRight(result)) return expect.fail("expected LockHeld, the lock was acquired")
  expect(result.left).toBeInstanceOf(LockHeld)
  return result.left as LockHeld
}


/** Counts the heartbeat's file operations on the lock, so "it did nothing" can be told from "not yet". */
const watching = (fs: FileSystem.FileSystem) => {
  const calls = { reads: 0, utimes: 0 }
  const watched: FileSystem.FileSystem = {
    ...fs,
    readFileString: (p, encoding) => fs.readFileString(p, encoding).pipe(Effect.ensuring(Effect.sync(() => void calls.reads++))),
    utimes: (p, a, m) => Effect.zipRight(Effect.sync(() => void calls.utimes++), fs.utimes(p, a, m))
  }
  return { calls, watched }
}

layer(NodeContext.layer)("acquireLock", (it) => {
  it.scoped("creates <folder>/.ferry-<hash>.lock, 0600, in a folder it creates, saying who holds it", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const folder = join(yield* tempFolder, "output", "kinopio") // missing: created
      const lock = yield* acquireLock(options(folder))

      expect(lock.path).toBe(lockPath(folder, ACCOUNT))
      expect(basename(lock.path)).toMatch(/^\.ferry-[0-9a-f]{16}\.lock$/) // the account's slash and spaces are gone
      expect(lockPath(folder, "other")).not.toBe(lock.path)
      expect((yield* fs.stat(folder)).type).toBe("Directory")
      expect((yield* fs.stat(lock.path)).mode & 0o777).toBe(0o600)
      expect(yield* listDir(folder)).toEqual([basename(lock.path)])

      const written = yield* readLock(lock.path)
      expect(written).toEqual({
        pid: process.pid,
        host: hostname(),
        command: "ferry backup kinopio --out output",
        account: ACCOUNT,
        startedAt: new Date(0).toISOString(), // the TestClock's time
        token: lock.info.token,
        ...(lock.info.bootId === undefined ? {} : { bootId: lock.info.bootId })
      })
      expect(written.token).toMatch(/^[0-9a-f-]{36}$/)
      expect(lock.replaced).toBeUndefined()
      yield* lock.stillHeld
    }))

  it.scoped("a live lock of this process makes a second acquire fail with LockHeld naming it; after release it succeeds", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const scope = yield* Scope.make()
      const first = yield* acquireLock(options(folder)).pipe(Scope.extend(scope))

      const err = heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder, { command: "ferry backup kinopio --again" })))))
      expect(err.holder?.token).toBe(first.info.token)
      expect(err.message).toContain(`another Ferry run holds ${first.path}`)
      expect(err.message).toContain(`"ferry backup kinopio --out output"`)
      expect(err.message).toContain(`pid ${process.pid}`)
      expect(err.message).toContain(`on host ${hostname()}`)
      expect(err.message).not.toContain("\n")
      expect(["BadInput", "ArchiveCorrupt", "MissingCredential"]).not.toContain(err._tag) // exit 1, not 2
      expect((yield* readLock(first.path)).token).toBe(first.info.token) // the loser left it alone

      // Another account in the same folder is another lock.
      yield* Effect.scoped(acquireLock(options(folder, { account: "someone else" })))

      yield* Scope.close(scope, Exit.void)
      expect(yield* exists(first.path)).toBe(false)
      const second = yield* acquireLock(options(folder))
      expect(second.info.token).not.toBe(first.info.token)
      expect((yield* readLock(second.path)).token).toBe(second.info.token)
    }))

  it.scoped("a lock left by a dead process on this host is taken over; one of a live process is not", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      // pid 1 always runs; for a user other than root, asking about it answers EPERM, which means alive.
      yield* plant(file, foreign({ pid: 1, host: hostname() }))
      const err = heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder)))))
      expect(err.message).toContain(`pid 1 on host ${hostname()}`)

      const pid = deadPid()
      yield* plant(file, foreign({ pid, host: hostname() })) // heartbeat fresh: only the pid says it is gone

      const lock = yield* acquireLock(options(folder))
      expect(lock.replaced?.holder?.pid).toBe(pid)
      expect(lock.replaced?.reason).toBe(`pid ${pid} on this host has ended`)
      const written = yield* readLock(file)
      expect(written.pid).toBe(process.pid)
      expect(written.token).toBe(lock.info.token)
      expect(yield* listDir(folder)).toEqual([basename(file)]) // nothing set aside is left behind
    }))

  it.scoped("another host's lock: respected while its heartbeat is fresh (whatever its pid), taken over once it is 10 minutes old", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      yield* TestClock.setTime(T0)
      // A pid that is dead here says nothing about a process on build-1.
      yield* plant(file, foreign({ pid: deadPid() }), T0 - 9 * 60_000)
      const err = heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder)))))
      expect(err.message).toContain("on host build-1")
      expect(err.message).toContain(`"ferry backup kinopio"`)
      expect(err.message).toContain("since 2026-11-23T02:00:00.000Z")
      expect((yield* readLock(file)).token).toBe("their-token")

      yield* plant(file, foreign(), T0 - 11 * 60_000)
      const lock = yield* acquireLock(options(folder))
      expect(lock.replaced?.holder?.host).toBe("build-1")
      expect(lock.replaced?.reason).toBe("its heartbeat stopped 11 minutes ago")
      expect((yield* readLock(file)).token).toBe(lock.info.token)
      expect(yield* listDir(folder)).toEqual([basename(file)])
    }))

  it.scoped("the staleness window is an option", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      yield* TestClock.setTime(T0)
      yield* plant(file, foreign(), T0 - 3 * 60_000)
      heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder)))))
      const lock = yield* acquireLock(options(folder, { staleAfter: "2 minutes" }))
      expect(lock.replaced?.holder?.token).toBe("their-token")
    }))

  it.scoped("an empty or unreadable lock file: a writer may be mid-write for a few seconds, after that it is taken over", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      yield* TestClock.setTime(T0)

      yield* plant(file, "", T0 - 3_000)
      const young = heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder)))))
      expect(young.holder).toBeUndefined()
      expect(young.message).toBe(`another Ferry run holds ${file} (it is just starting); try again in a few seconds`)
      expect(yield* exists(file)).toBe(true)

      const cases = [
        ["", "the lock file is empty and 60 seconds old"],
        ["{\"pid\": 12, \"host\": \"h\"", "the lock file is unreadable and 60 seconds old"], // cut short
        [JSON.stringify({ ...foreign(), token: "" }), "the lock file is unreadable and 60 seconds old"],
        [JSON.stringify({ ...foreign(), pid: -1 }), "the lock file is unreadable and 60 seconds old"], // kill(-1) would mean every process
        ["\u0000\u0001garbage", "the lock file is unreadable and 60 seconds old"]
      ] as const
      for (const [content, reason] of cases) {
        yield* plant(file, content, T0 - 60_000)
        const replaced = yield* Effect.scoped(Effect.gen(function*() {
          const lock = yield* acquireLock(options(folder))
          expect((yield* readLock(file)).token).toBe(lock.info.token)
          return lock.replaced
        }))
        expect(replaced).toEqual({ holder: undefined, reason })
        expect(yield* listDir(folder)).toEqual([])
      }
    }))

  it.scoped("the holder refreshes its heartbeat every minute, and stops once the file is no longer its own", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const folder = yield* tempFolder
      yield* TestClock.setTime(T0)
      const { calls, watched } = watching(fs)
      const lock = yield* acquireLock(options(folder)).pipe(Effect.provideService(FileSystem.FileSystem, watched))
      const old = T0 - 60 * 60_000
      yield* fs.utimes(lock.path, new Date(old), new Date(old))

      yield* TestClock.adjust("59 seconds")
      for (let i = 0; i < 20; i++) yield* turn
      expect(calls).toEqual({ reads: 0, utimes: 0 })
      expect(yield* mtimeOf(lock.path)).toBe(old)

      yield* TestClock.adjust("1 second")
      yield* eventually(Effect.map(mtimeOf(lock.path), (m) => m === T0 + 60_000))
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.map(mtimeOf(lock.path), (m) => m === T0 + 120_000))
      expect(calls.utimes).toBe(2)

      // Taken over by another run: its file is not ours to keep alive.
      yield* plant(lock.path, foreign({ token: "successor" }), old)
      expect(yield* lostError(lock)).toEqual(new LockLost({ path: lock.path }))
      const reads = calls.reads
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.sync(() => calls.reads > reads))
      for (let i = 0; i < 20; i++) yield* turn
      expect(calls.utimes).toBe(2)
      expect(yield* mtimeOf(lock.path)).toBe(old)
      // ...and for good.
      yield* TestClock.adjust("10 minutes")
      for (let i = 0; i < 20; i++) yield* turn
      expect(calls.reads).toBe(reads + 1)
    }))

  it.scoped("a live process on this host is obeyed however old its heartbeat (it slept or was stopped); once it ends, taken over", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      yield* TestClock.setTime(T0)
      // A real process of this host, stopped as a debugger or Ctrl-Z would: alive, but no heartbeat.
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" })
      const exited = Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        child.once("exit", () => resume(Effect.void))
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => child.kill("SIGKILL")))
      const pid = child.pid!
      child.kill("SIGSTOP")
      expect(isProcessAlive(pid)).toBe(true)

      yield* plant(file, foreign({ pid, host: hostname() }), T0 - 3 * 24 * 60 * 60_000) // 3 days without a beat
      const err = heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder)))))
      expect(err.holder?.pid).toBe(pid)
      expect(err.message).toContain(`pid ${pid} on host ${hostname()}`)
      // Whatever the staleness window.
      heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder, { staleAfter: "1 second" })))))
      expect((yield* readLock(file)).token).toBe("their-token")

      child.kill("SIGKILL")
      yield* exited
      expect(isProcessAlive(pid)).toBe(false)
      const lock = yield* acquireLock(options(folder))
      expect(lock.replaced?.reason).toBe(`pid ${pid} on this host has ended`)
      expect((yield* readLock(file)).token).toBe(lock.info.token)
    }))

  it.scoped("a lock from before this host restarted is taken over, whatever its pid names now; within the same boot the pid decides", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      yield* TestClock.setTime(T0)
      // pid 1 always runs: only the boot tells that the holder is not it.
      yield* plant(file, foreign({ pid: 1, host: hostname(), bootId: "boot-a" }), T0)
      heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder, { bootId: "boot-a" })))))
      // Where the system does not say its boot, the pid alone decides.
      heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder, { bootId: undefined })))))
      const lock = yield* acquireLock(options(folder, { bootId: "boot-b" }))
      expect(lock.replaced?.reason).toBe("its holder, pid 1, ran before this host restarted")
      expect(yield* readLock(file)).toMatchObject({ token: lock.info.token, bootId: "boot-b" })
    }))

  it.scoped("a lock naming this process's pid with a token it never took is a dead predecessor's (a restarted container): taken over", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      yield* TestClock.setTime(T0)
      yield* plant(file, foreign({ pid: process.pid, host: hostname() }), T0) // heartbeat fresh
      const lock = yield* acquireLock(options(folder))
      expect(lock.replaced).toEqual({
        holder: foreign({ pid: process.pid, host: hostname() }),
        reason: `pid ${process.pid} on this host has ended (this run has its pid now)`
      })
      expect((yield* readLock(file)).token).toBe(lock.info.token)
      // This process's own live lock, by contrast, is obeyed (its token is known here).
      heldError(yield* Effect.either(Effect.scoped(acquireLock(options(folder)))))
    }))

  it.scoped("a failed refresh is not fatal: the heartbeat tries again at the next beat", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const folder = yield* tempFolder
      yield* TestClock.setTime(T0)
      // One failure per beat, of a different kind each time, then none.
      const failures: Array<"touch" | "touch-gone" | "read" | "defect"> = ["touch", "touch-gone", "read", "defect"]
      let beats = 0
      const flaky: FileSystem.FileSystem = {
        ...fs,
        readFileString: (p, encoding) =>
          Effect.suspend(() => {
            if (failures[0] === "read") return Effect.fail(ioError("readFile", (failures.shift(), "Unknown")))
            if (failures[0] === "defect") return Effect.die((failures.shift(), new Error("a bug in a file system layer")))
            return fs.readFileString(p, encoding)
          }).pipe(Effect.ensuring(Effect.sync(() => void beats++))),
        utimes: (p, a, m) =>
          Effect.suspend(() => {
            // "touch-gone": the touch says NotFound (the file vanished for a moment, an NFS hiccup).
            const failure = failures[0] === "touch" || failures[0] === "touch-gone" ? failures.shift() : undefined
            if (failure !== undefined) return Effect.fail(ioError("utimes", failure === "touch" ? "Unknown" : "NotFound"))
            return fs.utimes(p, a, m)
          })
      }
      const lock = yield* acquireLock(options(folder)).pipe(Effect.provideService(FileSystem.FileSystem, flaky))
      const old = T0 - 60 * 60_000
      yield* fs.utimes(lock.path, new Date(old), new Date(old))

      for (let minute = 1; minute <= 4; minute++) {
        yield* TestClock.adjust("1 minute")
        yield* eventually(Effect.sync(() => beats >= minute))
        for (let i = 0; i < 20; i++) yield* turn
        expect(yield* mtimeOf(lock.path)).toBe(old) // this beat failed
      }
      expect(failures).toEqual([])
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.map(mtimeOf(lock.path), (m) => m === T0 + 5 * 60_000))
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.map(mtimeOf(lock.path), (m) => m === T0 + 6 * 60_000))
      yield* lock.stillHeld
    }))

  it.scoped("a lock file gone at a beat is lost for good: the heartbeat stops and stillHeld fails, even if the file comes back", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const folder = yield* tempFolder
      yield* TestClock.setTime(T0)
      const { calls, watched } = watching(fs)
      const lock = yield* acquireLock(options(folder)).pipe(Effect.provideService(FileSystem.FileSystem, watched))
      const content = yield* fs.readFileString(lock.path)
      yield* fs.remove(lock.path)
      yield* TestClock.adjust("1 minute")
      yield* eventually(Effect.sync(() => calls.reads === 1))

      // Back with our very token (someone restored it by hand): too late, the run has been without a lock.
      yield* fs.writeFileString(lock.path, content)
      yield* TestClock.adjust("10 minutes")
      for (let i = 0; i < 20; i++) yield* turn
      expect(calls).toEqual({ reads: 1, utimes: 0 })
      expect(yield* lostError(lock)).toEqual(new LockLost({ path: lock.path }))
    }))

  it.scoped("stillHeld: succeeds while the file is ours; LockLost once it holds another run's token or is gone; LockFailed when unreadable", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const folder = yield* tempFolder

      yield* Effect.scoped(Effect.gen(function*() {
        const lock = yield* acquireLock(options(folder))
        yield* lock.stillHeld
        yield* lock.stillHeld // only looks: still ours
        expect((yield* readLock(lock.path)).token).toBe(lock.info.token)
        yield* plant(lock.path, foreign({ token: "successor" }))
        expect(yield* lostError(lock)).toEqual(new LockLost({ path: lock.path }))
        expect((yield* readLock(lock.path)).token).toBe("successor") // looking changes nothing
      }))
      yield* fs.remove(lockPath(folder, ACCOUNT))

      yield* Effect.scoped(Effect.gen(function*() {
        const lock = yield* acquireLock(options(folder))
        yield* fs.remove(lock.path)
        expect(yield* lostError(lock)).toEqual(new LockLost({ path: lock.path }))
      }))

      let unreadable = false
      const failing: FileSystem.FileSystem = {
        ...fs,
        readFileString: (p, encoding) =>
          Effect.suspend(() => (unreadable ? Effect.fail(ioError("readFile")) : fs.readFileString(p, encoding)))
      }
      yield* Effect.scoped(Effect.gen(function*() {
        const lock = yield* acquireLock(options(folder)).pipe(Effect.provideService(FileSystem.FileSystem, failing))
        unreadable = true
        const failed = yield* lostError(lock)
        expect(failed).toBeInstanceOf(LockFailed)
        expect(failed?.message).toContain(`could not lock ${lock.path}: `)
        unreadable = false
        yield* lock.stillHeld // not a loss: once readable, it is ours again
      }))
    }))

  it.scoped("release leaves alone a lock whose token changed (we were taken over)", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const scope = yield* Scope.make()
      const lock = yield* acquireLock(options(folder)).pipe(Scope.extend(scope))
      yield* plant(lock.path, foreign({ token: "successor" }))
      expect(yield* lostError(lock)).toBeInstanceOf(LockLost)
      yield* Scope.close(scope, Exit.void)
      expect((yield* readLock(lock.path)).token).toBe("successor")
    }))

  it.scoped("two acquires at once in one process: exactly one wins", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      for (let round = 0; round < 25; round++) {
        yield* Effect.scoped(Effect.gen(function*() {
          const results = yield* Effect.all([
            Effect.either(acquireLock(options(folder))),
            Effect.either(acquireLock(options(folder)))
          ], { concurrency: 2 })
          const winners = results.filter(Either.isRight).map((r) => r.right)
          expect(winners).toHaveLength(1)
          const winner = winners[0]!
          const loser = heldError(results.find(Either.isLeft)!)
          // The loser may have looked while the winner was still writing: then the holder is unknown.
          if (loser.holder !== undefined) expect(loser.holder.token).toBe(winner.info.token)
          expect((yield* readLock(winner.path)).token).toBe(winner.info.token)
        }))
        expect(yield* listDir(folder)).toEqual([])
      }
    }))

  it.scoped("two acquires taking over the same stale lock at once: exactly one wins, nothing is left set aside", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      const pid = deadPid()
      for (let round = 0; round < 25; round++) {
        yield* plant(file, foreign({ pid, host: hostname() }))
        yield* Effect.scoped(Effect.gen(function*() {
          const results = yield* Effect.all([
            Effect.either(acquireLock(options(folder))),
            Effect.either(acquireLock(options(folder)))
          ], { concurrency: 2 })
          const winners = results.filter(Either.isRight).map((r) => r.right)
          expect(winners).toHaveLength(1)
          heldError(results.find(Either.isLeft)!)
          expect((yield* readLock(file)).token).toBe(winners[0]!.info.token)
          expect(yield* listDir(folder)).toEqual([basename(file)])
        }))
      }
    }))

  it.scoped("a takeover that finds a fresh lock where the stale one was puts it back and names its holder", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)
      yield* TestClock.setTime(T0)
      yield* plant(file, foreign(), T0 - 60 * 60_000) // stale by heartbeat

      // Between our look and our rename, another run takes the stale lock over and creates its own.
      const fresh = foreign({ host: hostname(), pid: 1, token: "fresh", command: "ferry backup kinopio --fast" })
      let raced = false
      const racing: FileSystem.FileSystem = {
        ...fs,
        rename: (from, to) =>
          Effect.gen(function*() {
            if (!raced && from === file) {
              raced = true
              yield* fs.remove(file)
              yield* fs.writeFileString(file, JSON.stringify(fresh), { flag: "wx", mode: 0o600 })
              yield* fs.utimes(file, new Date(T0), new Date(T0))
            }
            yield* fs.rename(from, to)
          })
      }
      const err = heldError(
        yield* Effect.either(Effect.scoped(acquireLock(options(folder)).pipe(Effect.provideService(FileSystem.FileSystem, racing))))
      )
      expect(raced).toBe(true)
      expect(err.holder?.token).toBe("fresh")
      expect(err.message).toContain(`"ferry backup kinopio --fast"`)
      expect((yield* readLock(file)).token).toBe("fresh")
      expect(yield* listDir(folder)).toEqual([basename(file)])
    }))

  it.scoped("a run that fails or is interrupted releases the lock", () =>
    Effect.gen(function*() {
      const folder = yield* tempFolder
      const file = lockPath(folder, ACCOUNT)

      const failed = yield* Effect.either(Effect.scoped(Effect.zipRight(acquireLock(options(folder)), Effect.fail("boom"))))
      expect(failed).toEqual(Either.left("boom"))
      expect(yield* exists(file)).toBe(false)

      const ready = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Effect.scoped(
        acquireLock(options(folder)).pipe(Effect.zipRight(Deferred.succeed(ready, undefined)), Effect.zipRight(Effect.never))
      ))
      yield* Deferred.await(ready)
      expect(yield* exists(file)).toBe(true)
      yield* Fiber.interrupt(fiber)
      expect(yield* exists(file)).toBe(false)

      // Interrupted at any point of the acquisition: never a lock file left behind.
      for (let round = 0; round < 20; round++) {
        const running = yield* Effect.fork(Effect.scoped(Effect.zipRight(acquireLock(options(folder)), Effect.never)))
        for (let i = 0; i < round % 5; i++) yield* turn
        yield* Fiber.interrupt(running)
        expect(yield* listDir(folder)).toEqual([])
      }
    }))

  it.scoped("I/O problems fail with LockFailed naming the path", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* tempFolder

      const notAFolder = join(dir, "output")
      yield* fs.writeFileString(notAFolder, "a file where the folder should be")
      const first = yield* Effect.either(Effect.scoped(acquireLock(options(notAFolder))))
      expect(Either.isLeft(first) && first.left).toBeInstanceOf(LockFailed)
      expect(Either.isLeft(first) && first.left.message).toContain(`could not lock ${notAFolder}: `)

      const file = lockPath(dir, ACCOUNT)
      yield* fs.makeDirectory(file) // something that is not a lock file under the lock's name
      const second = yield* Effect.either(Effect.scoped(acquireLock(options(dir))))
      expect(Either.isLeft(second) && second.left).toEqual(new LockFailed({ path: file, reason: expect.any(String) }))
      expect(Either.isLeft(second) && second.left.message).toContain(`could not lock ${file}: `)
    }))
})

layer(NodeContext.layer)("LockLost", (it) => {
  it.effect("tells the run to stop without publishing or removing anything, in one line", () =>
    Effect.sync(() => {
      const err = new LockLost({ path: "output/kinopio/.ferry-0123456789abcdef.lock" })
      expect(err._tag).toBe("LockLost")
      expect(err.message).toBe(
        "another Ferry run took over this run's lock output/kinopio/.ferry-0123456789abcdef.lock (or the lock file was removed), so this run stops without publishing or removing any archive; run it again once the other run is done"
      )
    }))
})

layer(NodeContext.layer)("LockHeld", (it) => {
  it.effect("says who holds the lock in one line, even when the holder's file has line breaks", () =>
    Effect.sync(() => {
      const holder = foreign({ startedAt: "2026-11-23T03:00:00.000Z" })
      expect(new LockHeld({ path: "output/kinopio/.ferry-0123456789abcdef.lock", holder }).message).toBe(
        `another Ferry run holds output/kinopio/.ferry-0123456789abcdef.lock: "ferry backup kinopio", pid 4242 on host build-1, since 2026-11-23T03:00:00.000Z; let it finish, or stop it and run again`
      )
      const odd = new LockHeld({ path: "x.lock", holder: foreign({ command: "ferry\nbackup\r\nkinopio", host: "build\u2028-1" }) })
      expect(odd.message).not.toMatch(/[\n\r\u2028]/)
      expect(odd.message).toContain(`"ferry backup kinopio", pid 4242 on host build -1`)
    }))
})
