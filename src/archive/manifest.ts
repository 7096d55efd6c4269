/**
 * `manifest.json`, the archive's table of contents (format `ferry-archive`, version 1):
 *
 * ```json
 * { "format": "ferry-archive", "version": 1, "service": "kinopio", "createdAt": "2026-11-22T03:00:00.000Z",
 *   "source": { "apiUrl": "https://api.kinopio.club", "account": "<user or workspace id>" },
 *   "counts": { "spaces": 12, "cards": 3400 },
 *   "files": [ { "path": "data/cards.jsonl", "bytes": 123456, "sha256": "<hex>" } ] }
 * ```
 *
 * `files` lists every member except `manifest.json`; `counts` has one entry per data file, equal
 * to its number of lines. An incremental backup adds `carriedOver`: which entities were copied
 * from an earlier archive instead of fetched, and from which one (the archive stays complete on
 * its own: the copies are in it), and `fetchAgain` names what it holds only in part. Decoding
 * ignores keys it does not know, so a later minor addition does not make an archive unreadable.
 */
import { Either, ParseResult, Schema } from "effect"

export const MANIFEST_NAME = "manifest.json"
export const FORMAT_NAME = "ferry-archive"
export const FORMAT_VERSION = 1

const IsoTimestamp = Schema.String.pipe(
  Schema.filter((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: () => "an ISO 8601 timestamp such as 2026-11-22T03:00:00.000Z"
  })
)
const Sha256Hex = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/, { message: () => "64 lowercase hex digits" }))

export const ManifestFile = Schema.Struct({
  path: Schema.String,
  bytes: Schema.NonNegativeInt,
  sha256: Sha256Hex
})
export type ManifestFile = typeof ManifestFile.Type

const SERVICES = ["kinopio", "infinity"] as const

/** What an incremental backup copied from an earlier archive, unchanged since. */
export const CarriedOver = Schema.Struct({
  /** The earlier archive's file name (in the same folder). */
  from: Schema.String,
  /** Its `createdAt`. */
  fromCreatedAt: IsoTimestamp,
  /** Per kind of unit copied (Kinopio "spaces", Infinity "attachments"): the ids copied. */
  entities: Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) }),
  /** Per data file: how many of its lines were copied rather than fetched. */
  counts: Schema.Record({ key: Schema.String, value: Schema.NonNegativeInt })
})
export type CarriedOver = typeof CarriedOver.Type

/**
 * Per kind of unit (Kinopio "spaces"): the ids this archive holds only in part, e.g. a space
 * whose full record could not be read, kept as its listing summary without cards. A later
 * incremental backup fetches these again rather than copying them, however unchanged they look.
 */
export const FetchAgain = Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) })
export type FetchAgain = typeof FetchAgain.Type

export const Manifest = Schema.Struct({
  format: Schema.Literal(FORMAT_NAME),
  version: Schema.Literal(FORMAT_VERSION),
  service: Schema.Literal(...SERVICES),
  createdAt: IsoTimestamp,
  source: Schema.Struct({ apiUrl: Schema.String, account: Schema.String }),
  counts: Schema.Record({ key: Schema.String, value: Schema.NonNegativeInt }),
  files: Schema.Array(ManifestFile),
  carriedOver: Schema.optional(CarriedOver),
  fetchAgain: Schema.optional(FetchAgain)
})
export type Manifest = typeof Manifest.Type

/** The manifest's bytes: pretty JSON in the contract's key order, with a final newline. */
export const encodeManifest = (manifest: Manifest): string =>
  JSON.stringify(Schema.encodeSync(Manifest)(manifest), null, 2) + "\n"

/**
 * Decodes a manifest's text, or says in one line per problem what is wrong with it. The format
 * and version are checked first, so a foreign or newer file gets a plain answer rather than a
 * list of schema errors.
 */
export const decodeManifest = (text: string): Either.Either<Manifest, ReadonlyArray<string>> => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    return Either.left([`manifest.json is not JSON (${cause instanceof Error ? cause.message : String(cause)})`])
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return Either.left(["manifest.json is not a JSON object"])
  }
  const record = raw as Record<string, unknown>
  if (record["format"] !== FORMAT_NAME) {
    return Either.left([`manifest.json says format ${JSON.stringify(record["format"])}, not "${FORMAT_NAME}": not a Ferry archive`])
  }
  if (record["version"] !== FORMAT_VERSION) {
    return Either.left([
      `manifest.json says version ${JSON.stringify(record["version"])}; this Ferry reads version ${FORMAT_VERSION}`
    ])
  }
  if (!SERVICES.includes(record["service"] as never)) {
    return Either.left([
      `manifest.json names service ${JSON.stringify(record["service"])}; this Ferry knows ${SERVICES.join(" and ")}`
    ])
  }
  return Schema.decodeUnknownEither(Manifest, { errors: "all", onExcessProperty: "ignore" })(raw).pipe(
    Either.mapLeft((error) => {
      // One line per offending field, however many alternatives the schema tried.
      const byPath = new Map<string, Array<string>>()
      for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
        const where = issue.path.map(String).join(".")
        byPath.set(where, [...(byPath.get(where) ?? []), issue.message])
      }
      return [...byPath].map(([where, messages]) =>
        `manifest.json: ${where === "" ? "" : `${where}: `}${[...new Set(messages)].join("; ")}`
      )
    })
  )
}
