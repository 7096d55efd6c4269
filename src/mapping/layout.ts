/**
 * Where cards and boxes go on a Kinopio space when the board they come from says nothing
 * about positions: a readable grid of cards inside each box, boxes side by side, comments
 * beside their card. Also the geometry both directions agree on: which box a card sits in.
 * Numbers only; no text measuring, so the same board always gives the same layout.
 */

export const CARD_WIDTH = 235
export const GAP = 24
export const BOX_PADDING = 20
/** Room for the box's name above its cards. */
export const BOX_HEADER = 50
export const BOX_GAP = 80
export const ORIGIN = { x: 100, y: 100 } as const
/** Wider grids are hard to read; taller ones scroll, which people are used to. */
const MAX_COLUMNS = 6

export interface Point {
  readonly x: number
  readonly y: number
}

export interface Rect extends Point {
  readonly width: number
  readonly height: number
}

/**
 * A card's height for its text at CARD_WIDTH, about as Kinopio draws it (it measures cards on
 * screen and corrects this): enough that neighbouring cards and boxes do not overlap.
 */
export const cardHeight = (text: string): number => {
  const CHARACTERS_PER_LINE = 28
  const lines = text.split("\n").reduce((n, line) => n + Math.max(1, Math.ceil([...line].length / CHARACTERS_PER_LINE)), 0)
  return 14 + 22 * Math.max(1, lines)
}

/** A card to place, and the heights of the comment cards that go beside it. */
export interface Cell {
  readonly height: number
  readonly comments: ReadonlyArray<number>
}

export interface Placed extends Point {
  readonly comments: ReadonlyArray<Point>
}

/** Cells in rows of up to MAX_COLUMNS (about square), left to right, from `origin`; comments stacked to the right of their card. */
export const grid = (cells: ReadonlyArray<Cell>, origin: Point): { readonly placed: ReadonlyArray<Placed>; readonly width: number; readonly height: number } => {
  if (cells.length === 0) return { placed: [], width: 0, height: 0 }
  const columns = Math.min(MAX_COLUMNS, Math.ceil(Math.sqrt(cells.length)))
  const withComments = cells.some((c) => c.comments.length > 0)
  const cellWidth = CARD_WIDTH + (withComments ? GAP + CARD_WIDTH : 0)
  const stack = (heights: ReadonlyArray<number>) => heights.reduce((sum, h) => sum + h, 0) + GAP * Math.max(0, heights.length - 1)
  const placed: Array<Placed> = []
  let y = origin.y
  for (let row = 0; row * columns < cells.length; row++) {
    const rowCells = cells.slice(row * columns, (row + 1) * columns)
    rowCells.forEach((cell, column) => {
      const x = origin.x + column * (cellWidth + GAP)
      let commentY = y
      const comments = cell.comments.map((h) => {
        const at = { x: x + CARD_WIDTH + GAP, y: commentY }
        commentY += h + GAP
        return at
      })
      placed.push({ x, y, comments })
    })
    y += Math.max(...rowCells.map((c) => Math.max(c.height, stack(c.comments)))) + GAP
  }
  const used = Math.min(columns, cells.length)
  return { placed, width: used * cellWidth + (used - 1) * GAP, height: y - GAP - origin.y }
}

/** Box geometry (Kinopio's `x, y, resizeWidth, resizeHeight`) around content, with room for the name. */
export const boxAround = (content: Rect): { readonly x: number; readonly y: number; readonly resizeWidth: number; readonly resizeHeight: number } => ({
  x: content.x - BOX_PADDING,
  y: content.y - BOX_HEADER,
  resizeWidth: Math.max(content.width, CARD_WIDTH) + 2 * BOX_PADDING,
  resizeHeight: Math.max(content.height, 40) + BOX_HEADER + BOX_PADDING
})

/** The smallest rectangle holding all of them; undefined for none. */
export const bounds = (rects: ReadonlyArray<Rect>): Rect | undefined => {
  if (rects.length === 0) return undefined
  const left = Math.min(...rects.map((r) => r.x))
  const top = Math.min(...rects.map((r) => r.y))
  const right = Math.max(...rects.map((r) => r.x + r.width))
  const bottom = Math.max(...rects.map((r) => r.y + r.height))
  return { x: left, y: top, width: right - left, height: bottom - top }
}

const finite = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined)

/** A card's rectangle; a card without a size is a point. Undefined without a position. */
export const cardRect = (card: { readonly [field: string]: unknown }): Rect | undefined => {
  const x = finite(card["x"]), y = finite(card["y"])
  if (x === undefined || y === undefined) return undefined
  return { x, y, width: Math.max(0, finite(card["width"]) ?? 0), height: Math.max(0, finite(card["height"]) ?? 0) }
}

/** A box's rectangle from its Kinopio fields; undefined without a full geometry. */
export const boxRect = (box: { readonly [field: string]: unknown }): Rect | undefined => {
  const x = finite(box["x"]), y = finite(box["y"]), width = finite(box["resizeWidth"]), height = finite(box["resizeHeight"])
  return x === undefined || y === undefined || width === undefined || height === undefined ? undefined : { x, y, width, height }
}

const inside = (a: Rect, b: Rect) => a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height

/**
 * The box a card belongs to: of the boxes wholly around it, the smallest (nested boxes: the
 * inner one), the first listed on a tie. Kinopio keeps no membership; both directions of the
 * mapping use this one rule, so a layout that survives gives the same membership back.
 */
export const innermostBox = <B extends { readonly rect: Rect }>(card: Rect, boxes: ReadonlyArray<B>): B | undefined => {
  let best: B | undefined
  for (const box of boxes) {
    if (!inside(card, box.rect)) continue
    if (best === undefined || box.rect.width * box.rect.height < best.rect.width * best.rect.height) best = box
  }
  return best
}

/** A Kinopio connection path (`m<start> q<control> <end>`, relative) from the centre of one rectangle to the other's. */
export const connectionPath = (from: Rect, to: Rect): string => {
  const x1 = Math.round(from.x + from.width / 2), y1 = Math.round(from.y + from.height / 2)
  const dx = Math.round(to.x + to.width / 2) - x1, dy = Math.round(to.y + to.height / 2) - y1
  // A card connected to itself: a small loop above it, not a path of length zero.
  if (dx === 0 && dy === 0) return `m${x1},${y1} q60,-80 0,0`
  return `m${x1},${y1} q${Math.round(dx / 2)},${Math.round(dy / 2)} ${dx},${dy}`
}
