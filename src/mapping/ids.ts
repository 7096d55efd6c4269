/**
 * Ids for the entities a mapping makes, derived from the source ids they stand for: the same
 * archive always maps to the same entities (a migration stopped anywhere and run again finds
 * what it made), and no random number is ever drawn. Each id is a hash of its parts, so two
 * different sources never share one; the shapes are the ones each service shows.
 */
import { createHash } from "node:crypto"

const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/** JSON of each part keeps `null`, `"null"` and `["a", "b"]` vs `["a\u0000b"]` apart. */
const digest = (parts: ReadonlyArray<unknown>) =>
  createHash("sha256").update(JSON.stringify(["ferry-mapping", ...parts])).digest()

/** A UUID (v4 and RFC variant bits set, so any validation accepts it): Infinity's attributes, labels, items, values, references. */
export const uuidFrom = (...parts: ReadonlyArray<unknown>): string => {
  const hex = digest(parts).toString("hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[parseInt(hex[16] ?? "0", 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** 11 characters of [A-Za-z0-9]: Infinity's boards and folders. */
export const shortIdFrom = (...parts: ReadonlyArray<unknown>): string =>
  Array.from(digest(parts).subarray(0, 11), (b) => BASE62[b % 62]).join("")

/** 21 characters of [A-Za-z0-9_-], nanoid's shape: Kinopio's spaces, cards, boxes, connections, types, tags. */
export const nanoIdFrom = (...parts: ReadonlyArray<unknown>): string =>
  digest(parts).toString("base64url").slice(0, 21)
