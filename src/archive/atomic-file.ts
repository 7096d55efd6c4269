/** A small file written whole or not at all: a temporary name beside it, then a rename. */
import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { randomUUID } from "node:crypto"
import { ArchiveWriteFailed } from "../errors.ts"

export const writeAtomic = (
  dest: string,
  text: string,
  options: { readonly mode?: number } = {}
): Effect.Effect<void, ArchiveWriteFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const failed = (e: { readonly message: string }) => new ArchiveWriteFailed({ path: dest, reason: e.message })
    const dir = path.dirname(dest)
    yield* fs.makeDirectory(dir, { recursive: true }).pipe(Effect.mapError(failed))
    // The same bytes again leave the file (and its Last-Modified, which feed readers poll with) as it was.
    const current = yield* fs.readFileString(dest).pipe(Effect.orElseSucceed(() => undefined))
    if (current === text) return
    const tmp = path.join(dir, `.${path.basename(dest)}.${randomUUID()}.tmp`)
    yield* fs.writeFileString(tmp, text, options.mode === undefined ? {} : { mode: options.mode }).pipe(
      Effect.zipRight(fs.rename(tmp, dest)),
      Effect.mapError(failed),
      Effect.onError(() => Effect.ignore(fs.remove(tmp)))
    )
  })
