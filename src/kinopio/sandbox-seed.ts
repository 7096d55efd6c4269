/**
 * Seed data for the Kinopio sandbox. A seed is plain data in the shapes the real service
 * stores: every entity carries the documented fields plus the undocumented ones real accounts
 * hold (kinopio-in-practice.md), so a backup that drops a field shows up in tests.
 *
 * Every seed has the same three accounts: `main` (the account under test), `target` (no spaces,
 * a restore destination) and `other` (owns a space `main` collaborates on, and one `main`
 * cannot see). All builders are deterministic: the same call gives the same ids and dates.
 */
import { hash, prng } from "../sandbox/deterministic.ts"

/** One stored entity, exactly as the service would keep it. */
export type SeedEntity = Readonly<Record<string, unknown>>

export interface SeedFavorites {
  readonly userId: string
  readonly favoriteUserIds: ReadonlyArray<string>
  /** `isEdited`: the favorited space has updates the user has not seen. */
  readonly favoriteSpaces: ReadonlyArray<{ readonly spaceId: string; readonly isEdited: boolean }>
  readonly favoriteColors: ReadonlyArray<string>
}

export interface KinopioSeed {
  /** User ids of the three accounts every seed has. */
  readonly accounts: { readonly main: string; readonly target: string; readonly other: string }
  /** Full user records, each with its `apiKey`. */
  readonly users: ReadonlyArray<SeedEntity>
  /** Stored space fields (with `ownerUserId`, `boxes`, `lists`, `lines`, `drawingStrokes`...), no child collections. */
  readonly spaces: ReadonlyArray<SeedEntity>
  readonly collaborators: ReadonlyArray<{ readonly spaceId: string; readonly userId: string }>
  readonly cards: ReadonlyArray<SeedEntity>
  readonly connections: ReadonlyArray<SeedEntity>
  readonly connectionTypes: ReadonlyArray<SeedEntity>
  readonly tags: ReadonlyArray<SeedEntity>
  readonly notifications: ReadonlyArray<SeedEntity>
  readonly favorites: ReadonlyArray<SeedFavorites>
  /** Soft-removed cards that `GET /space/:id` still lists inline (`isRemoved: true`), as the real service sometimes does. */
  readonly inlineRemovedCardIds: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------------------------
// Deterministic ids and randomness

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


const fill = (random: () => number, length: number) => {
  let out = ""
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * 64)]
  return out
}

/** A 21-character nanoid-shaped id that starts with a readable label (tests can tell ids apart). */
const nid = (label: string) => (label + fill(prng(hash(label)), 21)).slice(0, 21)

/** A UUID-shaped string derived from a label (apiKeys, collaborator keys). */
const uuidFrom = (label: string) => {
  const random = prng(hash(`uuid:${label}`))
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

const slug = (name: string) =>
  name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60)

/** The space url format of the docs: `:space-name-:id`. */
export const spaceUrl = (name: string, id: string) => (slug(name) === "" ? id : `${slug(name)}-${id}`)

const TAG = /\[\[([^[\]]+?)\]\]/g

/** The distinct `[[tag]]` names in a card name, in order of appearance. */
export const tagNamesIn = (name: string): ReadonlyArray<string> => [
  ...new Set(Array.from(name.matchAll(TAG), (m) => m[1] ?? "").filter((t) => t.trim() !== ""))
]

const TAG_COLORS = ["#a5d6a7", "#ffcc80", "#90caf9", "#f48fb1", "rgb(206, 147, 216)", "#fff59d"] as const
/** The colour a tag gets when no tag of that name exists yet. */
export const defaultTagColor = (name: string): string => TAG_COLORS[hash(name) % TAG_COLORS.length] ?? "#a5d6a7"

// ---------------------------------------------------------------------------------------------
// The three accounts

/** Ids of the demo seed's entities, so tests can name them. */
export const demoIds = {
  users: { main: nid("usrMain"), target: nid("usrTarget"), other: nid("usrOther") },
  spaces: {
    open: nid("spOpen"),
    closed: nid("spClosed"),
    private: nid("spPrivate"),
    emptyName: nid("spEmptyName"),
    longName: nid("spLongName"),
    collab: nid("spCollab"), // owned by other; main collaborates
    otherPrivate: nid("spOtherPriv"), // owned by other; main cannot see it
    otherOpen: nid("spOtherOpen"), // owned by other; anyone can see it
    removed: nid("spRemoved") // main's, soft-removed by main
  },
  cards: {
    welcome: nid("cdWelcome"),
    todoDone: nid("cdTodoDone"),
    todoOpen: nid("cdTodoOpen"),
    markdown: nid("cdMarkdown"),
    code: nid("cdCode"),
    comment: nid("cdComment"),
    linkSpace: nid("cdLinkSpace"),
    linkCard: nid("cdLinkCard"),
    collabKey: nid("cdCollabKey"),
    long: nid("cdLong"),
    emoji: nid("cdEmoji"),
    preview: nid("cdPreview"),
    listItem: nid("cdListItem"),
    counter: nid("cdCounter"),
    dateMention: nid("cdDate"),
    byOther: nid("cdByOther"),
    removedInline: nid("cdRemovedInl"),
    removed: nid("cdRemoved"),
    privateRemoved: nid("cdPrivRemoved"),
    collabRemoved: nid("cdCollabRemoved")
  },
  connectionTypes: { leadsTo: nid("ctLeadsTo"), dependsOn: nid("ctDependsOn") },
  connections: { legacy: nid("cnLegacy1"), toBox: nid("cnToBox") },
  boxes: { ideas: nid("bxIdeas"), privateBox: nid("bxPrivate") }
} as const

const keys = {
  main: uuidFrom("main"),
  target: uuidFrom("target"),
  other: uuidFrom("other")
}

const user = (id: string, fields: Record<string, unknown>): SeedEntity => ({
  id,
  email: null,
  emailIsVerified: true,
  lastSpaceId: null,
  description: "",
  website: "",
  lastReadNewStuffId: null,
  cardsCreatedCount: 0,
  isUpgraded: false,
  filterShowUsers: false,
  filterShowDateUpdated: false,
  filterShowAbsoluteDates: false,
  journalPrompts: [],
  newSpacesAreBlank: false,
  shouldEmailNotifications: true,
  shouldEmailBulletin: true,
  shouldShowMoreAlignOptions: true,
  shouldInvertZoomDirection: false,
  shouldUseLastConnectionType: true,
  shouldShowCardCollaborationInfo: false,
  dialogFavoritesFilters: null,
  dialogSpaceFilters: null,
  createdAt: "2021-03-04T10:00:00.000Z",
  updatedAt: "2025-01-15T09:30:00.000Z",
  ...fields
})

const accountUsers = (): ReadonlyArray<SeedEntity> => [
  user(demoIds.users.main, {
    name: "zoë-åkesson-🌱",
    email: "zoe@example.com",
    apiKey: keys.main,
    color: "#c9a6ff",
    description: "Gardener of *ideas* — ünïcödé & emoji 🪴",
    website: "not a url, really",
    lastSpaceId: demoIds.spaces.open,
    cardsCreatedCount: 142,
    isUpgraded: true,
    filterShowUsers: true,
    journalPrompts: [
      { id: nid("jpMorning"), name: "What made you smile?", packId: null },
      { id: nid("jpEvening"), name: "One thing learned", packId: "pack-1" }
    ],
    dialogFavoritesFilters: "currentUser",
    dialogSpaceFilters: "journals",
    // undocumented fields real accounts carry
    theme: "dark",
    prevHeaderFontId: 2,
    defaultCardBackgroundColor: "rgb(255, 244, 214)",
    outsideSpaceBackgroundColor: null,
    shouldPauseConnectionDirections: false,
    panSpeedIsFast: true,
    AIImages: [],
    appleAppAccountToken: uuidFrom("apple"),
    weather: { location: "Göteborg", unitIsCelcius: true }
  }),
  user(demoIds.users.target, {
    name: "ferry-target",
    email: "target@example.com",
    apiKey: keys.target,
    color: "#80deea",
    createdAt: "2024-11-02T08:00:00.000Z",
    updatedAt: "2024-11-02T08:00:00.000Z"
  }),
  user(demoIds.users.other, {
    name: "other-ōtter",
    email: "otter@example.com",
    apiKey: keys.other,
    color: "rgb(255, 138, 101)",
    description: "Collaborator",
    createdAt: "2022-06-01T12:00:00.000Z",
    theme: "light"
  })
]

const accounts = { main: demoIds.users.main, target: demoIds.users.target, other: demoIds.users.other }

/** Tags consistent with the cards' names: one entity per tag name per card. */
const tagsFor = (cards: ReadonlyArray<SeedEntity>): ReadonlyArray<SeedEntity> =>
  cards.flatMap((card) =>
    tagNamesIn(String(card["name"] ?? "")).map((name) => ({
      id: nid(`tg${hash(`${String(card["id"])}/${name}`).toString(36)}`),
      name,
      color: defaultTagColor(name),
      cardId: card["id"],
      spaceId: card["spaceId"],
      userId: card["userId"],
      createdAt: card["createdAt"],
      updatedAt: card["updatedAt"]
    }))
  )

/** A seed with the three accounts and nothing else. */
export const emptySeed = (): KinopioSeed => ({
  accounts,
  users: accountUsers(),
  spaces: [],
  collaborators: [],
  cards: [],
  connections: [],
  connectionTypes: [],
  tags: [],
  notifications: [],
  favorites: [],
  inlineRemovedCardIds: []
})

// ---------------------------------------------------------------------------------------------
// The demo seed: small, realistic and hostile

const S = demoIds.spaces
const C = demoIds.cards
const U = demoIds.users

const space = (id: string, name: string, owner: string, fields: Record<string, unknown>): SeedEntity => ({
  id,
  name,
  url: spaceUrl(name, id),
  ownerUserId: owner,
  userId: owner,
  privacy: "private",
  isRemoved: false,
  collaboratorKey: uuidFrom(`collab:${id}`),
  readOnlyKey: uuidFrom(`readonly:${id}`),
  showInExplore: false,
  isTemplate: false,
  isHidden: false,
  moonPhase: null,
  background: null,
  backgroundTint: null,
  backgroundIsGradient: false,
  backgroundGradient: null,
  drawingImage: null,
  previewImage: `https://cdn.example.com/previews/${id}.jpg`,
  previewThumbnailImage: `https://cdn.example.com/previews/${id}-thumb.jpg`,
  note: null,
  groupId: null,
  originSpaceId: null,
  updateHash: `h${hash(id).toString(16)}`,
  visits: 3,
  editedByUserId: owner,
  boxes: [],
  lists: [],
  lines: [],
  drawingStrokes: [],
  createdAt: "2023-01-10T09:00:00.000Z",
  updatedAt: "2025-02-01T10:00:00.000Z",
  editedAt: "2025-02-01T10:00:00.000Z",
  ...fields
})

/** A card maker whose dates and positions vary with the order cards are made in. */
const cardMaker = () => {
  let order = 0
  return (id: string, spaceId: string, name: string, fields: Record<string, unknown> = {}): SeedEntity => {
    const n = order++
    const created = new Date(Date.UTC(2024, 0, 1 + n, 8 + (n % 10), (n * 7) % 60)).toISOString()
    const updated = new Date(Date.UTC(2024, 6, 1 + n, 12, (n * 13) % 60, n % 60)).toISOString()
    return {
      id,
      spaceId,
      userId: U.main,
      name,
      x: 100 + 40 * (n % 8),
      y: 80 + 60 * Math.floor(n / 8),
      z: n,
      width: 235,
      height: 80,
      frameId: null,
      isRemoved: false,
      nameUpdatedByUserId: U.main,
      nameUpdatedAt: updated,
      linkToSpaceId: null,
      commentIsVisible: false,
      urlPreviewIsVisible: false,
      urlPreviewUrl: null,
      urlPreviewImage: null,
      urlPreviewFavicon: null,
      urlPreviewTitle: null,
      urlPreviewDescription: null,
      urlPreviewErrorUrl: null,
      backgroundColor: null,
      tilt: 0,
      isLocked: false,
      createdAt: created,
      updatedAt: updated,
      ...fields
    }
  }
}

const box = (id: string, spaceId: string, name: string, fields: Record<string, unknown> = {}) => ({
  id,
  spaceId,
  userId: U.main,
  name,
  x: 60,
  y: 40.5,
  z: 0,
  resizeWidth: 520,
  resizeHeight: 360.25,
  color: "#e0f7fa",
  fill: "filled",
  background: null,
  backgroundIsStretch: false,
  headerFontId: 0,
  headerFontSize: "m",
  infoWidth: 120,
  infoHeight: 32,
  isLocked: false,
  isTodo: false,
  createdAt: "2024-02-01T10:00:00.000Z",
  updatedAt: "2024-08-01T10:00:00.000Z",
  ...fields
})

const LONG_SPACE_NAME = ("A very long space name that keeps going — ünïcödé 🚀 ").repeat(6).slice(0, 300)
const LONG_CARD_NAME = (
  "# A 4,000 character card\n\n" +
  "Paragraph with **bold**, *italics*, `code`, a [link](https://example.com/?q=a&b=c) and [[long-tag]]. ".repeat(60)
).slice(0, 3_990) + " end ✅ ok!" // exactly 4,000 UTF-16 units

/** A realistic, hostile account: markdown, hostile names, both connection generations, secrets, removals. */
export const demoSeed = (): KinopioSeed => {
  const card = cardMaker()
  const users = accountUsers()

  const spaces: ReadonlyArray<SeedEntity> = [
    space(S.open, "🌱 Garden notes — *open* **space**", U.main, {
      privacy: "open",
      showInExplore: true,
      moonPhase: null,
      background: "https://cdn.example.com/backgrounds/paper.png",
      backgroundTint: "#fff8e1",
      note: "Space note with **markdown** and [[not-a-tag-here]]",
      visits: 128,
      createdAt: "2022-04-01T08:00:00.000Z",
      updatedAt: "2025-03-03T18:45:12.345Z",
      editedAt: "2025-03-03T18:40:00.000Z",
      boxes: [
        box(demoIds.boxes.ideas, S.open, "Ideas 💡", { color: "rgb(224, 247, 250)", fill: "empty", isTodo: true })
      ],
      lists: [{
        id: nid("lsGarden"),
        spaceId: S.open,
        userId: U.main,
        name: "Garden list",
        color: "#ffe0b2",
        x: 900,
        y: 120.75,
        z: 3,
        resizeWidth: 250,
        height: 400,
        frameId: null,
        isCollapsed: false,
        createdAt: "2024-03-01T10:00:00.000Z",
        updatedAt: "2024-09-01T10:00:00.000Z"
      }],
      lines: [{
        id: nid("lnDivider"),
        spaceId: S.open,
        userId: U.main,
        name: "— below the fold —",
        y: 700,
        color: "#9e9e9e",
        createdAt: "2024-03-02T10:00:00.000Z",
        updatedAt: "2024-03-02T10:00:00.000Z"
      }],
      drawingStrokes: [
        [
          { id: nid("dsA1"), x: 10, y: 10, color: "#ff5252", diameter: 4, userId: U.main },
          { id: nid("dsA2"), x: 30.5, y: 22.25, color: "#ff5252", diameter: 4, userId: U.main }
        ],
        [{ id: nid("dsB1"), x: 400, y: 300, color: "rgb(0, 0, 0)", diameter: 10, userId: U.main }]
      ]
    }),
    space(S.closed, "../../etc/passwd", U.main, {
      privacy: "closed",
      background: null,
      backgroundTint: "rgb(232, 245, 233)",
      createdAt: "2023-05-05T05:05:05.000Z",
      updatedAt: "2024-12-24T23:59:59.999Z",
      editedAt: "2024-12-24T23:00:00.000Z",
      visits: 7
    }),
    space(S.private, "a/b\\c:d*?", U.main, {
      privacy: "private",
      moonPhase: "waxing-gibbous",
      isTemplate: true,
      createdAt: "2023-08-08T08:08:08.000Z",
      updatedAt: "2025-01-20T07:00:00.000Z",
      editedAt: "2025-01-20T07:00:00.000Z",
      boxes: [box(demoIds.boxes.privateBox, S.private, "Box a connection ends at", { color: null })]
    }),
    space(S.emptyName, "", U.main, {
      privacy: "private",
      createdAt: "2024-02-29T12:00:00.000Z",
      updatedAt: "2024-03-01T12:00:00.000Z",
      editedAt: "2024-03-01T12:00:00.000Z"
    }),
    space(S.longName, LONG_SPACE_NAME, U.main, {
      privacy: "open",
      createdAt: "2021-11-11T11:11:11.000Z",
      updatedAt: "2023-11-11T11:11:11.000Z",
      editedAt: "2023-11-11T11:11:11.000Z"
    }),
    space(S.collab, "Shared: 日本語の計画 📅 > plans", U.other, {
      privacy: "private",
      createdAt: "2023-02-14T14:00:00.000Z",
      updatedAt: "2025-02-28T16:20:00.000Z",
      editedAt: "2025-02-28T16:20:00.000Z",
      editedByUserId: U.main
    }),
    space(S.otherPrivate, "Other's diary (private)", U.other, {
      privacy: "private",
      createdAt: "2022-07-07T07:07:07.000Z",
      updatedAt: "2024-07-07T07:07:07.000Z"
    }),
    space(S.otherOpen, "Other's open notebook", U.other, {
      privacy: "open",
      showInExplore: true,
      createdAt: "2022-09-09T09:09:09.000Z",
      updatedAt: "2025-03-01T09:00:00.000Z"
    }),
    space(S.removed, "Old journal 🌘", U.main, {
      privacy: "private",
      isRemoved: true,
      removedByUserId: U.main,
      moonPhase: "waning-crescent",
      createdAt: "2021-12-01T07:00:00.000Z",
      updatedAt: "2024-10-10T10:10:10.000Z",
      editedAt: "2022-01-01T07:00:00.000Z"
    })
  ]

  const closedCollaboratorKey = (spaces.find((s) => s["id"] === S.closed)?.["collaboratorKey"]) ?? null

  const cards: ReadonlyArray<SeedEntity> = [
    // the open space: every kind of card text
    card(C.welcome, S.open, "# Welcome to the garden 🌻", {
      x: 120.5,
      y: 80.25,
      headerFontId: 1,
      headerFontSize: "l",
      backgroundColor: "#e3f2fd",
      tilt: -2.5,
      resizeWidth: 320
    }),
    card(C.todoDone, S.open, "[x] done: water the tomatoes", { isTodo: true, color: "rgb(200, 230, 201)" }),
    card(C.todoOpen, S.open, "[] todo: buy [[seeds]] and [[compost]]", { isTodo: true }),
    card(C.markdown, S.open, "## Markdown\n> a quote\n**bold**, *italic*, ~~struck~~ and `inline code`", {
      maxWidth: 400,
      backgroundColor: "rgb(255, 243, 224)"
    }),
    card(C.code, S.open, "```js\nconst garden = [\"🍅\", \"🥕\"] // a code block\n```", { codeBlockLanguage: "js" }),
    card(C.comment, S.open, "((a quiet comment about [[seeds]]))", { isComment: true, commentIsVisible: false }),
    card(C.linkSpace, S.open, `Plans live in https://kinopio.club/${spaceUrl("Shared", S.collab)}`, {
      linkToSpaceId: S.collab
    }),
    card(C.linkCard, S.open, "→ back to the welcome card", { linkToCardId: C.welcome, linkToSpaceId: S.open }),
    card(C.collabKey, S.open, "Invite link: edit the closed space", {
      linkToSpaceId: S.closed,
      linkToSpaceCollaboratorKey: closedCollaboratorKey
    }),
    card(C.long, S.open, LONG_CARD_NAME, { height: 2400.5, resizeWidth: 600 }),
    card(C.emoji, S.open, "🚀🔥👩🏽‍🚀 emoji, ZWJ and 🇯🇵 flags; RTL: مرحبا; nulls everywhere", {
      width: null,
      height: null,
      frameId: null,
      color: null,
      backgroundColor: null,
      tilt: null
    }),
    card(C.preview, S.open, "https://example.com/articles/compost?utm=x&y=1", {
      urlPreviewIsVisible: true,
      urlPreviewUrl: "https://example.com/articles/compost?utm=x&y=1",
      urlPreviewImage: "https://example.com/og/compost.png",
      urlPreviewFavicon: "https://example.com/favicon.ico",
      urlPreviewTitle: "Compost <101> & \"friends\"",
      urlPreviewDescription: "How to compost",
      urlPreviewErrorUrl: null,
      urlPreviewIframeUrl: null,
      shouldHideUrlPreviewImage: false,
      shouldHideUrlPreviewInfo: true
    }),
    card(C.listItem, S.open, "List item one", { listId: nid("lsGarden"), listPositionIndex: "a3", x: 910.125 }),
    card(C.counter, S.open, "Harvest count @zoë-åkesson-🌱", {
      counterIsVisible: true,
      counterValue: 3,
      atUserMentions: [{ id: nid("umZoe"), cardId: C.counter, userId: U.main, stringMatch: "@zoë-åkesson-🌱" }]
    }),
    card(C.dateMention, S.open, "Plant garlic @2025-10-15", {
      atDateMentions: [{
        id: nid("dmGarlic"),
        cardId: C.dateMention,
        userId: U.main,
        spaceId: S.open,
        date: "2025-10-15",
        stringMatch: "@2025-10-15"
      }]
    }),
    card(C.byOther, S.open, "Otter was here [[seeds]]", {
      userId: U.other,
      nameUpdatedByUserId: U.other,
      isLocked: true
    }),
    card(C.removedInline, S.open, "Removed idea about [[compost]]", { isRemoved: true }),
    card(C.removed, S.open, "Another removed card", { isRemoved: true, tilt: 4 }),

    // the closed space, named like a path
    card(nid("cdClosed1"), S.closed, "Hostile: <script>alert(1)</script> & \"quotes\" 'single' ]]> \u0007bell", {}),
    card(nid("cdClosed2"), S.closed, "[[seeds]] again, in another space", {}),
    card(nid("cdClosed3"), S.closed, "#### Small heading\n- [ ] nested todo?", { x: 0, y: 0 }),
    card(nid("cdClosed4"), S.closed, "[t](https://example.com/a b) broken link text", {}),
    card(nid("cdClosed5"), S.closed, "Negative position", { x: -150.75, y: -20 }),

    // the private space: current-generation connections, one ending at a box
    card(nid("cdPriv1"), S.private, "[ ] spaced checkbox in a private space", {}),
    card(nid("cdPriv2"), S.private, "Secret plan [[plans]]", { backgroundColor: "#ffcdd2" }),
    card(nid("cdPriv3"), S.private, "Points at the box", {}),
    card(nid("cdPriv4"), S.private, "*Italic only*", { frameId: 3 }),
    card(nid("cdPriv5"), S.private, "Line one\nLine two\n\nLine four", {}),
    card(nid("cdPriv6"), S.private, "Tab\tseparated\tvalues", { z: 999 }),
    card(C.privateRemoved, S.private, "Removed, still inline [[plans]]", { isRemoved: true }),

    // the space with an empty name
    card(nid("cdEmpty1"), S.emptyName, "", {}),
    card(nid("cdEmpty2"), S.emptyName, "A card in a space with no name", {}),

    // the long-named space
    card(nid("cdLongSp1"), S.longName, "First", {}),
    card(nid("cdLongSp2"), S.longName, "Second [[long-tag]]", {}),
    card(nid("cdLongSp3"), S.longName, "Third", { x: 1e6, y: 1e6 }),

    // other's space main collaborates on
    card(nid("cdCollab1"), S.collab, "Agenda 📅 by otter", { userId: U.other, nameUpdatedByUserId: U.other }),
    card(nid("cdCollab2"), S.collab, "Zoë's reply [[plans]]", {}),
    card(nid("cdCollab3"), S.collab, "日本語のカード", { userId: U.other, nameUpdatedByUserId: U.other }),
    card(nid("cdCollab4"), S.collab, "Link back to the garden", { linkToSpaceId: S.open }),
    card(C.collabRemoved, S.collab, "Removed by otter", { userId: U.other, isRemoved: true }),

    // other's private space (main: 403)
    card(nid("cdOtherPriv1"), S.otherPrivate, "Dear diary", { userId: U.other }),
    card(nid("cdOtherPriv2"), S.otherPrivate, "Private [[seeds]]", { userId: U.other }),

    // other's open space
    card(nid("cdOtherOpen1"), S.otherOpen, "Public note by otter", { userId: U.other }),
    card(nid("cdOtherOpen2"), S.otherOpen, "Zoë's garden is lovely", { userId: U.other, linkToSpaceId: S.open }),

    // main's removed space
    card(nid("cdRemSp1"), S.removed, "Journal entry 1 🌘", {}),
    card(nid("cdRemSp2"), S.removed, "Journal entry 2 [[journal]]", {}),
    card(nid("cdRemSp3"), S.removed, "Journal entry 3", {})
  ]

  const CT = demoIds.connectionTypes
  const connectionTypes: ReadonlyArray<SeedEntity> = [
    {
      id: CT.leadsTo,
      spaceId: S.open,
      userId: U.main,
      name: "Leads to",
      color: "#c9a6ff",
      defaultPathCurve: 0.4,
      createdAt: "2024-01-03T10:00:00.000Z",
      updatedAt: "2024-01-03T10:00:00.000Z"
    },
    {
      id: CT.dependsOn,
      spaceId: S.open,
      userId: U.main,
      name: "Depends on ⚠️",
      color: "rgb(102, 187, 106)",
      createdAt: "2024-01-04T10:00:00.000Z",
      updatedAt: "2024-05-04T10:00:00.000Z"
    },
    {
      id: nid("ctClosed"),
      spaceId: S.closed,
      userId: U.main,
      name: "Flow",
      color: null,
      createdAt: "2024-02-03T10:00:00.000Z",
      updatedAt: "2024-02-03T10:00:00.000Z"
    },
    {
      id: nid("ctPrivLegacy"),
      spaceId: S.private,
      userId: U.main,
      name: "Legacy type",
      color: "#ff5252",
      createdAt: "2023-08-09T10:00:00.000Z",
      updatedAt: "2023-08-09T10:00:00.000Z"
    },
    {
      id: nid("ctCollab"),
      spaceId: S.collab,
      userId: U.other,
      name: "Answers",
      color: "#80cbc4",
      createdAt: "2023-02-15T10:00:00.000Z",
      updatedAt: "2023-02-15T10:00:00.000Z"
    },
    {
      id: nid("ctRemoved"),
      spaceId: S.removed,
      userId: U.main,
      name: "Then",
      color: "#bcaaa4",
      createdAt: "2021-12-02T10:00:00.000Z",
      updatedAt: "2021-12-02T10:00:00.000Z"
    }
  ]

  const legacy = (id: string, spaceId: string, start: string, end: string, type: string, fields = {}) => ({
    id,
    spaceId,
    userId: U.main,
    startCardId: start,
    endCardId: end,
    connectionTypeId: type,
    path: "m524,138 q90,40 49,123",
    directionIsVisible: false,
    labelIsVisible: false,
    createdAt: "2024-01-05T10:00:00.000Z",
    updatedAt: "2024-06-05T10:00:00.000Z",
    ...fields
  })
  const current = (id: string, spaceId: string, start: string, end: string, fields = {}) => ({
    id,
    spaceId,
    userId: U.main,
    startItemId: start,
    endItemId: end,
    name: null,
    color: "#ff5252",
    controlPoint: "q00,00",
    directionIsVisible: true,
    labelIsVisible: false,
    labelRelativePositionX: 0.5,
    labelRelativePositionY: 0.5,
    point1Cardinal: null,
    point2Cardinal: null,
    createdAt: "2025-01-10T10:00:00.000Z",
    updatedAt: "2025-01-12T10:00:00.000Z",
    ...fields
  })
  const connections: ReadonlyArray<SeedEntity> = [
    legacy(demoIds.connections.legacy, S.open, C.welcome, C.todoOpen, CT.leadsTo),
    legacy(nid("cnLegacy2"), S.open, C.todoOpen, C.markdown, CT.dependsOn, { path: "m100,200 q30,-40 80,10" }),
    legacy(nid("cnLegacy3"), S.open, C.todoDone, C.code, CT.leadsTo, { directionIsVisible: true }),
    legacy(nid("cnClosed"), S.closed, nid("cdClosed1"), nid("cdClosed2"), nid("ctClosed")),
    current(nid("cnCurrent"), S.private, nid("cdPriv1"), nid("cdPriv2"), {
      name: "relates to 🔗",
      labelIsVisible: true,
      labelRelativePositionX: 0.25,
      labelRelativePositionY: 0.75
    }),
    current(demoIds.connections.toBox, S.private, nid("cdPriv3"), demoIds.boxes.privateBox, {
      color: "rgb(33, 150, 243)",
      controlPoint: null,
      point1Cardinal: "right",
      point2Cardinal: "left"
    }),
    legacy(nid("cnPrivLegacy"), S.private, nid("cdPriv4"), nid("cdPriv5"), nid("ctPrivLegacy")),
    legacy(nid("cnCollab"), S.collab, nid("cdCollab1"), nid("cdCollab2"), nid("ctCollab"), { userId: U.other }),
    legacy(nid("cnRemoved"), S.removed, nid("cdRemSp1"), nid("cdRemSp2"), nid("ctRemoved"))
  ]

  const notificationBase = (n: number, fields: Record<string, unknown>) => ({
    id: nid(`nt${n}`),
    type: "addCard",
    recipientUserId: U.main,
    userId: U.other,
    isRead: n % 3 === 0,
    isEmailed: n % 2 === 0,
    createdAt: new Date(Date.UTC(2025, 0, 2 + n * 3, 9 + n, 15)).toISOString(),
    ...fields
  })
  const notifications: ReadonlyArray<SeedEntity> = [
    ...[0, 1, 2, 3, 4].map((n) =>
      notificationBase(n, { cardId: n % 2 === 0 ? nid("cdCollab1") : nid("cdCollab3"), spaceId: S.collab })
    ),
    ...[5, 6, 7].map((n) => notificationBase(n, { cardId: C.byOther, spaceId: S.open })),
    notificationBase(8, { cardId: nid("cdGoneCard"), spaceId: S.open }), // its card was later deleted
    notificationBase(9, { type: "addCard", cardId: C.collabRemoved, spaceId: S.collab, isRead: false }),
    notificationBase(10, { recipientUserId: U.other, userId: U.main, cardId: nid("cdCollab2"), spaceId: S.collab }),
    notificationBase(11, { recipientUserId: U.other, userId: U.main, cardId: nid("cdCollab4"), spaceId: S.collab })
  ]

  return {
    accounts,
    users,
    spaces,
    collaborators: [{ spaceId: S.collab, userId: U.main }],
    cards,
    connections,
    connectionTypes,
    tags: tagsFor(cards),
    notifications,
    favorites: [{
      userId: U.main,
      favoriteUserIds: [U.other],
      favoriteSpaces: [
        { spaceId: S.otherOpen, isEdited: true },
        { spaceId: S.collab, isEdited: false },
        { spaceId: S.otherPrivate, isEdited: true } // not viewable by main: never listed
      ],
      favoriteColors: ["#ff0000", "rgb(10, 20, 30)", "#c9a6ff"]
    }, {
      userId: U.other,
      favoriteUserIds: [U.main],
      favoriteSpaces: [{ spaceId: S.open, isEdited: false }],
      favoriteColors: []
    }],
    inlineRemovedCardIds: [C.removedInline, C.privateRemoved]
  }
}

// ---------------------------------------------------------------------------------------------
// Generated seeds, for benchmarks

const PRIVACY = ["private", "open", "closed"] as const

/**
 * `spaces` spaces owned by `main`, each with `cardsPerSpace` cards, one removed card, a
 * connection type, some connections (both generations) and a few tags. Cheap to build and
 * to hold: fields are few and date strings are shared within a space.
 */
export const generatedSeed = (o: {
  readonly spaces: number
  readonly cardsPerSpace: number
  /** Connections per space, between neighbouring cards (default 5). */
  readonly connectionsPerSpace?: number
  readonly seed?: number
}): KinopioSeed => {
  const random = prng(o.seed ?? 1)
  const id = () => fill(random, 21)
  const base = Date.UTC(2023, 0, 1)
  const spaces: Array<SeedEntity> = []
  const cards: Array<SeedEntity> = []
  const connections: Array<SeedEntity> = []
  const connectionTypes: Array<SeedEntity> = []
  const tags: Array<SeedEntity> = []
  const owner = demoIds.users.main

  for (let s = 0; s < o.spaces; s++) {
    const spaceId = id()
    const name = `Generated space ${s + 1}`
    const createdAt = new Date(base + s * 3_600_000).toISOString()
    const updatedAt = new Date(base + s * 3_600_000 + 86_400_000 * (1 + (s % 300))).toISOString()
    spaces.push({
      id: spaceId,
      name,
      url: spaceUrl(name, spaceId),
      ownerUserId: owner,
      userId: owner,
      privacy: PRIVACY[s % 3],
      isRemoved: false,
      collaboratorKey: `${spaceId}-ck`,
      readOnlyKey: `${spaceId}-rk`,
      showInExplore: false,
      moonPhase: null,
      background: null,
      boxes: [],
      lists: [],
      lines: [],
      drawingStrokes: [],
      createdAt,
      updatedAt,
      editedAt: updatedAt
    })
    const typeId = id()
    connectionTypes.push({ id: typeId, spaceId, userId: owner, name: "Connection", color: "#c9a6ff", createdAt, updatedAt: createdAt })
    const ids: Array<string> = []
    for (let c = 0; c <= o.cardsPerSpace; c++) {
      const cardId = id()
      const removed = c === o.cardsPerSpace // one extra, soft-removed card per space
      const tagName = c % 25 === 0 ? `topic-${c / 25}` : undefined
      const cardName = removed ? "Removed card" : tagName === undefined ? `Card ${c + 1}` : `Card ${c + 1} [[${tagName}]]`
      cards.push({
        id: cardId,
        spaceId,
        userId: owner,
        name: cardName,
        x: 100 + (c % 10) * 250,
        y: 100 + Math.floor(c / 10) * 120,
        z: c,
        width: 235,
        height: 80,
        color: null,
        isRemoved: removed,
        createdAt,
        updatedAt
      })
      if (!removed) ids.push(cardId)
      if (tagName !== undefined && !removed) {
        tags.push({ id: id(), name: tagName, color: defaultTagColor(tagName), cardId, spaceId, userId: owner, createdAt, updatedAt })
      }
    }
    for (let k = 0; k + 1 < ids.length && k < (o.connectionsPerSpace ?? 5); k++) {
      const start = ids[k] ?? ""
      const end = ids[k + 1] ?? ""
      connections.push(
        k % 2 === 0
          ? {
            id: id(), spaceId, userId: owner, startCardId: start, endCardId: end, connectionTypeId: typeId,
            path: "m0,0 q10,10 20,20", createdAt, updatedAt
          }
          : {
            id: id(), spaceId, userId: owner, startItemId: start, endItemId: end, name: null, color: "#ff5252",
            controlPoint: null, createdAt, updatedAt
          }
      )
    }
  }
  return { ...emptySeed(), spaces, cards, connections, connectionTypes, tags }
}

/** `demo`, `empty` or `generated:<spaces>x<cards>[x<connections per space>]` (e.g. `generated:200x50`); anything else: undefined. */
export const seedByName = (name: string): KinopioSeed | undefined => {
  if (name === "demo") return demoSeed()
  if (name === "empty") return emptySeed()
  const generated = /^generated:(\d+)x(\d+)(?:x(\d+))?$/.exec(name)
  if (generated === null) return undefined
  return generatedSeed({
    spaces: Number(generated[1]),
    cardsPerSpace: Number(generated[2]),
    ...(generated[3] === undefined ? {} : { connectionsPerSpace: Number(generated[3]) })
  })
}
