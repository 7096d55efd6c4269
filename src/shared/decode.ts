/**
 * Tolerant decoding of service responses. What Ferry cannot do without (an array where a list
 * was promised, an id) fails with the route and the field; anything else that differs from the
 * docs is kept verbatim and reported as a warning.
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import type { Entity } from "../connector.ts"
import { ResponseInvalid } from "../errors.ts"
import { isEntity } from "./entity.ts"

/** A value as received, with what did not match the docs. */
export interface Checked<A> {
  readonly value: A
  readonly warnings: ReadonlyArray<string>
}

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`


const pathText = (prefix: string, path: ReadonlyArray<PropertyKey>) =>
  path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : `${acc}.${String(k)}`), prefix)

/** Checks a value against a documented schema; mismatches become warnings, never failures. */
export const checkAgainst = <A, I>(schema: Schema.Schema<A, I>, value: unknown, where: string): ReadonlyArray<string> => {
  const result = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "preserve" })(value)
  if (Either.isRight(result)) return []
  return ParseResult.ArrayFormatter.formatErrorSync(result.left).map((issue) =>
    `${pathText(where, issue.path)} is not as documented (${issue.message.replace(/\s+/g, " ").slice(0, 120)}); kept as received`
  )
}

export interface Expect {
  readonly service: string
  readonly route: string
}

// Kinopio ids are strings; Infinity's users, workspaces and attachments have numbers.
const hasUsableId = (entity: Entity) => {
  const id = entity["id"]
  return (typeof id === "string" && id !== "") || (typeof id === "number" && Number.isFinite(id))
}

/** An object with an `id` (a non-empty string or a number), or ResponseInvalid naming the field. */
export const expectEntity = (at: Expect, value: unknown, field = "body"): Effect.Effect<Entity, ResponseInvalid> => {
  if (!isEntity(value)) {
    return Effect.fail(new ResponseInvalid({ ...at, field, problem: `is ${describe(value)}, expected an object` }))
  }
  const id = value["id"]
  if (!hasUsableId(value)) {
    return Effect.fail(
      new ResponseInvalid({ ...at, field: `${field}.id`, problem: id === undefined ? "is missing" : `is ${describe(id)}, expected a non-empty string or a number` })
    )
  }
  return Effect.succeed(value)
}

/**
 * An array of objects, each checked against its documented schema. Where Ferry needs each
 * entity's id to ask for more (spaces, boards, items), one without an id fails naming the field;
 * elsewhere (`requireIds: false`) it is kept as received and reported.
 */
export const expectEntities = <A, I>(
  at: Expect,
  value: unknown,
  schema: Schema.Schema<A, I>,
  field = "body",
  options: { readonly requireIds?: boolean } = {}
): Effect.Effect<Checked<ReadonlyArray<Entity>>, ResponseInvalid> =>
  Effect.gen(function*() {
    if (!Array.isArray(value)) {
      return yield* Effect.fail(new ResponseInvalid({ ...at, field, problem: `is ${describe(value)}, expected an array` }))
    }
    const entities: Array<Entity> = []
    const warnings: Array<string> = []
    for (let i = 0; i < value.length; i++) {
      const element = value[i]
      const where = `${field}[${i}]`
      if (options.requireIds === false && isEntity(element) && !hasUsableId(element)) {
        entities.push(element)
        warnings.push(`${at.route} ${where} has no usable id; kept as received`)
        continue
      }
      const entity = yield* expectEntity(at, element, where)
      entities.push(entity)
      warnings.push(...checkAgainst(schema, entity, `${at.route} ${where}`))
    }
    return { value: entities, warnings }
  })
