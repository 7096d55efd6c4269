/**
 * Making a service's text safe for a feed (stack guide §13). `feed` 6 passes XML-illegal
 * control characters and raw HTML through, so every string is cleaned before it is handed over:
 * characters XML 1.0 does not allow are dropped (lone surrogates too), and wherever text lands
 * in HTML (an item's title and content) it is escaped, so no markup from a card ever runs in a
 * reader. Emoji and other characters outside the BMP are kept.
 */

// XML 1.0 allows tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD and U+10000 up; drop the rest.
const XML_ILLEGAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

/** The text with every character XML 1.0 forbids removed (NUL, BEL, ESC, U+FFFE, lone surrogates...). */
export const xmlText = (s: string): string => s.replace(XML_ILLEGAL, "")

/** Text as HTML text: `& < > " '` become entities. */
export const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

/** User text for a place that holds HTML: cleaned, then escaped. */
export const html = (s: string): string => escapeHtml(xmlText(s))

/**
 * Plain text as a small HTML document: paragraphs at blank lines, `<br>` at line breaks,
 * every character of the text escaped. The only markup is the one added here.
 */
export const textToHtml = (text: string): string => {
  const paragraphs = xmlText(text).replace(/\r\n?/g, "\n").split(/\n[ \t]*\n+/).map((p) => p.trim()).filter((p) => p !== "")
  return paragraphs.map((p) => `<p>${p.split("\n").map(escapeHtml).join("<br>")}</p>`).join("")
}

/** One line of at most `max` characters (whole code points), for titles. */
export const oneLine = (text: string, max = 100): string => {
  const line = xmlText(text).replace(/\s+/g, " ").trim()
  const chars = Array.from(line)
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join("").trimEnd()}…`
}
