/**
 * A feed as Ferry builds it before choosing a format: neutral entries that each service's own
 * module (src/kinopio/feed.ts, src/infinity/feed.ts) makes from its entities, and that the
 * writers (json-feed.ts, rss.ts, atom.ts) turn into bytes. Text here is plain text, as the
 * person typed it; the writers clean and escape it for where it lands.
 */
import { makeRedactor, REDACTED, SECRET_FIELDS } from "../shared/redact.ts"

export type FeedFormat = "json" | "rss" | "atom"

export const FEED_FORMATS: ReadonlyArray<FeedFormat> = ["json", "rss", "atom"]

/** The file each format is written to by `backup --feeds`, and its media type. */
export const FEED_FILES: Readonly<Record<FeedFormat, { readonly name: string; readonly contentType: string }>> = {
  json: { name: "feed.json", contentType: "application/feed+json" },
  rss: { name: "rss.xml", contentType: "application/rss+xml" },
  atom: { name: "atom.xml", contentType: "application/atom+xml" }
}

/** How many entries a feed holds unless told otherwise (like the services' own feeds). */
export const DEFAULT_FEED_LIMIT = 20

export interface FeedEntry {
  /** Stable across runs and embedding the entity's id, e.g. `urn:ferry:kinopio:card:<id>`. */
  readonly id: string
  /** Where the card or item lives on the service (absolute). */
  readonly url: string
  /** One line of plain text. */
  readonly title: string
  /** The whole text, plain. */
  readonly text: string
  readonly published: Date | undefined
  readonly modified: Date | undefined
  readonly author: string | undefined
  /** `[[tag]]` names, in order of appearance. */
  readonly tags: ReadonlyArray<string>
}

export interface FeedDocument {
  /** A URN naming the space or board, e.g. `urn:ferry:kinopio:space:<id>`. */
  readonly id: string
  readonly title: string
  /** The space or board on the service (absolute). */
  readonly homePageUrl: string
  readonly description: string
  /** Who the space or board belongs to, by name. */
  readonly authors: ReadonlyArray<string>
  /** Newest first, at most the limit asked for. */
  readonly entries: ReadonlyArray<FeedEntry>
  /** When the feed has no entries, its date: the space's or board's own, never the current time. */
  readonly fallbackUpdated: Date | undefined
}

/** A date from the service, or undefined when it is absent or not a date. */
export const parseDate = (value: unknown): Date | undefined => {
  if (typeof value !== "string" && typeof value !== "number") return undefined
  const ms = typeof value === "number" ? value : Date.parse(value)
  return Number.isFinite(ms) ? new Date(ms) : undefined
}

/** The time an entry sorts by: modified, else published. */
export const activityTime = (entry: Pick<FeedEntry, "published" | "modified">): number =>
  (entry.modified ?? entry.published)?.getTime() ?? Number.NEGATIVE_INFINITY

/** Newest first; equal times by id, so the order never depends on the order things were read in. */
export const newestFirst = (a: FeedEntry, b: FeedEntry): number => {
  const d = activityTime(b) - activityTime(a)
  return d !== 0 && !Number.isNaN(d) ? d : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * The newest `limit` entries of a stream of any length, in constant memory: each new entry is
 * placed in a sorted list that never grows past the limit.
 */
export class Newest {
  private readonly kept: Array<FeedEntry> = []
  constructor(readonly limit: number) {}

  add(entry: FeedEntry): void {
    if (this.limit <= 0) return
    const last = this.kept[this.kept.length - 1]
    if (this.kept.length >= this.limit && last !== undefined && newestFirst(entry, last) >= 0) return
    let at = this.kept.length
    while (at > 0 && newestFirst(entry, this.kept[at - 1]!) < 0) at--
    this.kept.splice(at, 0, entry)
    if (this.kept.length > this.limit) this.kept.pop()
  }

  get entries(): ReadonlyArray<FeedEntry> {
    return [...this.kept]
  }
}

/** The newest date of a feed: its first entry's, else its own fallback, else the epoch (never now). */
export const feedUpdated = (doc: FeedDocument): Date => {
  let newest = Number.NEGATIVE_INFINITY
  for (const entry of doc.entries) newest = Math.max(newest, activityTime(entry))
  if (Number.isFinite(newest)) return new Date(newest)
  return doc.fallbackUpdated ?? new Date(0)
}

const TAG = /\[\[([^[\]]+?)\]\]/g

/** The distinct `[[tag]]` names in a text, in order of appearance. */
export const tagsIn = (text: string): ReadonlyArray<string> => [
  ...new Set(Array.from(text.matchAll(TAG), (m) => (m[1] ?? "").trim()).filter((t) => t !== ""))
]

/** `urn:ferry:<service>:<kind>:<id>`, the id percent-encoded where it holds characters a URN cannot. */
export const ferryUrn = (service: string, kind: string, id: string): string =>
  `urn:ferry:${service}:${kind}:${encodeURIComponent(id)}`

/** An absolute URL as every format will write it (`feed` runs links through `new URL`). */
export const absoluteUrl = (url: string): string => new URL(url).toString()

/**
 * The document with every occurrence of the given secrets (the credential, a space's keys)
 * replaced in every piece of text and every URL, so no credential reaches a feed.
 */
export const scrubDocument = (doc: FeedDocument, secrets: ReadonlyArray<string>): FeedDocument => {
  const literals = secrets.filter((s) => s.trim() !== "")
  if (literals.length === 0) return doc
  const { text } = makeRedactor(literals)
  const url = (u: string) => {
    const scrubbed = text(u)
    return scrubbed === u ? u : absoluteUrl(scrubbed)
  }
  return {
    ...doc,
    id: text(doc.id),
    title: text(doc.title),
    homePageUrl: url(doc.homePageUrl),
    description: text(doc.description),
    authors: doc.authors.map(text),
    entries: doc.entries.map((e) => ({
      ...e,
      id: text(e.id),
      url: url(e.url),
      title: text(e.title),
      text: text(e.text),
      author: e.author === undefined ? undefined : text(e.author),
      tags: e.tags.map(text)
    }))
  }
}

const secretFields: ReadonlySet<string> = new Set(SECRET_FIELDS)

/**
 * The values of every secret field (a space's `collaboratorKey` and `readOnlyKey`, a card's
 * `linkToSpaceCollaboratorKey`, ...) anywhere inside a value, for `scrubDocument`: a key pasted
 * into a card's text must not reach a feed either.
 */
export const secretValues = (value: unknown, found: Set<string> = new Set()): Set<string> => {
  if (Array.isArray(value)) {
    for (const v of value) secretValues(v, found)
  } else if (typeof value === "object" && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (secretFields.has(key) && typeof v === "string" && v !== REDACTED && v.length >= 8) found.add(v)
      else if (typeof v === "object" && v !== null) secretValues(v, found)
    }
  }
  return found
}
