/**
 * `ferry import FILE.canvas... --to kinopio`: canvases read and checked whole before any request
 * (a file that is not a canvas stops the run with one line naming it and the place), then
 * created as spaces by the Kinopio restore: the same plan, batching, budget and re-runs.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect, Either } from "effect"
import { canvasCollections } from "../src/canvas/archive.ts"
import { canvasToSpace, contentSeed, type ImportedSpace } from "../src/canvas/import.ts"
import type { ArchiveCollections, NotRestored } from "../src/connector.ts"
import { BadInput } from "../src/errors.ts"

/** A canvas larger than this is not one a person drew (the format holds no binary data). */
const MAX_CANVAS_BYTES = 256 * 1024 * 1024

export const readCanvases = (files: ReadonlyArray<string>): Effect.Effect<
  { readonly collections: ArchiveCollections; readonly notImported: ReadonlyArray<NotRestored>; readonly spaces: ReadonlyArray<ImportedSpace> },
  BadInput,
  FileSystem.FileSystem | Path.Path
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (files.length === 0) return yield* new BadInput({ message: "name at least one .canvas file to import" })
    const spaces: Array<ImportedSpace> = []
    for (const file of files) {
      const info = yield* fs.stat(file).pipe(Effect.mapError(() => new BadInput({ message: `${file}: no such file` })))
      if (info.type !== "File") return yield* new BadInput({ message: `${file}: not a file` })
      if (Number(info.size) > MAX_CANVAS_BYTES) return yield* new BadInput({ message: `${file}: larger than ${MAX_CANVAS_BYTES / 1024 / 1024} MB, not a canvas` })
      const bytes = yield* fs.readFile(file).pipe(Effect.mapError((e) => new BadInput({ message: `${file}: cannot be read (${e.message})` })))
      // Ids derive from the file's bytes (a Ferry canvas keeps its archived ones): the same file
      // imported again, from wherever, plans the same entities; two files of one name, different ones.
      const imported = canvasToSpace(new TextDecoder().decode(bytes), path.basename(file), contentSeed(bytes))
      if (Either.isLeft(imported)) return yield* Effect.fail(imported.left)
      spaces.push(imported.right)
    }
    const ids = new Map<string, string>()
    for (const [i, space] of spaces.entries()) {
      const id = String(space.space["id"])
      const other = ids.get(id)
      if (other !== undefined) return yield* new BadInput({ message: `${files[i]} and ${other} are the same space (${id}); import it once` })
      ids.set(id, files[i]!)
    }
    return {
      spaces,
      collections: canvasCollections(spaces),
      notImported: spaces.flatMap((s) => s.notImported)
    }
  })
