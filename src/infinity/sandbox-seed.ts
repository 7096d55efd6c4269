/**
 * Seed data for the Infinity sandbox. A seed is plain data in the shapes the API answers with
 * (infinity.md §7): every object carries its documented fields, and some carry undocumented
 * ones as real accounts do, so a backup that drops a field shows up in tests.
 *
 * Every seed has the same two accounts: `main` (the account under test: two workspaces, one
 * shared with another user) and `target` (one empty workspace, a restore destination). All
 * builders are deterministic: the same call gives the same ids, dates, tokens and bytes.
 */
import { hash, prng } from "../sandbox/deterministic.ts"

/** One object exactly as the API shows it (attachments without their `link`, which is signed per answer). */
export type SeedEntity = Readonly<Record<string, unknown>>

/**
 * An object and where it lives. `parent` is the workspace id (boards, attachments), the board id
 * (folders, attributes, items, views, references, hooks), the item id (values, comments), the
 * hook id (hook logs) or "" (workspaces). `time` (ISO) orders every list and dates the cursor
 * of objects that show no `created_at` (workspaces, boards, folders, references) or show null.
 */
export interface SeedRow {
  readonly parent: string
  readonly time: string
  readonly entity: SeedEntity
}

/** An attachment with its stored file. */
export interface SeedAttachment extends SeedRow {
  readonly bytes: Uint8Array
  readonly contentType: string
}

export interface SeedMember {
  readonly workspaceId: number
  readonly userId: number
  /** "owner" for the workspace owner; the docs show "full-member" for the others. */
  readonly role: string
  readonly time: string
}

export interface InfinitySeed {
  /** User ids of the two accounts every seed has; `targetWorkspace` is the target's empty workspace. */
  readonly accounts: { readonly main: number; readonly target: number; readonly targetWorkspace: number }
  /** Personal access tokens (`Authorization: Bearer <token>`). */
  readonly tokens: ReadonlyArray<{ readonly userId: number; readonly token: string }>
  /** Full user records in the profile shape (`preferences`, `is_developer` included). */
  readonly users: ReadonlyArray<SeedEntity>
  readonly workspaces: ReadonlyArray<SeedRow>
  readonly members: ReadonlyArray<SeedMember>
  readonly boards: ReadonlyArray<SeedRow>
  readonly folders: ReadonlyArray<SeedRow>
  readonly attributes: ReadonlyArray<SeedRow>
  readonly items: ReadonlyArray<SeedRow>
  /** Stored values, `data` as written (attachments as `[{id}]`); reference values are not stored (they come from references). */
  readonly values: ReadonlyArray<SeedRow>
  readonly comments: ReadonlyArray<SeedRow>
  readonly views: ReadonlyArray<SeedRow>
  readonly references: ReadonlyArray<SeedRow>
  readonly hooks: ReadonlyArray<SeedRow>
  /** What `expand[]=logs` shows (the docs do not show a log's shape; choice). */
  readonly hookLogs: ReadonlyArray<SeedRow>
  readonly attachments: ReadonlyArray<SeedAttachment>
}

// ---------------------------------------------------------------------------------------------
// Formats shared with the sandbox

/** Infinity's timestamp: ISO-8601 UTC with microseconds, whole seconds (every example ends in .000000Z). */
export const infinityTimestamp = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, ".000000Z")

const plainDecimal = (n: number): string => {
  const s = String(n)
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/i.exec(s)
  if (match === null) return s
  const [, sign = "", int = "", frac = "", exp = "0"] = match
  const digits = int + frac
  const point = int.length + Number(exp)
  const body = point <= 0
    ? `0.${"0".repeat(-point)}${digits}`
    : point >= digits.length
    ? digits + "0".repeat(point - digits.length)
    : `${digits.slice(0, point)}.${digits.slice(point)}`
  return sign + body
}

/**
 * `sort_order` as GET and list answers show it: a decimal string with 30 fraction digits
 * (`"393216.000000000000000000000000000000"`). Takes a number or a decimal string; undefined
 * for anything else. Strings are padded as text, so no precision is lost on the way.
 */
export const decimalSortOrder = (value: unknown): string | undefined => {
  const text = typeof value === "number" ? (Number.isFinite(value) ? plainDecimal(value) : undefined) : value
  if (typeof text !== "string") return undefined
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(text.trim())
  if (match === null) return undefined
  const [, sign = "", int = "0", frac = ""] = match
  const whole = int.replace(/^0+(?=\d)/, "")
  const fraction = frac.slice(0, 30).padEnd(30, "0")
  return `${whole === "0" && /^0*$/.test(fraction) ? "" : sign}${whole}.${fraction}`
}

// ---------------------------------------------------------------------------------------------
// Deterministic ids and randomness


const BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const HEX = "0123456789abcdef"

const pick = (random: () => number, alphabet: string, length: number) => {
  let out = ""
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)]
  return out
}

/** An 11-character board/folder/view id (like `LA1dW8i1TTK`), derived from a label. */
const sid = (label: string) => pick(prng(hash(`sid:${label}`)), BASE62, 11)

const uuidShape = (hex: string, version: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}${hex.slice(13, 16)}-${"89ab"[parseInt(hex[16] ?? "0", 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`

/** A v4-shaped UUID derived from a label (older Infinity ids). */
const uuid = (label: string) => uuidShape(pick(prng(hash(`uuid:${label}`)), HEX, 32), "4")

/** A v7-shaped UUID (time first, like `0193449c-0884-70bc-…`): the newer Infinity ids. */
const uuid7 = (label: string, ms: number) =>
  uuidShape(Math.floor(ms).toString(16).padStart(12, "0") + pick(prng(hash(`uuid7:${label}`)), HEX, 20), "7")

/** A long, opaque personal access token (Passport tokens are JWTs), derived from a label. */
const tokenFor = (label: string) => {
  const random = prng(hash(`token:${label}`))
  const b64url = BASE62 + "-_"
  return `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${pick(random, b64url, 120)}.${pick(random, b64url, 86)}`
}

/** A 32-character hook secret, derived from a label. */
const secretFor = (label: string) => pick(prng(hash(`secret:${label}`)), BASE62, 32)

/** The random-looking name a stored file gets (40 characters, then the extension). */
export const storedFileName = (label: string, extension: string) =>
  `${pick(prng(hash(`file:${label}`)), BASE62, 40)}.${extension}`

const day = 86_400_000
const at = (days: number, hours = 9, minutes = 0) => Date.UTC(2024, 0, 1) + days * day + hours * 3_600_000 + minutes * 60_000
const ts = (ms: number) => infinityTimestamp(ms)
const so = (n: number | string) => decimalSortOrder(n) ?? "0.000000000000000000000000000000"

const utf8 = (text: string) => new TextEncoder().encode(text)
const base64Bytes = (text: string) => Uint8Array.from(Buffer.from(text, "base64"))

/** What PHP's pathinfo() says about an uploaded file's name (basename, filename, extension). */
export const pathInfo = (originalName: string) => {
  const basename = originalName.split("/").pop() ?? ""
  const dot = basename.lastIndexOf(".")
  return dot <= 0
    ? { basename, filename: basename, extension: "" }
    : { basename, filename: basename.slice(0, dot), extension: basename.slice(dot + 1) }
}

/** A 1×1 PNG (a real image file). */
const PNG_1X1 = base64Bytes("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

// ---------------------------------------------------------------------------------------------
// The accounts

/** Ids of the demo seed's objects, so tests can name them. */
export const demoIds = {
  users: { main: 1302, ana: 1299, jane: 1300, guest: 1301, target: 1305, outsider: 1310 },
  workspaces: { main: 669, shared: 670, outsider: 700, target: 701 },
  boards: {
    vacation: "LA1dW8i1TTK", // every attribute type; open to the workspace (user_ids [])
    passwd: sid("bPasswd"), // "../../etc/passwd"
    punctuation: sid("bPunct"), // "a/b\\c:d*?"
    emoji: sid("bEmoji"),
    long: sid("bLong"), // a 300-character name, nothing inside
    recipes: sid("bRecipes"), // in the shared workspace
    anaPrivate: sid("bAnaPriv"), // shared workspace, user_ids [ana]: main gets 403
    outsider: sid("bOutsider") // a workspace main is not in
  },
  folders: {
    destinations: "8FjZofz89PM",
    packing: sid("fPacking"),
    archive: sid("fArchive"), // nested in destinations
    deleted: sid("fDeleted"),
    passwd: sid("fPasswd"),
    punctuation: sid("fPunct"),
    emoji: sid("fEmoji"),
    recipes: sid("fRecipes"),
    anaPrivate: sid("fAnaPriv"),
    outsider: sid("fOutsider")
  },
  attributes: {
    name: "46b171c5-32fa-4bd8-b23a-f2bf4645632c",
    notes: uuid("aNotes"),
    done: uuid("aDone"),
    budget: uuid("aBudget"),
    price: uuid("aPrice"),
    who: uuid("aWho"),
    links: uuid("aLinks"),
    checklist: uuid("aChecklist"),
    files: uuid("aFiles"),
    related: uuid("aRelated"),
    progress: uuid("aProgress"),
    rating: uuid("aRating"),
    email: uuid("aEmail"),
    phone: uuid("aPhone"),
    departure: uuid("aDeparture"),
    costPerDay: uuid7("aCostPerDay", at(40)),
    legacy: uuid("aLegacy"), // deleted
    passwdTitle: uuid("aPasswdTitle"),
    punctuationTitle: uuid("aPunctTitle"),
    emojiTitle: uuid("aEmojiTitle"),
    recipesTitle: uuid("aRecipesTitle"),
    anaPrivateTitle: uuid("aAnaPrivTitle"),
    outsiderTitle: uuid("aOutsiderTitle")
  },
  labels: { one: uuid("l$"), two: uuid("l$$"), three: uuid("l$$$"), four: uuid("l$$$$") },
  items: {
    lisbon: "315a6847-26a7-4cf6-a66e-1a6b3c62a764", // a value of every type
    kyoto: uuid("iKyoto"),
    reykjavik: uuid("iReykjavik"),
    reykjavikDay1: uuid("iReykDay1"), // child of reykjavik
    reykjavikDay2: uuid("iReykDay2"), // child of reykjavik
    reykjavikLagoon: uuid("iReykLagoon"), // child of reykjavikDay1
    cancelled: uuid("iCancelled"), // deleted
    passport: uuid7("iPassport", at(12)),
    sunscreen: uuid7("iSunscreen", at(12, 10)),
    trip2019: uuid("iTrip2019"), // in the nested folder
    legacyValue: uuid("iLegacyValue"), // holds a value of the deleted attribute
    passwd: uuid("iPasswd"),
    punctuation: uuid("iPunct"),
    emoji: uuid("iEmoji"),
    recipe1: uuid("iRecipe1"),
    recipe2: uuid("iRecipe2"),
    anaPrivate: uuid("iAnaPriv"),
    outsider: uuid("iOutsider")
  },
  comments: {
    reminder: "bfefec7e-5ba6-4287-ac4a-753357584f16",
    hostile: uuid("cHostile"),
    reply: uuid("cReply"), // parent_id reminder
    deleted: uuid("cDeleted"),
    kyoto: uuid7("cKyoto", at(20)),
    recipe: uuid("cRecipe") // by ana, shared workspace
  },
  views: {
    restaurants: "11c3d575-8309-4cef-95d3-17f18adea1b3",
    table: "EPp8EutaH7b",
    calendar: sid("vCalendar"),
    deleted: sid("vDeleted"),
    recipes: sid("vRecipes")
  },
  references: { lisbonPassport: uuid7("rLisbonPassport", at(21)), lisbonSunscreen: uuid7("rLisbonSun", at(21, 10)), kyotoPassport: uuid("rKyotoPassport") },
  hooks: { comments: "2555617b-01e2-4501-8ad8-2ae8e49766bf", values: uuid7("hValues", at(30)), anas: uuid("hAnas") },
  attachments: { png: 86245, unicode: 86246, evil: 86247, recipe: 86248 }
} as const

const U = demoIds.users
const W = demoIds.workspaces
const B = demoIds.boards
const F = demoIds.folders
const A = demoIds.attributes
const L = demoIds.labels
const I = demoIds.items

const userRecord = (id: number, name: string, email: string, created: number, fields: Record<string, unknown> = {}): SeedEntity => ({
  id,
  object: "user",
  name,
  email,
  photo_url: `https://app.startinfinity.com/profile/avatar.svg?name=${encodeURIComponent(name)}`,
  created_at: ts(created),
  job: null,
  location: null,
  tagline: null,
  preferences: [],
  is_developer: false,
  deleted: false,
  ...fields
})

const baseUsers = (): Array<SeedEntity> => [
  userRecord(U.main, "Damian Peterson", "damian.peterson@example.com", at(-400), {
    job: "Head of Customer Success",
    location: "Lisbon",
    tagline: "Plans trips, ships boards ✈️",
    preferences: { theme: "dark", language: "en", weekStart: 1, notifications: { email: true, push: false } },
    is_developer: true,
    timezone: "Europe/Lisbon" // undocumented
  }),
  userRecord(U.target, "Restore Target", "restore.target@example.com", at(-10), { is_developer: true })
]

const tokens = [
  { userId: U.main, token: tokenFor("main") },
  { userId: U.target, token: tokenFor("target") },
  { userId: U.ana, token: tokenFor("ana") },
  { userId: U.outsider, token: tokenFor("outsider") }
]

const workspace = (id: number, name: string, owner: number, time: number, fields: Record<string, unknown> = {}): SeedRow => ({
  parent: "",
  time: ts(time),
  entity: { id, object: "workspace", name, photo_url: null, owner_id: owner, deleted: false, ...fields }
})

const member = (workspaceId: number, userId: number, role: string, time: number): SeedMember => ({
  workspaceId,
  userId,
  role,
  time: ts(time)
})

const targetWorkspace = () => workspace(W.target, "Restore target", U.target, at(-10))

/** The two accounts with nothing in them but the target's empty workspace and main's own workspace. */
export const emptySeed = (): InfinitySeed => ({
  accounts: { main: U.main, target: U.target, targetWorkspace: W.target },
  tokens: tokens.filter((t) => t.userId === U.main || t.userId === U.target),
  users: baseUsers(),
  workspaces: [workspace(W.main, "Customer Success", U.main, at(-300)), targetWorkspace()],
  members: [member(W.main, U.main, "owner", at(-300)), member(W.target, U.target, "owner", at(-10))],
  boards: [],
  folders: [],
  attributes: [],
  items: [],
  values: [],
  comments: [],
  views: [],
  references: [],
  hooks: [],
  hookLogs: [],
  attachments: []
})

// ---------------------------------------------------------------------------------------------
// The demo seed: realistic and hostile

const LONG_BOARD_NAME = "A board whose name goes on and on — ünïcödé, emoji 🧭 and punctuation: ".repeat(5).slice(0, 300)

const HOSTILE_COMMENT = [
  "<p>Looks <b>great</b> — see <a href=\"https://example.com/?a=1&amp;b=2\" target=\"_blank\">the itinerary</a>.</p>",
  "<p><script>alert('x')</script>&lt;not a tag&gt; &amp; &quot;quoted&quot; &#x1F600; 🌍🇵🇹</p>",
  "<ul><li>one</li><li>two</li></ul><img src=x onerror=alert(1)>"
].join("")

export const demoSeed = (): InfinitySeed => {
  const users: Array<SeedEntity> = [
    ...baseUsers(),
    userRecord(U.ana, "Ana Müller", "ana.mueller@example.com", at(-350), {
      job: "Designer",
      preferences: { theme: "light" },
      timezone: "Europe/Berlin"
    }),
    userRecord(U.jane, "Jane Doe", "user@example.com", at(-200)),
    userRecord(U.guest, "Łukasz \"Lu\" O'Brien <b>🐙</b>", "lu+guest@example.com", at(-100), { tagline: "<i>guest</i>" }),
    userRecord(U.outsider, "Olga Outsider", "olga@example.net", at(-500))
  ]

  const workspaces = [
    workspace(W.main, "Customer Success", U.main, at(-300), { slug: "customer-success", plan: "pro" }),
    workspace(W.shared, "Side projects 🚀", U.ana, at(-250), { slug: "side-projects", plan: "free" }),
    workspace(W.outsider, "Olga's workspace", U.outsider, at(-500)),
    targetWorkspace()
  ]
  const members = [
    member(W.main, U.main, "owner", at(-300)),
    member(W.main, U.ana, "full-member", at(-290)),
    member(W.main, U.jane, "full-member", at(-190)),
    member(W.main, U.guest, "guest", at(-95)),
    member(W.shared, U.ana, "owner", at(-250)),
    member(W.shared, U.main, "full-member", at(-240)),
    member(W.outsider, U.outsider, "owner", at(-500)),
    member(W.target, U.target, "owner", at(-10))
  ]

  const board = (id: string, ws: number, name: string, order: number | string, time: number, fields: Record<string, unknown> = {}): SeedRow => ({
    parent: String(ws),
    time: ts(time),
    entity: {
      id,
      object: "board",
      name,
      sort_order: so(order),
      color: "#4eb4f9",
      description: null,
      og_image: null,
      user_ids: [],
      deleted: false,
      ...fields
    }
  })
  const boards = [
    board(B.vacation, W.main, "Vacation Planning", 393216, at(1), { icon: "🏖️", is_template: false }),
    board(B.passwd, W.main, "../../etc/passwd", 458752, at(2), { user_ids: [U.main, U.ana], color: "#f57740" }),
    board(B.punctuation, W.main, "a/b\\c:d*?", "163840.5", at(3), { description: "<b>not bold</b> \"quotes\" & 'apostrophes'" }),
    board(B.emoji, W.main, "🚀 Launch 🎉 — ünïcödé ✓", 65536, at(4), { og_image: "https://example.com/og/launch.png" }),
    board(B.long, W.main, LONG_BOARD_NAME, -65536, at(5)),
    board(B.recipes, W.shared, "Recipes", 65536, at(6)),
    board(B.anaPrivate, W.shared, "Ana's private board", 131072, at(7), { user_ids: [U.ana] }),
    board(B.outsider, W.outsider, "Olga's board", 65536, at(8))
  ]

  const folder = (id: string, boardId: string, name: string, order: number | string, time: number, fields: Record<string, unknown> = {}): SeedRow => ({
    parent: boardId,
    time: ts(time),
    entity: {
      id,
      object: "folder",
      name,
      sort_order: so(order),
      color: null,
      settings: [],
      attribute_ids: [],
      parent_id: boardId,
      deleted: false,
      ...fields
    }
  })

  const attribute = (id: string, boardId: string, name: string, type: string, time: number, fields: Record<string, unknown> = {}): SeedRow => ({
    parent: boardId,
    time: ts(time),
    entity: {
      id,
      object: "attribute",
      name,
      type,
      default_data: null,
      settings: [],
      created_by: U.main,
      created_at: ts(time),
      deleted: false,
      ...fields
    }
  })
  const vacationAttributes = [
    attribute(A.name, B.vacation, "Name", "text", at(10, 9), { default_data: "" }),
    attribute(A.notes, B.vacation, "Notes", "longtext", at(10, 10), { default_data: "", description: "Free text" }),
    attribute(A.done, B.vacation, "Done", "checkbox", at(10, 11), { default_data: false }),
    attribute(A.budget, B.vacation, "Budget", "number", at(10, 12), {
      default_data: 0,
      settings: { delimiter: ".", decimals: 2, prefix: "€" }
    }),
    attribute(A.price, B.vacation, "Price", "label", at(10, 13), {
      default_data: [],
      settings: {
        multiple: true,
        allowNew: true,
        allowEmpty: true,
        labels: [
          { id: L.one, name: "$", color: "#92F3EC" },
          { id: L.two, name: "$$", color: "#F3E192" },
          { id: L.three, name: "$$$", color: "#F3A892" },
          { id: L.four, name: "$$$$ <b>lux</b>", color: "#D192F3" }
        ]
      }
    }),
    attribute(A.who, B.vacation, "Who", "members", at(10, 14), { default_data: [], settings: { multiple: true } }),
    attribute(A.links, B.vacation, "Links", "links", at(10, 15), { default_data: [] }),
    attribute(A.checklist, B.vacation, "Checklist", "checklist", at(10, 16), { default_data: [] }),
    attribute(A.files, B.vacation, "Files", "attachments", at(10, 17), { default_data: [] }),
    attribute(A.related, B.vacation, "Related", "reference", at(10, 18), {
      default_data: [],
      settings: { folderId: F.packing }
    }),
    attribute(A.progress, B.vacation, "Progress", "progress", at(10, 19), { default_data: 0, settings: { min: 0, max: 100, step: 5 } }),
    attribute(A.rating, B.vacation, "Rating", "rating", at(10, 20), { default_data: 0, settings: { max: 5, icon: "star" } }),
    attribute(A.email, B.vacation, "Contact email", "email", at(10, 21), { default_data: "" }),
    attribute(A.phone, B.vacation, "Phone", "phone", at(10, 22), { default_data: "" }),
    attribute(A.departure, B.vacation, "Departure", "date", at(10, 23), {
      settings: { format: "Y-m-d", includeTime: false }
    }),
    // a type the docs do not list
    attribute(A.costPerDay, B.vacation, "Cost per day", "formula", at(40), {
      settings: { expression: "{Budget} / 7", precision: 2 },
      created_by: U.ana
    }),
    attribute(A.legacy, B.vacation, "Legacy field", "text", at(9), { default_data: "", deleted: true })
  ]
  const liveVacationAttributeIds = vacationAttributes.map((a) => a.entity["id"]).filter((id) => id !== A.legacy)

  const folders = [
    folder(F.destinations, B.vacation, "Destinations", 65536, at(1, 10), {
      color: "#f57740",
      attribute_ids: liveVacationAttributeIds,
      icon: "🗺️" // undocumented
    }),
    folder(F.packing, B.vacation, "Packing list", 131072, at(1, 11), {
      attribute_ids: [A.name, A.done, A.rating],
      settings: { hideCompleted: true }
    }),
    folder(F.archive, B.vacation, "Archive / 2019", "98304.25", at(1, 12), { parent_id: F.destinations, attribute_ids: [A.name] }),
    folder(F.deleted, B.vacation, "Old ideas", 196608, at(1, 13), { deleted: true }),
    folder(F.passwd, B.passwd, "..", 65536, at(2, 10), { attribute_ids: [A.passwdTitle] }),
    folder(F.punctuation, B.punctuation, "CON:PRN|<>", 65536, at(3, 10), { attribute_ids: [A.punctuationTitle] }),
    folder(F.emoji, B.emoji, "📦 Backlog", 65536, at(4, 10), { attribute_ids: [A.emojiTitle] }),
    folder(F.recipes, B.recipes, "Dinners", 65536, at(6, 10), { attribute_ids: [A.recipesTitle] }),
    folder(F.anaPrivate, B.anaPrivate, "Secret", 65536, at(7, 10), { attribute_ids: [A.anaPrivateTitle] }),
    folder(F.outsider, B.outsider, "Olga's folder", 65536, at(8, 10), { attribute_ids: [A.outsiderTitle] })
  ]

  const attributes = [
    ...vacationAttributes,
    attribute(A.passwdTitle, B.passwd, "Title", "text", at(2, 11), { default_data: "" }),
    attribute(A.punctuationTitle, B.punctuation, "Title", "text", at(3, 11), { default_data: "" }),
    attribute(A.emojiTitle, B.emoji, "Title 🏷️", "text", at(4, 11), { default_data: "" }),
    attribute(A.recipesTitle, B.recipes, "Title", "text", at(6, 11), { default_data: "", created_by: U.ana }),
    attribute(A.anaPrivateTitle, B.anaPrivate, "Title", "text", at(7, 11), { default_data: "", created_by: U.ana }),
    attribute(A.outsiderTitle, B.outsider, "Title", "text", at(8, 11), { default_data: "", created_by: U.outsider })
  ]

  const item = (
    id: string,
    boardId: string,
    folderId: string,
    order: number | string,
    time: number,
    fields: Record<string, unknown> = {}
  ): SeedRow => ({
    parent: boardId,
    time: ts(time),
    entity: {
      id,
      object: "item",
      folder_id: folderId,
      parent_id: null,
      created_at: ts(time),
      sort_order: so(order),
      deleted: false,
      ...fields
    }
  })
  const items = [
    item(I.lisbon, B.vacation, F.destinations, 65536, at(11, 9), { updated_at: ts(at(25)), created_by: U.main }),
    item(I.kyoto, B.vacation, F.destinations, "163840.500000000000000000000000000000", at(11, 10)),
    item(I.reykjavik, B.vacation, F.destinations, 131072, at(11, 11)),
    item(I.reykjavikDay1, B.vacation, F.destinations, 196608, at(11, 12), { parent_id: I.reykjavik }),
    item(I.reykjavikDay2, B.vacation, F.destinations, 262144, at(11, 12), { parent_id: I.reykjavik }),
    item(I.reykjavikLagoon, B.vacation, F.destinations, "262144.000000000000000000000000000001", at(11, 13), {
      parent_id: I.reykjavikDay1
    }),
    item(I.cancelled, B.vacation, F.destinations, 0, at(11, 14), { deleted: true }),
    item(I.passport, B.vacation, F.packing, -65536, at(12)),
    item(I.sunscreen, B.vacation, F.packing, "0.000000000000000000000000000000", at(12, 10)),
    item(I.trip2019, B.vacation, F.archive, 65536, at(12, 11)),
    item(I.legacyValue, B.vacation, F.destinations, 327680, at(12, 12)),
    item(I.passwd, B.passwd, F.passwd, 65536, at(13)),
    item(I.punctuation, B.punctuation, F.punctuation, 65536, at(13, 10)),
    item(I.emoji, B.emoji, F.emoji, 65536, at(13, 11)),
    item(I.recipe1, B.recipes, F.recipes, 65536, at(14), { created_by: U.ana }),
    item(I.recipe2, B.recipes, F.recipes, 131072, at(14, 10), { created_by: U.ana }),
    item(I.anaPrivate, B.anaPrivate, F.anaPrivate, 65536, at(14, 11)),
    item(I.outsider, B.outsider, F.outsider, 65536, at(14, 12))
  ]

  const value = (itemId: string, attributeId: string, data: unknown, time: number, fields: Record<string, unknown> = {}): SeedRow => ({
    parent: itemId,
    time: ts(time),
    entity: {
      id: uuid(`value:${itemId}:${attributeId}`),
      object: "value",
      data,
      attribute_id: attributeId,
      item_id: itemId,
      deleted: false,
      ...fields
    }
  })
  const T = at(11, 9, 30)
  const values = [
    // Lisbon: one of every type (its reference value comes from its references)
    value(I.lisbon, A.name, "Lisbon", T),
    value(I.lisbon, A.notes, "Line one\nLine two with <b>markup</b> & ünïcödé\n\n- a list item\n\t- tabbed", T),
    value(I.lisbon, A.done, true, T),
    value(I.lisbon, A.budget, 1234.56, T),
    value(I.lisbon, A.price, [L.two, L.four], T),
    value(I.lisbon, A.who, [U.main, U.ana], T),
    value(I.lisbon, A.links, [
      { url: "https://www.visitlisboa.com/", title: "Visit Lisboa" },
      { url: "https://example.com/a?b=1&c=<2>", title: "" }
    ], T),
    value(I.lisbon, A.checklist, [
      { id: uuid("chk1"), name: "Book flights", checked: true },
      { id: uuid("chk2"), name: "Reserve <i>tram</i> tour", checked: false }
    ], T),
    value(I.lisbon, A.files, [{ id: demoIds.attachments.png }, { id: demoIds.attachments.unicode }], T),
    value(I.lisbon, A.progress, 40, T),
    value(I.lisbon, A.rating, 4, T),
    value(I.lisbon, A.email, "hello+lisbon@example.com", T),
    value(I.lisbon, A.phone, "(021) 555-0100", T),
    value(I.lisbon, A.departure, "2025-06-01", T),
    value(I.lisbon, A.costPerDay, 176.37, T, { computed: true }), // undocumented field on a value
    // the others: a few values each
    value(I.kyoto, A.name, "Kyoto 京都", at(11, 10, 5)),
    value(I.kyoto, A.done, false, at(11, 10, 5)),
    value(I.kyoto, A.price, [L.three], at(11, 10, 5)),
    value(I.kyoto, A.files, [{ id: demoIds.attachments.evil }], at(11, 10, 5)),
    value(I.kyoto, A.rating, 5, at(11, 10, 5)),
    value(I.reykjavik, A.name, "Reykjavík", at(11, 11, 5)),
    value(I.reykjavik, A.budget, -12.5, at(11, 11, 5)),
    value(I.reykjavikDay1, A.name, "Day 1: Golden Circle", at(11, 12, 5)),
    value(I.reykjavikDay2, A.name, "", at(11, 12, 5)), // empty text
    value(I.reykjavikLagoon, A.name, "Blue Lagoon 💙", at(11, 13, 5)),
    value(I.cancelled, A.name, "Cancelled trip", at(11, 14, 5)),
    value(I.passport, A.name, "Passport", at(12, 9, 5)),
    value(I.passport, A.done, true, at(12, 9, 5)),
    value(I.sunscreen, A.name, "Sunscreen SPF 50", at(12, 10, 5)),
    value(I.sunscreen, A.rating, 3, at(12, 10, 5)),
    value(I.trip2019, A.name, "Porto, 2019", at(12, 11, 5)),
    value(I.legacyValue, A.name, "Keeps an old field", at(12, 12, 5)),
    value(I.legacyValue, A.legacy, "value of a deleted attribute", at(12, 12, 5)),
    value(I.passwd, A.passwdTitle, "../../../root/.ssh/id_rsa", at(13, 9, 5)),
    value(I.punctuation, A.punctuationTitle, "NUL\u0000 and \u202Eright-to-left", at(13, 10, 5)),
    value(I.emoji, A.emojiTitle, "👩‍👩‍👧‍👦 family emoji", at(13, 11, 5)),
    value(I.recipe1, A.recipesTitle, "Pastéis de nata", at(14, 9, 5)),
    value(I.recipe2, A.recipesTitle, "Caldo verde", at(14, 10, 5)),
    value(I.anaPrivate, A.anaPrivateTitle, "Surprise party", at(14, 11, 5)),
    value(I.outsider, A.outsiderTitle, "Not yours", at(14, 12, 5))
  ]

  const comment = (id: string, itemId: string, text: string, time: number, fields: Record<string, unknown> = {}): SeedRow => ({
    parent: itemId,
    time: ts(time),
    entity: {
      id,
      object: "comment",
      parent_id: null,
      text,
      created_at: ts(time),
      created_by: U.main,
      deleted: false,
      ...fields
    }
  })
  const C = demoIds.comments
  const comments = [
    comment(C.reminder, I.lisbon, "<p>Reminder to myself: Check the calendar</p>", at(15)),
    comment(C.hostile, I.lisbon, HOSTILE_COMMENT, at(15, 10), { created_by: U.ana, updated_at: ts(at(16)), mentions: [U.main] }),
    comment(C.reply, I.lisbon, "<p>Done ✅ — flights on the <b>1st</b></p>", at(15, 11), { parent_id: C.reminder }),
    comment(C.deleted, I.lisbon, "<p>oops, wrong item</p>", at(15, 12), { deleted: true }),
    comment(C.kyoto, I.kyoto, "<p>Cherry blossom 🌸 season: early April</p>", at(20)),
    comment(C.recipe, I.recipe1, "<p>Needs <i>more</i> cinnamon</p>", at(14, 15), { created_by: U.ana })
  ]

  const view = (id: string, boardId: string, folderId: string, name: string, type: string, time: number, fields: Record<string, unknown> = {}): SeedRow => ({
    parent: boardId,
    time: ts(time),
    entity: {
      id,
      object: "folderview",
      folder_id: folderId,
      name,
      type,
      sort_order: null,
      settings: [],
      created_by: U.main,
      created_at: ts(time),
      deleted: false,
      ...fields
    }
  })
  const V = demoIds.views
  const views = [
    view(V.restaurants, B.vacation, F.destinations, "Restaurant List", "list", at(16), {
      created_at: null,
      sort_order: so(65536),
      settings: {
        attributes: [A.name, A.budget, A.price],
        includeSubfolders: false,
        collapsedGroups: [],
        filter: { conditions: [{ attributeId: A.price, operator: "contains", value: [L.two] }], combinator: "AND" },
        sort: { conditions: [{ attributeId: A.budget, settings: { direction: "asc" } }] }
      }
    }),
    view(V.table, B.vacation, F.destinations, "All trips (table)", "table", at(16, 10), { sort_order: so(131072), is_default: true }),
    view(V.calendar, B.vacation, F.packing, "Departures 📅", "calendar", at(16, 11), {
      sort_order: so("196608.5"),
      settings: { dateAttributeId: A.departure, lastViewedDate: "2025-06-01" }
    }),
    view(V.deleted, B.vacation, F.destinations, "Old board view", "column", at(16, 12), { deleted: true }),
    view(V.recipes, B.recipes, F.recipes, "Recipes", "list", at(16, 13), { created_by: U.ana })
  ]

  const reference = (id: string, boardId: string, attributeId: string, from: string, to: string, time: number): SeedRow => ({
    parent: boardId,
    time: ts(time),
    entity: { id, object: "reference", attribute_id: attributeId, from_item_id: from, to_item_id: to }
  })
  const R = demoIds.references
  const references = [
    reference(R.lisbonPassport, B.vacation, A.related, I.lisbon, I.passport, at(21)),
    reference(R.lisbonSunscreen, B.vacation, A.related, I.lisbon, I.sunscreen, at(21, 10)),
    reference(R.kyotoPassport, B.vacation, A.related, I.kyoto, I.passport, at(21, 11))
  ]

  const hook = (id: string, boardId: string, userId: number, url: string, events: ReadonlyArray<string>, time: number, fields: Record<string, unknown> = {}): SeedRow => ({
    parent: boardId,
    time: ts(time),
    entity: {
      id,
      object: "hook",
      url,
      user_id: userId,
      board_id: boardId,
      secret: secretFor(id),
      events: events.map((event) => ({ event, data: null })),
      created_at: ts(time),
      deleted: false,
      ...fields
    }
  })
  const H = demoIds.hooks
  const hooks = [
    hook(H.comments, B.vacation, U.main, "https://example.com/webhook/comment-created", ["comment.created"], at(29)),
    hook(H.values, B.vacation, U.main, "https://hooks.example.com/infinity?token=abc&x=<1>", ["value.created", "value.updated"], at(30), {
      active: true // undocumented
    }),
    hook(H.anas, B.vacation, U.ana, "https://ana.example.com/hook", ["item.created"], at(31)) // not main's: never listed for main
  ]
  const hookLogs: Array<SeedRow> = [{
    parent: H.values,
    time: ts(at(30, 12)),
    entity: { id: uuid("log1"), event: "value.created", status: 200, attempt: 1, created_at: ts(at(30, 12)) }
  }]

  const attachment = (id: number, ws: number, originalName: string, bytes: Uint8Array, contentType: string, time: number): SeedAttachment => {
    const info = pathInfo(originalName)
    const stored = storedFileName(`${id}`, info.extension.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 10))
    return {
      parent: String(ws),
      time: ts(time),
      bytes,
      contentType,
      entity: {
        id,
        path: `item-files/${ws}/${stored}`,
        original_name: originalName,
        filesize: bytes.length,
        thumb: null,
        created_at: ts(time),
        updated_at: ts(time),
        team_id: ws,
        deleted_at: null,
        checked_at: null,
        extension: info.extension,
        basename: info.basename,
        filename: info.filename
      }
    }
  }
  const attachments = [
    attachment(demoIds.attachments.png, W.main, "beach.png", PNG_1X1, "image/png", at(11, 9, 20)),
    attachment(
      demoIds.attachments.unicode,
      W.main,
      "Zusammenfassung – Übersicht 📄.txt",
      utf8("Grüße aus Lissabon! 🌞\nZeile zwei.\n"),
      "text/plain",
      at(11, 9, 21)
    ),
    attachment(demoIds.attachments.evil, W.main, "../evil.sh", utf8("#!/bin/sh\necho 'pwned' > /tmp/x\n"), "application/x-sh", at(11, 10, 1)),
    attachment(demoIds.attachments.recipe, W.shared, "nata.png", PNG_1X1, "image/png", at(14, 9, 1))
  ]

  return {
    accounts: { main: U.main, target: U.target, targetWorkspace: W.target },
    tokens,
    users,
    workspaces,
    members,
    boards,
    folders,
    attributes,
    items,
    values,
    comments,
    views,
    references,
    hooks,
    hookLogs,
    attachments
  }
}

// ---------------------------------------------------------------------------------------------
// Generated seeds, for benchmarks

/**
 * `boards` boards in main's workspace, each with two folders, five attributes (text, number,
 * checkbox, label, longtext), `itemsPerBoard` items with four values each, one child item in
 * every 50, and `commentsPerItem` comments per item (default 1). Cheap to build and to hold:
 * 1 × 2,000 items with comments builds in a few milliseconds.
 */
export const generatedSeed = (o: {
  readonly boards: number
  readonly itemsPerBoard: number
  readonly commentsPerItem?: number
  readonly seed?: number
}): InfinitySeed => {
  const random = prng(o.seed ?? 1)
  const commentsPerItem = o.commentsPerItem ?? 1
  const hex32 = () => pick(random, HEX, 32)
  const uuidNext = () => uuidShape(hex32(), "4")
  const idNext = () => pick(random, BASE62, 11)
  const base = Date.UTC(2023, 0, 1)
  const empty = emptySeed()
  const ws = String(W.main)
  const boards: Array<SeedRow> = []
  const folders: Array<SeedRow> = []
  const attributes: Array<SeedRow> = []
  const items: Array<SeedRow> = []
  const values: Array<SeedRow> = []
  const comments: Array<SeedRow> = []
  const views: Array<SeedRow> = []

  for (let b = 0; b < o.boards; b++) {
    const boardId = idNext()
    const boardTime = ts(base + b * 3_600_000)
    boards.push({
      parent: ws,
      time: boardTime,
      entity: {
        id: boardId, object: "board", name: `Generated board ${b + 1}`, sort_order: so((b + 1) * 65536), color: "#4eb4f9",
        description: null, og_image: null, user_ids: [], deleted: false
      }
    })
    const labels = ["Low", "Medium", "High"].map((name) => ({ id: uuidNext(), name, color: "#92F3EC" }))
    const attribute = (name: string, type: string, defaultData: unknown, settings: unknown = []) => {
      const id = uuidNext()
      attributes.push({
        parent: boardId,
        time: boardTime,
        entity: {
          id, object: "attribute", name, type, default_data: defaultData, settings, created_by: U.main, created_at: boardTime,
          deleted: false
        }
      })
      return id
    }
    const title = attribute("Title", "text", "")
    const amount = attribute("Amount", "number", 0, { delimiter: "." })
    const done = attribute("Done", "checkbox", false)
    const priority = attribute("Priority", "label", [], { multiple: false, allowNew: false, allowEmpty: true, labels })
    const notes = attribute("Notes", "longtext", "")
    const folderIds = ["Inbox", "Done"].map((name, f) => {
      const id = idNext()
      folders.push({
        parent: boardId,
        time: boardTime,
        entity: {
          id, object: "folder", name, sort_order: so((f + 1) * 65536), color: null, settings: [],
          attribute_ids: [title, amount, done, priority, notes], parent_id: boardId, deleted: false
        }
      })
      return id
    })
    views.push({
      parent: boardId,
      time: boardTime,
      entity: {
        id: idNext(), object: "folderview", folder_id: folderIds[0], name: "List", type: "list", sort_order: so(65536),
        settings: { sort: { conditions: [{ attributeId: amount, settings: { direction: "desc" } }] } }, created_by: U.main,
        created_at: boardTime, deleted: false
      }
    })

    let previous: string | null = null
    for (let i = 0; i < o.itemsPerBoard; i++) {
      const itemId = uuidNext()
      const created = ts(base + b * 3_600_000 + (i + 1) * 1000)
      const child = i % 50 === 49 && previous !== null
      items.push({
        parent: boardId,
        time: created,
        entity: {
          id: itemId, object: "item", folder_id: folderIds[i % 7 === 6 ? 1 : 0], parent_id: child ? previous : null,
          created_at: created, sort_order: so((i + 1) * 65536), deleted: false
        }
      })
      const value = (attributeId: string, data: unknown) =>
        values.push({
          parent: itemId,
          time: created,
          entity: { id: uuidNext(), object: "value", data, attribute_id: attributeId, item_id: itemId, deleted: false }
        })
      value(title, `Item ${i + 1} of board ${b + 1}`)
      value(amount, Math.round(random() * 100_000) / 100)
      value(done, i % 3 === 0)
      value(priority, [labels[i % 3]?.id])
      for (let c = 0; c < commentsPerItem; c++) {
        comments.push({
          parent: itemId,
          time: created,
          entity: {
            id: uuidNext(), object: "comment", parent_id: null, text: `<p>Comment ${c + 1} on item ${i + 1}</p>`,
            created_at: created, created_by: U.main, deleted: false
          }
        })
      }
      previous = itemId
    }
  }
  return { ...empty, boards, folders, attributes, items, values, comments, views }
}

/**
 * `demo`, `empty` or `generated:<boards>x<items>` (e.g. `generated:1x2000`, one comment per
 * item), optionally `generated:<boards>x<items>x<comments per item>`; anything else: undefined.
 */
export const seedByName = (name: string): InfinitySeed | undefined => {
  if (name === "demo") return demoSeed()
  if (name === "empty") return emptySeed()
  const generated = /^generated:(\d+)x(\d+)(?:x(\d+))?$/.exec(name)
  if (generated === null) return undefined
  return generatedSeed({
    boards: Number(generated[1]),
    itemsPerBoard: Number(generated[2]),
    ...(generated[3] === undefined ? {} : { commentsPerItem: Number(generated[3]) })
  })
}
