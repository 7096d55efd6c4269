/**
 * Atom 1.0 through the `feed` package, on cleaned text (see rss.ts). Atom needs ids that are
 * URLs or URNs (Ferry's are `urn:ferry:...`), an `updated` date (the newest entry's), and puts
 * a category's name in an attribute where `feed` leaves `<` raw: it is removed there.
 */
import { html, oneLine, textToHtml, xmlText } from "./clean.ts"
import { type FeedDocument, feedUpdated } from "./entry.ts"
import { checked, feedOf } from "./rss.ts"

export const renderAtom = (doc: FeedDocument): string => {
  const feed = feedOf(doc)
  const updated = feedUpdated(doc)
  for (const e of doc.entries) {
    feed.addItem({
      id: e.id,
      title: html(oneLine(e.title)),
      link: e.url,
      date: e.modified ?? e.published ?? updated,
      ...(e.published === undefined ? {} : { published: e.published }),
      content: textToHtml(e.text),
      description: html(oneLine(e.text, 280)),
      ...(e.author === undefined || xmlText(e.author).trim() === "" ? {} : { author: [{ name: xmlText(e.author) }] }),
      ...(e.tags.length === 0 ? {} : { category: e.tags.map((t) => ({ term: xmlText(t).replace(/</g, "") })) })
    })
  }
  return checked("Atom", feed.atom1())
}
