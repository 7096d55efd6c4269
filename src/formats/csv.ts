/**
 * CSV (RFC 4180, UTF-8, CRLF, a header row) derived from a JSONL file, streamed from disk.
 *
 * Columns are the union of the records' top-level keys in first-seen order, which needs a first
 * pass over the file; the second pass writes the rows in batches. Memory grows with the number
 * of columns, never with the number of rows. Cells hold the same data as the JSONL: strings as
 * they are, numbers and booleans as their JSON text, objects and arrays as JSON text, null or
 * absent as an empty field. No formula escaping: the CSV must hold the same data.
 */
import { heapGuard } from "../shared/heap.ts"
import { FileSystem } from "@effect/platform"
import { Chunk, Effect, Stream } from "effect"
import Papa from "papaparse"
import { ArchiveWriteFailed } from "../errors.ts"
import { parseJsonLines } from "./jsonl.ts"

/** Rows per write: one `Papa.unparse` and one write call per batch, not per row. */
const ROWS_PER_BATCH = 1000

/** One cell's text. */
export const csvCell = (value: unknown): string => {
  if (value === null || value === undefined) return ""
  if (typeof value === "string") return value
  return JSON.stringify(value) ?? ""
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The header line (no line break after it). Empty when there are no columns. */
export const csvHeader = (columns: ReadonlyArray<string>): string =>
  columns.length === 0 ? "" : Papa.unparse([[...columns]], { newline: "\r\n" })

/** Rows for these records, CRLF-separated, no trailing line break. A non-object record gives an empty row. */
export const csvRows = (columns: ReadonlyArray<string>, records: Iterable<unknown>): string => {
  const rows: Array<Array<string>> = []
  for (const record of records) {
    rows.push(columns.map((column) => (isRecord(record) && Object.hasOwn(record, column) ? csvCell(record[column]) : "")))
  }
  return rows.length === 0 ? "" : Papa.unparse(rows, { newline: "\r\n", header: false, quotes: false })
}

/** The union of the records' top-level keys, in first-seen order (keys whose value is undefined are skipped, as JSON does). */
export const collectColumns = <E, R>(records: Stream.Stream<unknown, E, R>): Effect.Effect<ReadonlyArray<string>, E, R> =>
  Effect.suspend(() => {
    const seen = new Set<string>()
    return Stream.runForEach(Stream.chunks(records), (chunk) =>
      Effect.sync(() => {
        for (const record of chunk) if (isRecord(record)) addColumns(seen, record)
      })).pipe(Effect.map((): ReadonlyArray<string> => [...seen]))
  })

/** Adds a record's keys to a column set (for callers that see the records as they are written). */
export const addColumns = (columns: Set<string>, record: Readonly<Record<string, unknown>>): void => {
  for (const key of Object.keys(record)) {
    if (record[key] !== undefined && !columns.has(key)) columns.add(key)
  }
}

/** The CSV text of a record stream as batched pieces: the header, then `\r\n` + each batch of rows. */
export const csvText = <E, R>(
  columns: ReadonlyArray<string>,
  records: Stream.Stream<unknown, E, R>
): Stream.Stream<string, E, R> => {
  if (columns.length === 0) return Stream.empty // nothing to write: no header, and every row would be empty
  return Stream.concat(
    Stream.succeed(csvHeader(columns)),
    records.pipe(
      Stream.rechunk(ROWS_PER_BATCH),
      Stream.mapChunks((batch) => {
        heapGuard.check() // a million rows leave a lot of garbage: keep the heap from drifting upwards
        return Chunk.of("\r\n" + csvRows(columns, batch))
      })
    )
  )
}

export interface CsvSummary {
  readonly rows: number
  readonly columns: ReadonlyArray<string>
}

/**
 * Writes `csvPath` from the JSONL file `jsonlPath`, reading it twice (columns, then rows) unless
 * `columns` is given. Any failure (unreadable file, a line that is not JSON) is `ArchiveWriteFailed`.
 */
export const writeCsvFromJsonl = (
  jsonlPath: string,
  csvPath: string,
  options: { readonly columns?: ReadonlyArray<string> } = {}
): Effect.Effect<CsvSummary, ArchiveWriteFailed, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const records = parseJsonLines(
      fs.stream(jsonlPath, { chunkSize: 64 * 1024 }),
      (line, reason) => new ArchiveWriteFailed({ path: jsonlPath, reason: `line ${line} is not JSON: ${reason}` })
    )
    const columns = options.columns ?? (yield* collectColumns(records))
    let rows = 0
    const counted = records.pipe(Stream.mapChunks((chunk) => {
      rows += chunk.length
      return chunk
    }))
    yield* csvText(columns, counted).pipe(
      Stream.encodeText,
      Stream.run(fs.sink(csvPath, { mode: 0o600 }))
    )
    return { rows, columns }
  }).pipe(
    Effect.mapError((e) =>
      e._tag === "ArchiveWriteFailed" ? e : new ArchiveWriteFailed({ path: csvPath, reason: e.message }))
  )
