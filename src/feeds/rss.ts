/**
 * RSS 2.0 through the `feed` package, on cleaned text (stack guide §13): every string has its
 * XML-illegal characters removed; an item's title and content, which `feed` puts in CDATA as
 * HTML, are HTML-escaped, so a card's `<script>` reaches the reader as text and `]]>` can never
 * close a CDATA section early. The date is the newest entry's, never the current time, so the
 * same data gives the same bytes.
 */
import { Feed } from "feed"
import { html, oneLine, textToHtml, xmlText } from "./clean.ts"
import { type FeedDocument, feedUpdated } from "./entry.ts"
import { xmlProblem } from "./xml-check.ts"

export const GENERATOR = "Ferry"

/** The channel every XML format shares: title, link, author and date, from cleaned text. */
export const feedOf = (doc: FeedDocument): Feed => {
  const author = doc.authors.map(xmlText).find((a) => a.trim() !== "")
  const feed = new Feed({
    id: doc.id,
    title: xmlText(doc.title),
    link: doc.homePageUrl,
    description: xmlText(doc.description),
    updated: feedUpdated(doc),
    generator: GENERATOR,
    copyright: "",
    ...(author === undefined ? {} : { author: { name: author } })
  })
  return feed
}

/** The XML as written, refused (a defect in Ferry, never a file) unless it is well-formed. */
export const checked = (format: string, xml: string): string => {
  const problem = xmlProblem(xml)
  if (problem !== undefined) throw new Error(`the ${format} feed Ferry built is not well-formed XML (${problem}); nothing was written`)
  return xml.endsWith("\n") ? xml : `${xml}\n`
}

export const renderRss = (doc: FeedDocument): string => {
  const feed = feedOf(doc)
  for (const e of doc.entries) {
    feed.addItem({
      id: e.id,
      title: html(oneLine(e.title)),
      link: e.url,
      // RSS has one date per item: the activity it is listed for (the newest of the two).
      date: e.modified ?? e.published ?? feedUpdated(doc),
      content: textToHtml(e.text),
      description: html(oneLine(e.text, 280)),
      // RSS's <author> is an e-mail address; a name goes in <dc:creator> (the dc namespace comes with the content).
      ...(e.author === undefined || xmlText(e.author).trim() === "" ? {} : { extensions: [{ name: "dc:creator", objects: { _text: xmlText(e.author) } }] }),
      ...(e.tags.length === 0 ? {} : { category: e.tags.map((t) => ({ name: xmlText(t) })) })
    })
  }
  return checked("RSS", feed.rss2())
}
