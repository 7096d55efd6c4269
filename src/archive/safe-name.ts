/**
 * File names made from user text, and the check every archive entry name must pass.
 *
 * `safeFileName` gives one path segment that is valid on Linux, macOS and Windows and cannot
 * escape its folder; the entity id keeps two entities with the same name apart. `isSafeEntryName`
 * is what a reader applies to names it did not make: a relative path that stays inside the
 * folder it is extracted to.
 */
import { createHash } from "node:crypto"

/** At most this many bytes of UTF-8 in a whole file name (contract: 100). */
export const MAX_NAME_BYTES = 100
/** An id longer than this (or one that had to be altered) is shortened and given a hash. */
const MAX_ID_BYTES = 48
const MAX_EXTENSION_BYTES = 16

/**
 * `<safe text>-<safe id>.<extension>`, at most 100 bytes of UTF-8, one path segment.
 *
 * - `/ \ < > : " | ? *`, control and invisible direction characters become `_`; runs of dots
 *   collapse to one; leading and trailing dots, spaces and `_` go; unicode is otherwise kept.
 * - Text that is too long is cut at a character boundary (never inside a character, a surrogate
 *   pair or an emoji sequence).
 * - The id is kept verbatim when it is already safe and short; otherwise it is shortened and a
 *   hash of the original is added, so different ids still give different names.
 * - Empty text gives just `<id>.<extension>`; a Windows device name (CON, NUL, COM1...) gets a `_` prefix.
 */
export const safeFileName = (text: string, id: string, extension: string): string => {
  const safeId = idPart(id)
  const ext = truncateUtf8(clean(extension).replace(/^[._]+/, ""), MAX_EXTENSION_BYTES).replace(/[._ ]+$/, "")
  const suffix = (safeId === "" ? "" : safeId) + (ext === "" ? "" : `.${ext}`)
  const cleanText = clean(text.normalize("NFC"))
  let name: string
  if (cleanText === "") {
    name = safeId === "" ? `unnamed${ext === "" ? "" : `.${ext}`}` : suffix
  } else {
    const tail = safeId === "" ? suffix : `-${suffix}`
    const budget = MAX_NAME_BYTES - utf8Bytes(tail) - 1 // one byte spare for a reserved-name prefix
    const head = trimEdges(truncateUtf8(cleanText, budget))
    name = head === "" ? (safeId === "" ? `unnamed${tail}` : suffix) : `${head}${tail}`
  }
  return isWindowsReserved(name) ? `_${name}` : name
}

/**
 * Whether an archive entry name is safe to extract: relative, `/`-separated, no empty, `.` or
 * `..` segment, no segment made only of dots and spaces, no backslash, no colon (drive letters,
 * NTFS streams), no control characters. A single trailing `/` (a directory entry) is allowed.
 */
export const isSafeEntryName = (name: string): boolean => {
  if (name.length === 0 || name.length > 4096) return false
  if (UNSAFE_IN_ENTRY.test(name)) return false
  if (name.startsWith("/")) return false
  const body = name.endsWith("/") ? name.slice(0, -1) : name
  if (body.length === 0) return false
  for (const segment of body.split("/")) {
    if (segment.length === 0 || /^[. ]+$/.test(segment)) return false
  }
  return true
}

// --- internals ---

// Control characters (C0, DEL, C1), path and Windows-reserved characters, invisible formatting
// (but not the zero-width joiners that emoji sequences and some scripts need)
// and direction overrides (which make a name read differently from what it is), noncharacters.
const UNSAFE_CHARS =
  /[\u0000-\u001f\u007f-\u009f<>:"/\\|?*\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\uffff]/g
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
const UNSAFE_IN_ENTRY = /[\u0000-\u001f\u007f-\u009f\\:]/

const WINDOWS_RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i

const clean = (s: string): string =>
  trimEdges(
    s
      .replace(LONE_SURROGATE, "_")
      .replace(UNSAFE_CHARS, "_")
      .replace(/\s+/g, " ")
      .replace(/\.{2,}/g, ".")
      .replace(/_{2,}/g, "_")
  )

/** No leading dot, dash, space or `_`; no trailing dot, dash, space or `_`. */
const trimEdges = (s: string): string => s.replace(/^[\s._-]+/, "").replace(/[\s._-]+$/, "")

const idPart = (id: string): string => {
  const cleaned = clean(id.normalize("NFC"))
  if (cleaned === id && utf8Bytes(cleaned) <= MAX_ID_BYTES) return cleaned
  // Altered or too long: keep what is readable and add a hash of the original, so distinct ids
  // stay distinct ("a:b" and "a*b" both clean to "a_b").
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 10)
  const kept = trimEdges(truncateUtf8(cleaned, MAX_ID_BYTES - hash.length - 1))
  return kept === "" ? hash : `${kept}-${hash}`
}

const isWindowsReserved = (name: string): boolean => {
  const stem = name.split(".")[0] ?? ""
  return WINDOWS_RESERVED.test(stem.trimEnd())
}

export const utf8Bytes = (s: string): number => Buffer.byteLength(s, "utf8")

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" })

/** The longest prefix of `s` of at most `maxBytes` UTF-8 bytes that ends on a grapheme boundary. */
export const truncateUtf8 = (s: string, maxBytes: number): string => {
  if (maxBytes <= 0) return ""
  if (utf8Bytes(s) <= maxBytes) return s
  let out = ""
  let bytes = 0
  for (const { segment } of graphemes.segment(s)) {
    const size = utf8Bytes(segment)
    if (bytes + size > maxBytes) break
    out += segment
    bytes += size
  }
  return out
}
