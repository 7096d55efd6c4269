/**
 * Readable text from the HTML a service stores (Infinity comments): block ends become line
 * breaks, links keep their address, tags go, entities are decoded. The result is plain text;
 * `markdownText` then makes it safe to place in a Markdown document.
 */

const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " ", "#39": "'" }

const decodeEntities = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (whole, name: string) => {
    if (name.startsWith("#x") || name.startsWith("#X")) return safeCodePoint(parseInt(name.slice(2), 16), whole)
    if (name.startsWith("#")) return safeCodePoint(parseInt(name.slice(1), 10), whole)
    return named[name.toLowerCase()] ?? whole
  })

const safeCodePoint = (n: number, fallback: string) => {
  try {
    return Number.isFinite(n) && n > 0 ? String.fromCodePoint(n) : fallback
  } catch {
    return fallback
  }
}

export const htmlToText = (html: string): string =>
  decodeEntities(
    html
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, "") // their content is not text
      .replace(/<a\b[^>]*\bhref\s*=\s*("([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a\s*>/gi, (_m, _q, d, s, text: string) => {
        const href = (d ?? s ?? "") as string
        const label = text.replace(/<[^>]*>/g, "")
        return href === "" || href === label ? label : `${label} (${href})`
      })
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(/<\/(p|div|li|h[1-6]|blockquote|pre|tr)\s*>/gi, "\n")
      .replace(/<li\b[^>]*>/gi, "- ")
      .replace(/<[^>]*>/g, "")
  )
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim()

/** User text placed in Markdown: no tag survives to be rendered as HTML by a viewer. */
export const markdownText = (text: string): string => text.replace(/</g, "&lt;")
