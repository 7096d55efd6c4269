/**
 * What a mapping cannot carry to the other service, said row by row instead of dropped.
 * A row with `field: "*"` means the whole entity stays behind; `id: "*"` means every entity of
 * the collection (used for fields the service sets on everything, so that a thousand cards do
 * not make a thousand rows saying the same thing).
 */
import type { Entity, NotRestored } from "../connector.ts"
import { holdsSomething } from "../shared/entity.ts"

export class NotCarried {
  private readonly rows: Array<NotRestored> = []
  private readonly seen = new Set<string>()

  add(collection: string, id: string, field: string, reason: string): void {
    const key = JSON.stringify([collection, id, field])
    if (this.seen.has(key)) return
    this.seen.add(key)
    this.rows.push({ collection, id, field, reason })
  }

  /** The whole entity stays behind. */
  entity(collection: string, entity: Entity, reason: string): void {
    this.add(collection, String(entity["id"] ?? "?"), "*", reason)
  }

  /**
   * Every field of `entity` that holds something and is not `carried`: those the source service
   * sets itself once for the collection, the others on the entity's own row.
   */
  fields(
    collection: string,
    entity: Entity,
    carried: ReadonlySet<string>,
    serviceSet: { readonly fields: ReadonlySet<string>; readonly reason: string },
    reason: (field: string) => string
  ): void {
    for (const [field, value] of Object.entries(entity)) {
      if (carried.has(field) || !holdsSomething(value)) continue
      if (serviceSet.fields.has(field)) this.add(collection, "*", field, serviceSet.reason)
      else this.add(collection, String(entity["id"] ?? "?"), field, reason(field))
    }
  }

  list(): Array<NotRestored> {
    return [...this.rows]
  }
}
