/**
 * Infinity's documented objects as Effect Schemas. As for Kinopio, the docs' types are hints:
 * every field may be null or absent, `sort_order` is a string, a number or null, attachment ids
 * are numbers or strings, an attribute type may be one the docs do not list, and every
 * undocumented field is kept (`Rest`). The archive stores the raw JSON; these schemas check it.
 */
import { Schema } from "effect"
import { Rest, opt, Str, Bool, Arr } from "../shared/loose-schema.ts"

/** Empty settings come as `[]`, others as an object. */
const Settings = opt(Schema.Union(Rest, Schema.Array(Schema.Unknown)))
const SortOrder = opt(Schema.Union(Schema.String, Schema.Number))
const NumericId = Schema.Union(Schema.Number, Schema.String)
const StringId = Schema.String

export const User = Schema.Struct({
  id: NumericId,
  object: Str,
  name: Str,
  email: Str,
  photo_url: Str,
  created_at: Str,
  job: Str,
  location: Str,
  tagline: Str,
  preferences: Settings,
  is_developer: Bool,
  deleted: Bool
}, Rest)

export const Workspace = Schema.Struct({
  id: NumericId,
  object: Str,
  name: Str,
  photo_url: Str,
  owner_id: opt(NumericId),
  deleted: Bool
}, Rest)

export const Board = Schema.Struct({
  id: StringId,
  object: Str,
  name: Str,
  sort_order: SortOrder,
  color: Str,
  description: Str,
  og_image: Str,
  user_ids: Arr,
  deleted: Bool
}, Rest)

export const Attribute = Schema.Struct({
  id: StringId,
  object: Str,
  name: Str,
  type: Str,
  default_data: Schema.optional(Schema.Unknown),
  settings: Settings,
  created_by: opt(NumericId),
  created_at: Str,
  deleted: Bool
}, Rest)

export const Folder = Schema.Struct({
  id: StringId,
  object: Str,
  name: Str,
  sort_order: SortOrder,
  color: Str,
  settings: Settings,
  attribute_ids: Arr,
  parent_id: Str,
  deleted: Bool
}, Rest)

export const View = Schema.Struct({
  id: StringId,
  object: Str,
  folder_id: Str,
  name: Str,
  type: Str,
  sort_order: SortOrder,
  settings: Settings,
  created_by: opt(NumericId),
  created_at: Str,
  deleted: Bool
}, Rest)

export const Value = Schema.Struct({
  id: StringId,
  object: Str,
  data: Schema.optional(Schema.Unknown),
  attribute_id: Str,
  item_id: Str,
  attribute: opt(Rest),
  deleted: Bool
}, Rest)

export const Item = Schema.Struct({
  id: StringId,
  object: Str,
  folder_id: Str,
  parent_id: Str,
  created_at: Str,
  sort_order: SortOrder,
  values: opt(Schema.Array(Value)),
  deleted: Bool
}, Rest)

export const Comment = Schema.Struct({
  id: StringId,
  object: Str,
  parent_id: Str,
  text: Str,
  created_at: Str,
  created_by: opt(Schema.Union(NumericId, Rest)),
  deleted: Bool
}, Rest)

export const Reference = Schema.Struct({
  id: StringId,
  object: Str,
  attribute_id: Str,
  from_item_id: Str,
  to_item_id: Str
}, Rest)

export const Hook = Schema.Struct({
  id: StringId,
  object: Str,
  url: Str,
  user_id: opt(NumericId),
  board_id: Str,
  secret: Str,
  events: Arr,
  logs: Arr,
  created_at: Str,
  deleted: Bool
}, Rest)

export const Attachment = Schema.Struct({
  id: NumericId,
  link: Str,
  path: Str,
  original_name: Str,
  filesize: opt(Schema.Number),
  thumb: Str,
  created_at: Str,
  updated_at: Str,
  team_id: opt(NumericId),
  deleted_at: Str,
  checked_at: Str,
  extension: Str,
  basename: Str,
  filename: Str
}, Rest)

/** The cursor envelope of every list. */
export const Page = Schema.Struct({
  has_more: Schema.Boolean,
  before: Schema.optional(Schema.NullOr(Schema.String)),
  after: Schema.optional(Schema.NullOr(Schema.String)),
  data: Schema.Array(Schema.Unknown)
}, Rest)
