/**
 * JSON Lines: one entity per line, `\n`-terminated, UTF-8. The lossless format of `data/*.jsonl`.
 *
 * `JSON.stringify` escapes every line break inside strings, so a raw `\n` only ever ends a line.
 */
import { Chunk, Effect, Stream } from "effect"

/** One line, with its `\n`. */
export const toJsonLine = (entity: unknown): string => {
  const json = JSON.stringify(entity)
  // `undefined`, a function or a symbol stringify to undefined: not an entity.
  if (json === undefined) throw new TypeError(`cannot write ${typeof entity} as a JSON line`)
  return json + "\n"
}

/**
 * The text lines of a UTF-8 byte stream (`\n` or `\r\n` separated), empty lines dropped, one
 * output chunk per input chunk. (Faster than `Stream.splitLines`, which looks at every
 * character, and it flushes the decoder at the end.)
 */
export const linesOf = <E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<string, E, R> =>
  Stream.suspend(() => {
    const decoder = new TextDecoder("utf-8")
    let rest = ""
    const split = (text: string, lines: Array<string>): string => {
      let start = 0
      let at = text.indexOf("\n")
      while (at !== -1) {
        const end = at > start && text.charCodeAt(at - 1) === 13 ? at - 1 : at
        if (end > start) lines.push(text.slice(start, end))
        start = at + 1
        at = text.indexOf("\n", start)
      }
      return text.slice(start)
    }
    return bytes.pipe(
      Stream.mapChunks((chunk) => {
        const lines: Array<string> = []
        for (const piece of chunk) rest = split(rest + decoder.decode(piece, { stream: true }), lines)
        return Chunk.unsafeFromArray(lines)
      }),
      Stream.concat(Stream.suspend(() => {
        const last = rest + decoder.decode()
        rest = ""
        const trimmed = last.endsWith("\r") ? last.slice(0, -1) : last
        return trimmed.length > 0 ? Stream.succeed(trimmed) : Stream.empty
      }))
    )
  })

/**
 * Parses a JSONL byte stream into values, one chunk of lines at a time. A line that is not JSON
 * fails the stream with `onInvalid(lineNumber, reason)` (1-based, counting non-empty lines).
 */
export const parseJsonLines = <E, R, E2>(
  bytes: Stream.Stream<Uint8Array, E, R>,
  onInvalid: (lineNumber: number, reason: string) => E2
): Stream.Stream<unknown, E | E2, R> =>
  Stream.suspend(() => {
    let lineNumber = 0
    return linesOf(bytes).pipe(
      Stream.mapChunksEffect((lines) =>
        Effect.suspend(() => {
          const values: Array<unknown> = []
          for (const line of lines) {
            lineNumber++
            try {
              values.push(JSON.parse(line))
            } catch (cause) {
              return Effect.fail(onInvalid(lineNumber, cause instanceof Error ? cause.message : String(cause)))
            }
          }
          return Effect.succeed(Chunk.unsafeFromArray(values))
        })
      )
    )
  })
