/** Reading fields of an entity as received, where any field may be missing or of another type. */
import type { Entity } from "../connector.ts"

export const isEntity = (value: unknown): value is Entity =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

export const num = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined

/** An id as text, whether the service sends it as a string or a number. */
export const idOf = (entity: Entity): string => String(entity["id"])

export const asArray = (value: unknown): ReadonlyArray<unknown> =>
  Array.isArray(value) ? value : value === null || value === undefined ? [] : [value]

export const asEntity = (value: unknown): Entity | undefined => (isEntity(value) ? value : undefined)

/** `map[key]` as a list, created on first use; pushing into it never copies the list. */
export const pushTo = <K, V>(map: Map<K, Array<V>>, key: K, value: V): void => {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

/**
 * A field that holds nothing loses nothing when it is left behind: null, false, 0, "" and
 * empty lists or objects are what either service assumes when a field is absent.
 */
export const holdsSomething = (value: unknown): boolean =>
  !(value === null || value === undefined || value === false || value === 0 || value === "" ||
    (Array.isArray(value) && value.length === 0) || (isEntity(value) && Object.keys(value).length === 0))
