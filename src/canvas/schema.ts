/**
 * JSON Canvas 1.0 (jsoncanvas.org/spec/1.0), as Ferry writes it: the exporter's output type and
 * a strict schema of the spec. Reading someone else's canvas is tolerant and lives in
 * import.ts, which needs to say exactly where a file went wrong rather than just "invalid".
 */
import { Schema } from "effect"

/** A hex colour (`#RRGGBB`, the only hex form Ferry writes) or one of the six presets. */
export const CanvasColor = Schema.Union(
  Schema.String.pipe(Schema.pattern(/^#[0-9a-fA-F]{6}$/)),
  Schema.Literal("1", "2", "3", "4", "5", "6")
)
export type CanvasColor = typeof CanvasColor.Type

export const Side = Schema.Literal("top", "right", "bottom", "left")
export type Side = typeof Side.Type
export const End = Schema.Literal("none", "arrow")
export type End = typeof End.Type
export const BackgroundStyle = Schema.Literal("cover", "ratio", "repeat")
export type BackgroundStyle = typeof BackgroundStyle.Type

const generic = {
  id: Schema.String,
  x: Schema.Int,
  y: Schema.Int,
  width: Schema.Int,
  height: Schema.Int,
  color: Schema.optional(CanvasColor)
}

export const TextNode = Schema.Struct({ ...generic, type: Schema.Literal("text"), text: Schema.String })
export const FileNode = Schema.Struct({
  ...generic,
  type: Schema.Literal("file"),
  file: Schema.String,
  subpath: Schema.optional(Schema.String.pipe(Schema.startsWith("#")))
})
export const LinkNode = Schema.Struct({ ...generic, type: Schema.Literal("link"), url: Schema.String })
export const GroupNode = Schema.Struct({
  ...generic,
  type: Schema.Literal("group"),
  label: Schema.optional(Schema.String),
  background: Schema.optional(Schema.String),
  backgroundStyle: Schema.optional(BackgroundStyle)
})
export const CanvasNode = Schema.Union(TextNode, FileNode, LinkNode, GroupNode)
export type TextNode = typeof TextNode.Type
export type FileNode = typeof FileNode.Type
export type LinkNode = typeof LinkNode.Type
export type GroupNode = typeof GroupNode.Type
export type CanvasNode = typeof CanvasNode.Type

export const CanvasEdge = Schema.Struct({
  id: Schema.String,
  fromNode: Schema.String,
  fromSide: Schema.optional(Side),
  fromEnd: Schema.optional(End),
  toNode: Schema.String,
  toSide: Schema.optional(Side),
  toEnd: Schema.optional(End),
  color: Schema.optional(CanvasColor),
  label: Schema.optional(Schema.String)
})
export type CanvasEdge = typeof CanvasEdge.Type

/**
 * Ferry's one extra top-level key: the space exactly as archived, so that a canvas that comes
 * back through Ferry loses nothing. Readers ignore keys the spec does not name.
 */
export const FERRY_KEY = "ferry"
export const FERRY_VERSION = 1

export interface FerryExtra {
  readonly version: typeof FERRY_VERSION
  readonly service: "kinopio"
  /** The space record as in `spaces.jsonl` (boxes, lists, lines, drawingStrokes...). */
  readonly space: Readonly<Record<string, unknown>>
  readonly cards: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly connections: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly connectionTypes: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly tags: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly removedCards: ReadonlyArray<Readonly<Record<string, unknown>>>
}

/** A canvas as Ferry writes it: both arrays always present, nodes in z-order. */
export interface Canvas {
  readonly nodes: ReadonlyArray<CanvasNode>
  readonly edges: ReadonlyArray<CanvasEdge>
  readonly ferry?: FerryExtra
}

export const CanvasFile = Schema.Struct({
  nodes: Schema.optional(Schema.Array(CanvasNode)),
  edges: Schema.optional(Schema.Array(CanvasEdge))
})
