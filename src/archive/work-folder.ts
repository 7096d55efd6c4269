/**
 * Private work folders inside an output folder (`.ferry-<kind>-<pid>-<host hash>-<6 random>`):
 * the writer's staging folder, the previous archive's extracted members. Each is removed when its
 * scope closes; a run killed outright (SIGKILL, a power cut) cannot, so making one first removes
 * what such runs left in the same folder, the temporary archives of an interrupted pack included.
 */
import { FileSystem, Path } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Clock, Duration, Effect, Option, type Scope } from "effect"
import { createHash } from "node:crypto"
import { lstat } from "node:fs/promises"
import { hostname } from "node:os"
import { isProcessAlive } from "./lock.ts"

export type WorkFolderKind = "indexed" | "staging"

/** A host's name as 8 hex digits: short, and safe in a file name whatever the name holds. */
export const hostHash = (host: string): string => createHash("sha256").update(host, "utf8").digest("hex").slice(0, 8)

/** The work folders' prefix for process `pid` of `host`; `mkdtemp` adds 6 random characters. */
export const workFolderPrefix = (kind: WorkFolderKind = "indexed", pid: number = process.pid, host: string = hostname()): string =>
  `.ferry-${kind}-${pid}-${hostHash(host)}-`

const WORK_FOLDER = /^\.ferry-(?:indexed|staging)-([1-9][0-9]{0,9})-([0-9a-f]{8})-[A-Za-z0-9]{6}$/
/** Before the pid and host were in the name. */
const OLD_WORK_FOLDER = /^\.ferry-(?:indexed|staging)-[A-Za-z0-9]{6}$/
/** The writer's archive being packed, `.<final name>.<uuid>.tmp`: no owner in the name, judged by age. */
const TEMP_ARCHIVE = /^\.(?:kinopio|infinity)-\d{8}T\d{6}Z(?:-\d+)?\.(?:zip|tar\.gz)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/

/**
 * How old (by mtime) a leftover whose owner cannot be asked must be before it is taken for
 * abandoned: one of another host, an old-style one without a pid, a temporary archive. Its mtime
 * is about when its owner made it, so a run on another host sharing the folder that is still
 * going after this long would lose it: a week, far beyond any backup, while a leak stays bounded.
 */
export const LEFTOVER_AGE = Duration.days(7)

export interface LeftoverOptions {
  /** Whether a pid of this host is alive. Default: signal 0 (`isProcessAlive`). */
  readonly isAlive?: (pid: number) => boolean
  /** This host's name. Default: `os.hostname()`. */
  readonly host?: string
  /** Default `LEFTOVER_AGE`. */
  readonly olderThan?: Duration.DurationInput
}

/**
 * Removes what runs killed outright left in `dir`, and gives their paths. Only entries named
 * exactly as Ferry names them are considered (work folders as real folders, never a symbolic
 * link; temporary archives as files), and of those only:
 * - this host's work folders whose pid has ended (a live pid's is left alone: another account's
 *   run, maybe of another user, may be using it; this process's own are live by definition);
 * - another host's, old-style ones without a pid, and temporary archives, once older than
 *   `olderThan` by mtime.
 * Best effort: whatever cannot be listed, inspected or removed is left as it is, silently.
 */
export const removeLeftoverWorkFolders = (
  dir: string,
  options: LeftoverOptions = {}
): Effect.Effect<ReadonlyArray<string>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const isAlive = options.isAlive ?? isProcessAlive
    const ourHost = hostHash(options.host ?? hostname())
    const olderThanMs = Duration.toMillis(options.olderThan ?? LEFTOVER_AGE)
    const names = yield* fs.readDirectory(dir).pipe(Effect.orElseSucceed((): ReadonlyArray<string> => []))
    const now = yield* Clock.currentTimeMillis
    const removed: Array<string> = []
    for (const name of names) {
      const owned = WORK_FOLDER.exec(name)
      const folder = owned !== null || OLD_WORK_FOLDER.test(name)
      if (!folder && !TEMP_ARCHIVE.test(name)) continue
      const full = path.join(dir, name)
      // lstat: a symbolic link under such a name is not ours, whatever it points to.
      const stat = yield* Effect.option(Effect.tryPromise(() => lstat(full)))
      if (Option.isNone(stat) || (folder ? !stat.value.isDirectory() : !stat.value.isFile())) continue
      const abandoned = owned !== null && owned[2] === ourHost
        ? Number(owned[1]) !== process.pid && !isAlive(Number(owned[1]))
        : now - stat.value.mtimeMs > olderThanMs
      if (!abandoned) continue
      // Another run may be removing it at the same time: whatever is left of it, it is not ours to keep.
      const done = yield* fs.remove(full, { recursive: true }).pipe(Effect.as(true), Effect.orElseSucceed(() => false))
      if (done) removed.push(full)
    }
    return removed
  })

/** A new work folder in `dir` for the scope, after removing what killed runs left there. */
export const makeWorkFolder = (
  dir: string,
  kind: WorkFolderKind
): Effect.Effect<string, PlatformError, FileSystem.FileSystem | Path.Path | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    yield* removeLeftoverWorkFolders(dir)
    return yield* fs.makeTempDirectoryScoped({ directory: dir, prefix: workFolderPrefix(kind) })
  })
