/** Bytes, sha256 and line count of a member, streamed: what the manifest records and verify checks. */
import { createHash } from "node:crypto"
import { Effect, Stream } from "effect"
import { heapGuard } from "../shared/heap.ts"

export interface Digest {
  readonly bytes: number
  readonly sha256: string
  /** `\n` count, plus one for a last line without one. */
  readonly lines: number
}

export const digestBytes = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Effect.Effect<Digest, E, R> =>
  Stream.runFold(bytes, { hash: createHash("sha256"), bytes: 0, lines: 0, last: 0x0a }, (acc, chunk) => {
    heapGuard.check() // reading every member back leaves a buffer per chunk behind
    acc.hash.update(chunk)
    acc.bytes += chunk.length
    let at = chunk.indexOf(0x0a)
    while (at !== -1) {
      acc.lines++
      at = chunk.indexOf(0x0a, at + 1)
    }
    if (chunk.length > 0) acc.last = chunk[chunk.length - 1]!
    return acc
  }).pipe(Effect.map((acc) => ({
    bytes: acc.bytes,
    sha256: acc.hash.digest("hex"),
    lines: acc.lines + (acc.last === 0x0a ? 0 : 1)
  })))
