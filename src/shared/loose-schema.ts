/**
 * Building blocks for tolerant schemas of service objects: the docs' types are hints, so every
 * field may be null or absent, and every field the docs do not list is kept (`Rest`).
 */
import { Schema } from "effect"

export const Rest = Schema.Record({ key: Schema.String, value: Schema.Unknown })
export const opt = <S extends Schema.Schema.Any>(s: S) => Schema.optional(Schema.NullOr(s))
export const Str = opt(Schema.String)
export const Bool = opt(Schema.Boolean)
export const Num = opt(Schema.Number)
export const Arr = opt(Schema.Array(Schema.Unknown))
export const Obj = opt(Rest)
