/**
 * `ferry export ARCHIVE --format canvas`: one JSON Canvas 1.0 file per space of a Kinopio
 * archive, `<out>/<safe space name>-<space id>.canvas`, no request sent. The archive is read one
 * space at a time (indexed by space id, each data file checked against the manifest on the
 * way), and each file appears under its final name only when complete, readable by its owner
 * only: it holds the space's content.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { writeAtomic } from "../src/archive/atomic-file.ts"
import { openIndexed } from "../src/archive/indexed.ts"
import { readManifest } from "../src/archive/reader.ts"
import { safeFileName } from "../src/archive/safe-name.ts"
import { spaceToCanvas } from "../src/canvas/export.ts"
import type { NotRestored } from "../src/connector.ts"
import { type ArchiveCorrupt, type ArchiveWriteFailed, BadInput } from "../src/errors.ts"
import { KINOPIO_BY_SPACE } from "../src/kinopio/connector.ts"

export interface ExportSummary {
  readonly archive: string
  readonly files: ReadonlyArray<{ readonly space: string; readonly path: string; readonly nodes: number; readonly edges: number }>
  /** What a plain canvas reader will not see (Ferry's own key still holds it). */
  readonly notShown: ReadonlyArray<NotRestored & { readonly space: string }>
}

export const exportCanvas = (request: {
  readonly archive: string
  /** Space ids; empty: every live space (a removed space only when named). */
  readonly spaces: ReadonlyArray<string>
  readonly out: string
}): Effect.Effect<ExportSummary, ArchiveCorrupt | BadInput | ArchiveWriteFailed, FileSystem.FileSystem | Path.Path> =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const manifest = yield* readManifest(request.archive)
    if (manifest.service !== "kinopio") {
      return yield* new BadInput({ message: `${request.archive} is an ${manifest.service} archive; --format canvas exports Kinopio spaces` })
    }
    yield* fs.makeDirectory(request.out, { recursive: true }).pipe(
      Effect.mapError((e) => new BadInput({ message: `--out ${request.out}: cannot be created (${e.message})` }))
    )
    const archive = yield* openIndexed(request.archive, manifest, KINOPIO_BY_SPACE, request.out)
    const recordsOf = (collection: string) =>
      Effect.map(Effect.forEach(archive.keys(collection), (id) => archive.lines(collection, id)), (lists) =>
        lists.flat().map((record) => ({ collection, record })))
    const all = [...(yield* recordsOf("spaces")), ...(yield* recordsOf("removedSpaces"))]
    const named = new Set(request.spaces)
    const unknown = request.spaces.filter((id) => !all.some(({ record }) => String(record["id"]) === id))
    if (unknown.length > 0) {
      return yield* new BadInput({ message: `${request.archive} holds no space ${unknown.join(", ")}` })
    }
    const chosen = all.filter(({ collection, record }) =>
      named.size === 0 ? collection === "spaces" : named.has(String(record["id"])))

    const files: Array<ExportSummary["files"][number]> = []
    const notShown: Array<ExportSummary["notShown"][number]> = []
    for (const { record: space } of chosen) {
      const id = String(space["id"])
      const lines = (collection: string) => archive.lines(collection, id)
      const { canvas, notShown: hidden } = spaceToCanvas({
        space,
        cards: yield* lines("cards"),
        connections: yield* lines("connections"),
        connectionTypes: yield* lines("connectionTypes"),
        tags: yield* lines("tags"),
        removedCards: yield* lines("removedCards")
      })
      const file = path.join(request.out, safeFileName(String(space["name"] ?? ""), id, "canvas"))
      yield* writeAtomic(file, JSON.stringify(canvas, null, "\t") + "\n", { mode: 0o600 })
      files.push({ space: id, path: file, nodes: canvas.nodes?.length ?? 0, edges: canvas.edges?.length ?? 0 })
      notShown.push(...hidden.map((row) => ({ space: id, ...row })))
    }
    return { archive: request.archive, files, notShown }
  }))

