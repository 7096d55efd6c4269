/** The demo seed's spaces as a Kinopio archive holds them: redacted, split into the archive's collections. */
import type { SpaceInput } from "../../src/canvas/export.ts"
import { demoSeed } from "../../src/kinopio/sandbox-seed.ts"
import { redact } from "../../src/shared/redact.ts"

type Entity = Readonly<Record<string, unknown>>

export const seedSpaceInputs = (): ReadonlyArray<SpaceInput> => {
  const seed = demoSeed()
  const archived = (list: ReadonlyArray<Entity>) => list.map((e) => redact(e, []))
  return seed.spaces.map((space) => {
    const of = (list: ReadonlyArray<Entity>) => archived(list.filter((e) => e["spaceId"] === space["id"]))
    const cards = of(seed.cards)
    return {
      space: redact(space, []),
      cards: cards.filter((c) => c["isRemoved"] !== true),
      removedCards: cards.filter((c) => c["isRemoved"] === true),
      connections: of(seed.connections),
      connectionTypes: of(seed.connectionTypes),
      tags: of(seed.tags)
    }
  })
}
