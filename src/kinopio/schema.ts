/**
 * Kinopio's documented entities as Effect Schemas. The docs' types are hints, not promises
 * (contract: "Decoding is tolerant"): every field may be null or absent, positions may be
 * fractional, and every undocumented field is kept (`Rest`). The archive stores the raw JSON;
 * these schemas check it and give typed access to the few fields Ferry reads.
 */
import { Schema } from "effect"
import { Rest, opt, Str, Bool, Num, Arr, Obj } from "../shared/loose-schema.ts"


export const SpaceId = Schema.String.pipe(Schema.minLength(1), Schema.brand("kinopio/SpaceId"))
export type SpaceId = typeof SpaceId.Type

export const User = Schema.Struct({
  id: Schema.String,
  name: Str,
  email: Str,
  emailIsVerified: Bool,
  apiKey: Str,
  lastSpaceId: Str,
  color: Str,
  description: Str,
  website: Str,
  lastReadNewStuffId: Str,
  cardsCreatedCount: Num,
  isUpgraded: Bool,
  filterShowUsers: Bool,
  filterShowDateUpdated: Bool,
  filterShowAbsoluteDates: Bool,
  journalPrompts: Arr,
  newSpacesAreBlank: Bool,
  shouldEmailNotifications: Bool,
  shouldEmailBulletin: Bool,
  shouldShowMoreAlignOptions: Bool,
  shouldInvertZoomDirection: Bool,
  shouldUseLastConnectionType: Bool,
  shouldShowCardCollaborationInfo: Bool,
  dialogFavoritesFilters: Str,
  dialogSpaceFilters: Str
}, Rest)

export const Card = Schema.Struct({
  id: Schema.String,
  name: Str,
  x: Num,
  y: Num,
  z: Num,
  width: Num,
  height: Num,
  frameId: opt(Schema.Union(Schema.String, Schema.Number)),
  isRemoved: Bool,
  spaceId: Str,
  nameUpdatedByUserId: Str,
  nameUpdatedAt: Str,
  linkToSpaceId: Str,
  commentIsVisible: Bool,
  urlPreviewIsVisible: Bool,
  urlPreviewUrl: Str,
  urlPreviewImage: Str,
  urlPreviewFavicon: Str,
  urlPreviewTitle: Str,
  urlPreviewDescription: Str,
  urlPreviewErrorUrl: Str
}, Rest)
export type Card = typeof Card.Type

/** Both generations: startCardId/endCardId + connectionTypeId (documented) or startItemId/endItemId (current). */
export const Connection = Schema.Struct({
  id: Schema.String,
  startCardId: Str,
  endCardId: Str,
  startItemId: Str,
  endItemId: Str,
  path: Str,
  connectionTypeId: Str,
  spaceId: Str,
  name: Str,
  color: Str
}, Rest)
export type Connection = typeof Connection.Type

export const ConnectionType = Schema.Struct({
  id: Schema.String,
  name: Str,
  color: Str,
  spaceId: Str
}, Rest)
export type ConnectionType = typeof ConnectionType.Type

export const Tag = Schema.Struct({
  id: Schema.String,
  name: Str,
  color: Str,
  cardId: Str,
  spaceId: Str
}, Rest)

export const Notification = Schema.Struct({
  id: Schema.String,
  type: Str,
  recipientUserId: Str,
  cardId: Str,
  card: Obj,
  spaceId: Str,
  space: Obj,
  userId: Str,
  user: Obj,
  isRead: Bool,
  isEmailed: Bool
}, Rest)

export const Privacy = Schema.String // open | closed | private, kept as sent when it is something else

/** A space as `/user/spaces` lists it, or in full from `/space/:id` with its child collections. */
export const Space = Schema.Struct({
  id: Schema.String,
  name: Str,
  url: Str,
  ownerUserId: Str,
  privacy: opt(Privacy),
  isRemoved: Bool,
  removedByUserId: Str,
  collaboratorKey: Str,
  users: Arr,
  collaborators: Arr,
  cards: Arr,
  connections: Arr,
  connectionTypes: Arr,
  tags: Arr,
  moonPhase: Str,
  showInExplore: Bool,
  originSpaceId: Str,
  editedAt: Str,
  editedByUserId: Str,
  createdAt: Str,
  updatedAt: Str,
  background: Str,
  backgroundTint: Str,
  // undocumented collections a backup must keep: checked for shape only
  boxes: Arr,
  lists: Arr,
  lines: Arr,
  drawingStrokes: Arr
}, Rest)
export type Space = typeof Space.Type

/** The child collections that leave a space's record for their own data files. */
export const spaceChildren = {
  cards: "cards",
  connections: "connections",
  connectionTypes: "connectionTypes",
  tags: "tags"
} as const
