/**
 * JSON Feed 1.1 (https://jsonfeed.org/version/1.1), written here because `feed` 6 writes only
 * version 1.0 (its `json1()` has the 1.0 `author` object and maps an item's date to
 * `date_modified` alone). Ferry writes the 1.1 `authors` arrays, both dates, `content_text`
 * and `content_html`, and `tags`. The bytes depend only on the document: keys in a fixed
 * order, two-space indentation, a final newline.
 */
import { Schema } from "effect"
import { oneLine, textToHtml, xmlText } from "./clean.ts"
import type { FeedDocument } from "./entry.ts"

export const JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

const Author = Schema.Struct({ name: Schema.String })

const Item = Schema.Struct({
  id: Schema.String,
  url: Schema.optional(Schema.String),
  title: Schema.optional(Schema.String),
  content_text: Schema.String,
  content_html: Schema.String,
  date_published: Schema.optional(Schema.DateFromString),
  date_modified: Schema.optional(Schema.DateFromString),
  authors: Schema.optional(Schema.Array(Author)),
  tags: Schema.optional(Schema.Array(Schema.String))
})

/** The document Ferry writes; also what the tests decode a written feed with. */
export const JsonFeed11 = Schema.Struct({
  version: Schema.Literal(JSON_FEED_VERSION),
  title: Schema.String,
  home_page_url: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  authors: Schema.optional(Schema.Array(Author)),
  items: Schema.Array(Item)
})
export type JsonFeed11 = typeof JsonFeed11.Type

const authorsOf = (names: ReadonlyArray<string | undefined>) => {
  const clean = names.flatMap((n) => (n === undefined || xmlText(n).trim() === "" ? [] : [{ name: xmlText(n) }]))
  return clean.length === 0 ? {} : { authors: clean }
}

export const toJsonFeed = (doc: FeedDocument): JsonFeed11 => ({
  version: JSON_FEED_VERSION,
  title: xmlText(doc.title),
  home_page_url: doc.homePageUrl,
  ...(doc.description === "" ? {} : { description: xmlText(doc.description) }),
  ...authorsOf(doc.authors),
  items: doc.entries.map((e) => ({
    id: e.id,
    url: e.url,
    title: oneLine(e.title),
    content_text: xmlText(e.text),
    content_html: textToHtml(e.text),
    ...(e.published === undefined ? {} : { date_published: e.published }),
    ...(e.modified === undefined ? {} : { date_modified: e.modified }),
    ...authorsOf([e.author]),
    ...(e.tags.length === 0 ? {} : { tags: e.tags.map(xmlText) })
  }))
})

export const renderJsonFeed = (doc: FeedDocument): string =>
  JSON.stringify(Schema.encodeSync(JsonFeed11)(toJsonFeed(doc)), null, 2) + "\n"
