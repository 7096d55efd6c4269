/**
 * One readable Markdown document per space: what a person would want if Kinopio vanished.
 * Cards are grouped by the box they sit in and read top to bottom, left to right; card text is
 * already Markdown, so it is kept as written (checkboxes become task-list items).
 */
import type { Entity } from "../connector.ts"
import { num, pushTo, str } from "../shared/entity.ts"

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim()

interface Box {
  readonly id: string
  readonly name: string
  readonly x: number
  readonly y: number
  readonly w: number
  readonly h: number
}

const boxesOf = (space: Entity): ReadonlyArray<Box> => {
  const raw = space["boxes"]
  if (!Array.isArray(raw)) return []
  return raw.flatMap((b: unknown): Array<Box> => {
    if (typeof b !== "object" || b === null) return []
    const o = b as Entity
    const x = num(o["x"]), y = num(o["y"]), w = num(o["resizeWidth"]) ?? num(o["width"]), h = num(o["resizeHeight"]) ?? num(o["height"])
    if (x === undefined || y === undefined || w === undefined || h === undefined) return []
    return [{ id: str(o["id"]) ?? "", name: oneLine(str(o["name"]) ?? "") || "Untitled box", x, y, w, h }]
  })
}

// The smallest box containing the card's top-left corner: boxes nest.
const boxFor = (card: Entity, boxes: ReadonlyArray<Box>): Box | undefined => {
  const x = num(card["x"]), y = num(card["y"])
  if (x === undefined || y === undefined) return undefined
  let best: Box | undefined
  for (const b of boxes) {
    if (x >= b.x && x <= b.x + b.w && y >= b.y && y <= b.y + b.h && (best === undefined || b.w * b.h < best.w * best.h)) best = b
  }
  return best
}

const readingOrder = (a: Entity, b: Entity) =>
  (num(a["y"]) ?? 0) - (num(b["y"]) ?? 0) || (num(a["x"]) ?? 0) - (num(b["x"]) ?? 0)

const cardText = (card: Entity): string => {
  const name = str(card["name"]) ?? ""
  const checkbox = /^\[(x|X| )?\]\s?/.exec(name)
  if (checkbox !== null) return `- [${checkbox[1]?.toLowerCase() === "x" ? "x" : " "}] ${name.slice(checkbox[0].length)}`
  return name.trim() === "" ? "*(empty card)*" : name
}

export interface SpaceDocument {
  readonly space: Entity
  readonly cards: ReadonlyArray<Entity>
  readonly connections: ReadonlyArray<Entity>
  readonly connectionTypes: ReadonlyArray<Entity>
}

export const renderSpace = ({ cards, connectionTypes, connections, space }: SpaceDocument): string => {
  const out: Array<string> = []
  const title = oneLine(str(space["name"]) ?? "") || "Untitled space"
  out.push(`# ${title}`, "")
  const facts = [
    `privacy: ${str(space["privacy"]) ?? "unknown"}`,
    space["isRemoved"] === true ? "removed" : undefined,
    `${cards.length} card${cards.length === 1 ? "" : "s"}`,
    str(space["createdAt"]) === undefined ? undefined : `created ${str(space["createdAt"])}`,
    str(space["updatedAt"]) === undefined ? undefined : `updated ${str(space["updatedAt"])}`,
    `id ${str(space["id"]) ?? ""}`
  ].filter((f): f is string => f !== undefined)
  out.push(`*${facts.join(" · ")}*`, "")

  const live = cards.filter((c) => c["isRemoved"] !== true)
  const boxes = boxesOf(space)
  const groups = new Map<Box | undefined, Array<Entity>>()
  for (const card of [...live].sort(readingOrder)) {
    const box = boxFor(card, boxes)
    pushTo(groups, box, card)
  }
  const sections = [...groups.entries()].sort(([a], [b]) => (a?.y ?? -Infinity) - (b?.y ?? -Infinity) || (a?.x ?? 0) - (b?.x ?? 0))
  for (const [box, inBox] of sections) {
    if (box !== undefined) out.push(`## ${box.name}`, "")
    else if (boxes.length > 0) out.push("## Outside boxes", "")
    for (const card of inBox) out.push(cardText(card), "")
  }

  if (connections.length > 0) {
    const names = new Map(cards.map((c) => [str(c["id"]), oneLine(str(c["name"]) ?? "")]))
    for (const b of boxes) names.set(b.id, b.name)
    const types = new Map(connectionTypes.map((t) => [str(t["id"]), oneLine(str(t["name"]) ?? "")]))
    out.push("## Connections", "")
    for (const c of connections) {
      const from = str(c["startCardId"]) ?? str(c["startItemId"])
      const to = str(c["endCardId"]) ?? str(c["endItemId"])
      const label = oneLine(str(c["name"]) ?? "") || types.get(str(c["connectionTypeId"])) || ""
      const end = (id: string | undefined) => `“${clip(names.get(id) ?? id ?? "?")}”`
      out.push(`- ${end(from)} → ${end(to)}${label === "" ? "" : ` (${label})`}`)
    }
    out.push("")
  }
  return out.join("\n")
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 79)}…` : s)
