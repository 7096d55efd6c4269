/**
 * Secrets never reach the disk: every entity is redacted before it is written to an archive.
 *
 * Two rules, both applied at every depth (objects inside arrays too):
 * - a key named in `SECRET_FIELDS` whose value is not null/absent gets the value `"[redacted]"`;
 * - a string containing one of the given literals (the credential itself, maybe inside a URL)
 *   has each occurrence replaced by `"[redacted]"`.
 *
 * Key order is kept. Subtrees with nothing to redact are shared with the input rather than
 * copied (entities are read-only), which keeps this cheap on large spaces.
 */
import type { Entity } from "../connector.ts"

/** The fields the contract redacts: a user's apiKey, a space's keys, a card's link key, a hook's secret. */
export const SECRET_FIELDS = [
  "apiKey",
  "collaboratorKey",
  "readOnlyKey",
  "linkToSpaceCollaboratorKey",
  "secret"
] as const

export const REDACTED = "[redacted]"

/** A redactor built once for a set of literals, then applied to every entity. */
export interface Redactor {
  readonly entity: (entity: Entity) => Entity
  /** Any JSON-like value (a string is scrubbed, an object or array walked). */
  readonly value: (value: unknown) => unknown
  /** Plain text, e.g. a markdown document: only the literals are scrubbed. */
  readonly text: (text: string) => string
}

/** Returns a copy of `entity` with secret fields and secret literals replaced by `"[redacted]"`. */
export const redact = (entity: Entity, literals: ReadonlyArray<string>): Entity => makeRedactor(literals).entity(entity)

/** Replaces every occurrence of the literals in `text` by `"[redacted]"`. */
export const scrubText = (text: string, literals: ReadonlyArray<string>): string => makeRedactor(literals).text(text)

const secretFields: ReadonlySet<string> = new Set(SECRET_FIELDS)

/**
 * The literals to look for: each non-empty literal, plus its URL-encoded form when that differs
 * (a credential with `+` or `/` appears encoded in a query string). Longest first, so a literal
 * that contains another is replaced whole.
 */
const searchTerms = (literals: ReadonlyArray<string>): ReadonlyArray<string> => {
  const terms = new Set<string>()
  for (const literal of literals) {
    if (literal.length === 0) continue
    terms.add(literal)
    const encoded = encodeURIComponent(literal)
    if (encoded !== literal) terms.add(encoded)
  }
  return [...terms].sort((a, b) => b.length - a.length)
}

const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Sets a key without ever touching the prototype (`__proto__` can be an own key of parsed JSON). */
const put = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[key] = value
  }
}

export const makeRedactor = (literals: ReadonlyArray<string>): Redactor => {
  const terms = searchTerms(literals)
  const shortest = terms.reduce((min, t) => Math.min(min, t.length), Number.POSITIVE_INFINITY)

  const text = (s: string): string => {
    if (s.length < shortest) return s
    let out = s
    for (const term of terms) {
      if (out.includes(term)) out = out.replaceAll(term, REDACTED)
    }
    return out
  }

  // Returns the input itself when nothing inside it changed.
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return text(value)
    if (value === null || typeof value !== "object") return value
    if (Array.isArray(value)) {
      let copy: Array<unknown> | undefined
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i]
        const next = walk(item)
        if (copy === undefined && next !== item) copy = value.slice(0, i)
        if (copy !== undefined) copy.push(next)
      }
      return copy ?? value
    }
    if (!isPlainObject(value)) return value // Date and friends: not JSON data from a service
    return walkObject(value)
  }

  const walkObject = (value: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
    const keys = Object.keys(value)
    let copy: Record<string, unknown> | undefined
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      const item = value[key]
      const next = secretFields.has(key) && item !== null && item !== undefined ? REDACTED : walk(item)
      if (copy === undefined && next !== item) {
        copy = {}
        for (let j = 0; j < i; j++) put(copy, keys[j]!, value[keys[j]!])
      }
      if (copy !== undefined) put(copy, key, next)
    }
    return copy ?? value
  }

  return {
    entity: (entity) => {
      const out = walkObject(entity)
      return out === entity ? copyOwn(entity) : out
    },
    value: walk,
    text
  }
}

// A shallow copy that keeps an own `__proto__` key as data.
const copyOwn = (entity: Entity): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(entity)) put(out, key, entity[key])
  return out
}
