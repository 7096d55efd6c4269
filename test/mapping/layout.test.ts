/** The geometry and the card-name conventions both directions share. */
import { describe, expect, it } from "vitest"
import { checkboxOf, withCheckbox } from "../../src/mapping/kinopio-board.ts"
import { CARD_WIDTH, connectionPath, GAP, grid, innermostBox } from "../../src/mapping/layout.ts"

describe("checkboxes in card names", () => {
  it("reads [] , [ ] and [x] at the start only", () => {
    expect(["[] a", "[ ] a", "[x] a", "[X] a", "[]", "[x]a", "a [x] b", "[y] a", ""].map(checkboxOf)).toEqual([false, false, true, true, false, undefined, undefined, undefined, undefined])
  })

  it("sets one, keeping the rest of the text and a spelling that already says the same", () => {
    expect(withCheckbox("[ ] buy seeds", false)).toBe("[ ] buy seeds")
    expect(withCheckbox("[ ] buy seeds", true)).toBe("[x] buy seeds")
    expect(withCheckbox("[X] done", false)).toBe("[] done")
    expect(withCheckbox("plain\n[x] not a checkbox", true)).toBe("[x] plain\n[x] not a checkbox")
  })
})

describe("layout", () => {
  it("puts a card in the smallest box wholly around it, the first listed on a tie", () => {
    const boxes = [
      { name: "big", rect: { x: 0, y: 0, width: 100, height: 100 } },
      { name: "twin", rect: { x: 10, y: 10, width: 50, height: 50 } },
      { name: "twin again", rect: { x: 10, y: 10, width: 50, height: 50 } }
    ]
    expect(innermostBox({ x: 20, y: 20, width: 10, height: 10 }, boxes)?.name).toBe("twin")
    expect(innermostBox({ x: 50, y: 50, width: 20, height: 20 }, boxes)?.name).toBe("big")
    expect(innermostBox({ x: 90, y: 90, width: 20, height: 0 }, boxes)).toBeUndefined()
  })

  it("lays cells out in about-square rows, comments stacked to the right of their card", () => {
    const g = grid([{ height: 40, comments: [30, 30] }, { height: 100, comments: [] }, { height: 40, comments: [] }], { x: 0, y: 0 })
    const cell = CARD_WIDTH + GAP + CARD_WIDTH
    expect(g.placed.map((p) => [p.x, p.y])).toEqual([[0, 0], [cell + GAP, 0], [0, 100 + GAP]])
    expect(g.placed[0]!.comments).toEqual([{ x: CARD_WIDTH + GAP, y: 0 }, { x: CARD_WIDTH + GAP, y: 30 + GAP }])
    expect(g).toMatchObject({ width: 2 * cell + GAP, height: 100 + GAP + 40 })
  })

  it("draws a connection from centre to centre, and a loop for a card joined to itself", () => {
    expect(connectionPath({ x: 0, y: 0, width: 10, height: 10 }, { x: 100, y: 50, width: 10, height: 10 })).toBe("m5,5 q50,25 100,50")
    expect(connectionPath({ x: 0, y: 0, width: 10, height: 10 }, { x: 0, y: 0, width: 10, height: 10 })).toBe("m5,5 q60,-80 0,0")
  })
})
