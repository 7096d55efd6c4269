/** A feed document in the format asked for. */
import { renderAtom } from "./atom.ts"
import type { FeedDocument, FeedFormat } from "./entry.ts"
import { renderJsonFeed } from "./json-feed.ts"
import { renderRss } from "./rss.ts"

export const renderFeed = (doc: FeedDocument, format: FeedFormat): string => {
  switch (format) {
    case "json":
      return renderJsonFeed(doc)
    case "rss":
      return renderRss(doc)
    case "atom":
      return renderAtom(doc)
  }
}
