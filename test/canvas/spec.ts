/**
 * JSON Canvas 1.0 written down again from the spec (jsoncanvas.org/spec/1.0, and
 * shared/api/json-canvas.md), independently of src/canvas/schema.ts: a test that checked the
 * exporter against its own schema would prove nothing. Strict where Ferry must be strict
 * (integers, `#RRGGBB`, unique ids, edges between existing nodes, groups beneath what they hold).
 */
import { Either, ParseResult, Schema } from "effect"

const Int = Schema.Number.pipe(Schema.filter((n) => Number.isSafeInteger(n) || `${n} is not an integer`))
const Color = Schema.Union(
  Schema.String.pipe(Schema.pattern(/^#[0-9A-Fa-f]{6}$/)),
  Schema.Literal("1", "2", "3", "4", "5", "6")
)
const Side = Schema.Literal("top", "right", "bottom", "left")
const End = Schema.Literal("none", "arrow")

const node = {
  id: Schema.String.pipe(Schema.minLength(1)),
  x: Int,
  y: Int,
  width: Int,
  height: Int,
  color: Schema.optional(Color)
}
const Node = Schema.Union(
  Schema.Struct({ ...node, type: Schema.Literal("text"), text: Schema.String }),
  Schema.Struct({
    ...node,
    type: Schema.Literal("file"),
    file: Schema.String,
    subpath: Schema.optional(Schema.String.pipe(Schema.pattern(/^#/)))
  }),
  Schema.Struct({ ...node, type: Schema.Literal("link"), url: Schema.String }),
  Schema.Struct({
    ...node,
    type: Schema.Literal("group"),
    label: Schema.optional(Schema.String),
    background: Schema.optional(Schema.String),
    backgroundStyle: Schema.optional(Schema.Literal("cover", "ratio", "repeat"))
  })
)
const Edge = Schema.Struct({
  id: Schema.String.pipe(Schema.minLength(1)),
  fromNode: Schema.String,
  fromSide: Schema.optional(Side),
  fromEnd: Schema.optional(End),
  toNode: Schema.String,
  toSide: Schema.optional(Side),
  toEnd: Schema.optional(End),
  color: Schema.optional(Color),
  label: Schema.optional(Schema.String)
})

type Rect = { readonly x: number; readonly y: number; readonly width: number; readonly height: number }
const contains = (outer: Rect, inner: Rect) =>
  outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.width >= inner.x + inner.width && outer.y + outer.height >= inner.y + inner.height

const SpecCanvas = Schema.Struct({
  nodes: Schema.optional(Schema.Array(Node)),
  edges: Schema.optional(Schema.Array(Edge))
}).pipe(Schema.filter((canvas) => {
  const nodes = canvas.nodes ?? []
  const edges = canvas.edges ?? []
  const problems: Array<string> = []
  const ids = new Set<string>()
  for (const item of [...nodes, ...edges]) {
    if (ids.has(item.id)) problems.push(`id ${JSON.stringify(item.id)} is not unique among nodes and edges`)
    ids.add(item.id)
  }
  const nodeIds = new Set(nodes.map((n) => n.id))
  for (const e of edges) {
    for (const end of [e.fromNode, e.toNode]) if (!nodeIds.has(end)) problems.push(`edge ${e.id} names node ${JSON.stringify(end)}, which does not exist`)
  }
  // z-order: the first node is drawn lowest, so a group comes before every node inside it
  // (two groups with the very same box contain each other: either order is fine).
  nodes.forEach((group, i) => {
    if (group.type !== "group") return
    nodes.forEach((other, j) => {
      if (j >= i || !contains(group, other)) return
      if (other.type === "group" && contains(other, group)) return
      problems.push(`group ${group.id} (nodes[${i}]) comes after nodes[${j}] (${other.id}), which it contains`)
    })
  })
  for (const n of nodes) if (n.width < 0 || n.height < 0) problems.push(`node ${n.id} has a negative size`)
  return problems.length === 0 ? true : problems.join("; ")
}))

/** Every way `value` breaks JSON Canvas 1.0 (empty when it is a valid canvas). */
export const specProblems = (value: unknown): ReadonlyArray<string> =>
  Either.match(Schema.decodeUnknownEither(SpecCanvas, { errors: "all", onExcessProperty: "ignore" })(value), {
    onLeft: (e) => ParseResult.ArrayFormatter.formatErrorSync(e).map((i) => `${i.path.join(".")}: ${i.message}`),
    onRight: () => []
  })
