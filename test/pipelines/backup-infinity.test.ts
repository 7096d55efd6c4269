import { describe, expect, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { Effect } from "effect"
import Papa from "papaparse"
import { COLLECTIONS } from "../../src/archive/collections.ts"
import { demoIds, generatedSeed } from "../../src/infinity/sandbox-seed.ts"
import { redact } from "../../src/shared/redact.ts"
import { backupInfinitySandbox, infinityOnTestClock, walkApi } from "../support/infinity-backup.ts"
import { lines, members, tempDir } from "../support/kinopio-backup.ts"

type Entity = Record<string, unknown>
// Attachment links are signed for two hours from when they were listed: two listings differ there only.
const sorted = (list: ReadonlyArray<Entity>) =>
  list.map((e) => JSON.stringify(e).replace(/([?&])(expires|signature)=[^&"]*/g, "$1$2=…")).sort()
const withContext = (e: Entity, context: Entity): Entity =>
  ({ ...e, ...Object.fromEntries(Object.entries(context).filter(([k]) => !(k in e))) })

/** What the API itself says the main account holds, page by page, outside Ferry. */
const expectedFromApi = (sandbox: Effect.Effect.Success<ReturnType<typeof infinityOnTestClock>>) =>
  Effect.gen(function*() {
    const scrub = (e: Entity) => redact(e, [sandbox.accounts.main.token]) as Entity
    const out: Record<string, Array<Entity>> = Object.fromEntries(COLLECTIONS.infinity.map((c) => [c, []]))
    const seenUsers = new Set<unknown>()
    for (const w of yield* walkApi(sandbox, "/workspaces")) {
      const ws = String(w["id"])
      out["workspaces"]!.push(w)
      for (const u of yield* walkApi(sandbox, `/workspaces/${ws}/users`)) {
        if (!seenUsers.has(u["id"])) out["users"]!.push(u)
        seenUsers.add(u["id"])
      }
      for (const b of yield* walkApi(sandbox, `/workspaces/${ws}/boards`)) {
        const board = String(b["id"])
        const scope = { board_id: b["id"], workspace_id: w["id"] }
        const base = `/workspaces/${ws}/boards/${board}`
        out["boards"]!.push(withContext(b, { workspace_id: w["id"] }))
        for (const c of ["attributes", "folders", "views", "references", "hooks"]) {
          out[c]!.push(...(yield* walkApi(sandbox, `${base}/${c}`)).map((e) => withContext(e, scope)))
        }
        for (const item of yield* walkApi(sandbox, `${base}/items`, "&expand[]=values.attribute")) {
          out["items"]!.push(withContext(item, scope))
          for (const c of yield* walkApi(sandbox, `${base}/items/${item["id"]}/comments`)) {
            out["comments"]!.push(withContext(c, { item_id: item["id"], ...scope }))
          }
        }
      }
    }
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.map(scrub)]))
  })

describe("backup infinity", () => {
  it.scoped("holds every entity field for field, every attachment byte for byte, and no hook secret", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupInfinitySandbox(sandbox, out)
      expect(summary.rateLimited).toBe(0)
      const expected = yield* expectedFromApi(yield* infinityOnTestClock({ rateLimit: false }))
      for (const collection of ["workspaces", "users", "boards", "attributes", "folders", "views", "references", "items", "comments"]) {
        const got = yield* lines(summary.archive, `data/${collection}.jsonl`)
        expect(sorted(got), collection).toEqual(sorted(expected[collection]!))
      }
      // Hooks: the same, but every secret is redacted.
      const hooks = yield* lines(summary.archive, "data/hooks.jsonl")
      expect(hooks.length).toBe(expected["hooks"]!.length)
      expect(hooks.every((h) => h["secret"] === "[redacted]")).toBe(true)
      const secrets = [...sandbox.state.hooks.values()].map((h) => String(h["secret"]))
      expect(secrets.length).toBeGreaterThan(0)
      const all = yield* members(summary.archive)
      for (const [name, text] of all) for (const s of [...secrets, sandbox.accounts.main.token]) expect(text.includes(s), name).toBe(false)

      // Attachments: metadata once each, bytes identical to what the service stores, hashed in the manifest.
      const attachments = yield* lines(summary.archive, "data/attachments.jsonl")
      expect(attachments.length).toBe(3)
      const manifest = JSON.parse(all.get("manifest.json")!) as { files: Array<{ path: string; sha256: string }> }
      const paths = new Map([
        [86245, "attachments/86245/beach.png"],
        [86246, "attachments/86246/Zusammenfassung – Übersicht 📄.txt"],
        [86247, "attachments/86247/evil.sh"] // its original name is "../evil.sh"
      ])
      for (const a of attachments) {
        const stored = sandbox.state.fileOf(Number(a["id"]))!
        const path = paths.get(Number(a["id"]))!
        const entry = manifest.files.find((f) => f.path === path)
        expect(entry?.sha256, path).toBe(createHash("sha256").update(stored.bytes).digest("hex"))
      }
      // Their metadata, field for field: the objects the items' attachments values hold, with context.
      const fromItems = expected["items"]!.flatMap((item) =>
        (item["values"] as Array<Entity>).flatMap((v) =>
          (v["attribute"] as Entity | undefined)?.["type"] === "attachments"
            ? (v["data"] as Array<Entity>).map((a) =>
              withContext(a, { item_id: item["id"], attribute_id: v["attribute_id"], board_id: item["board_id"], workspace_id: item["workspace_id"] })
            )
            : []
        )
      )
      expect(sorted(attachments)).toEqual(sorted([...new Map(fromItems.map((a) => [a["id"], a])).values()]))
    }))

  it.scoped("one sheet per folder: a column per attribute by name, labels and members by name, every type", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupInfinitySandbox(sandbox, out, { only: [demoIds.boards.vacation] })
      const all = yield* members(summary.archive)
      const sheet = [...all.keys()].find((n) => n.startsWith("csv/items/Vacation Planning-") && n.includes(demoIds.folders.destinations))
      expect(sheet).toBeDefined()
      const parsed = Papa.parse<Record<string, string>>(all.get(sheet!)!, { header: true, skipEmptyLines: true })
      expect(parsed.errors).toEqual([])
      const lisbon = parsed.data.find((r) => r["Name"] === "Lisbon")!
      expect(lisbon).toBeDefined()
      // Every attribute type of the seed has a column, its value as a person reads it.
      for (const column of ["Notes", "Done", "Budget", "Price", "Who", "Links", "Checklist", "Files", "Related", "Progress", "Rating", "Contact email", "Phone", "Departure"]) {
        expect(parsed.meta.fields, column).toContain(column)
      }
      expect(lisbon["Done"]).toBe("yes")
      expect(lisbon["Who"]).toBe("Damian Peterson; Ana Müller") // member ids → names
      expect(lisbon["Price"]).toMatch(/^\$\$/) // label ids → label names
      expect(lisbon["Files"]).toContain("beach.png")
      expect(lisbon["Checklist"]).toContain("[x] Book flights")
      expect(lisbon["Related"]).toContain("Passport") // referenced items by title
      expect(lisbon["Related"]).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/) // not as raw ids
      const child = parsed.data.find((r) => r["Name"] === "Day 1: Golden Circle")!
      expect(child["parent"]).toBe("Reykjavík")
    }))

  it.scoped("Markdown per board: folders as sections, child items nested under their parents, comments as quotes", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupInfinitySandbox(sandbox, out, { only: [demoIds.boards.vacation] })
      const all = yield* members(summary.archive)
      const doc = [...all.entries()].find(([n]) => n.startsWith("markdown/Vacation Planning-"))![1]
      const at = (line: string) => doc.split("\n").indexOf(line)
      expect(at("## Destinations")).toBeGreaterThan(0)
      expect(at("### Reykjavík")).toBeGreaterThan(at("## Destinations"))
      expect(at("#### Day 1: Golden Circle")).toBeGreaterThan(at("### Reykjavík"))
      expect(at("##### Blue Lagoon 💙")).toBeGreaterThan(at("#### Day 1: Golden Circle"))
      expect(doc).toContain("> Reminder to myself: Check the calendar")
      expect(doc).not.toContain("alert(") // a script in a comment is not text
      expect(doc).toContain("&lt;not a tag>") // an escaped tag stays visible text, never markup
    }))

  it.scoped("pages smaller than asked, and a page retried after a 500, lose nothing and repeat nothing", () =>
    Effect.gen(function*() {
      let itemPages = 0
      const sandbox = yield* infinityOnTestClock({
        seed: generatedSeed({ boards: 1, itemsPerBoard: 60, commentsPerItem: 1 }),
        pageCap: 7,
        // The second page of items fails once with a 500.
        faults: ({ path }) => (path.endsWith("/items") && ++itemPages === 2 ? "error500" : "none")
      })
      const out = yield* tempDir
      const summary = yield* backupInfinitySandbox(sandbox, out)
      const items = yield* lines(summary.archive, "data/items.jsonl")
      expect(items).toHaveLength(60)
      expect(new Set(items.map((i) => i["id"])).size).toBe(60)
      expect(itemPages).toBe(Math.ceil(60 / 7) + 1) // every page once, the failed one twice
      expect(summary.retries).toBe(1)
      const comments = yield* lines(summary.archive, "data/comments.jsonl")
      expect(comments).toHaveLength(60)
      expect(comments.every((c) => typeof c["item_id"] === "string")).toBe(true)
    }))

  it.scoped("a 429 pauses for Retry-After and the backup completes with nothing lost", () =>
    Effect.gen(function*() {
      const clean = yield* infinityOnTestClock()
      const out = yield* tempDir
      const reference = yield* backupInfinitySandbox(clean, `${out}/clean`)
      const sandbox = yield* infinityOnTestClock({ rateLimit: { perMinute: 20 } })
      const summary = yield* backupInfinitySandbox(sandbox, `${out}/limited`)
      // At 20 per minute a 2.7/s budget runs into the limit; each 429 is waited out, never lost.
      expect(summary.rateLimited).toBeGreaterThan(0)
      for (const collection of COLLECTIONS.infinity) {
        expect(sorted(yield* lines(summary.archive, `data/${collection}.jsonl`)), collection).toEqual(
          sorted(yield* lines(reference.archive, `data/${collection}.jsonl`))
        )
      }
    }))

  it.scoped("--workspace and --board narrow the backup; users appear once however many workspaces they are in", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock()
      const out = yield* tempDir
      const all = yield* backupInfinitySandbox(sandbox, `${out}/all`)
      const users = yield* lines(all.archive, "data/users.jsonl")
      expect(new Set(users.map((u) => u["id"])).size).toBe(users.length)
      const one = yield* backupInfinitySandbox(sandbox, `${out}/one`, { workspaces: [String(demoIds.workspaces.shared)] })
      const boards = yield* lines(one.archive, "data/boards.jsonl")
      expect(boards.length).toBeGreaterThan(0)
      expect(boards.every((b) => b["workspace_id"] === demoIds.workspaces.shared)).toBe(true)
      const workspaces = yield* lines(one.archive, "data/workspaces.jsonl")
      expect(workspaces.map((w) => w["id"])).toEqual([demoIds.workspaces.shared])
      const board = yield* backupInfinitySandbox(sandbox, `${out}/board`, { only: [demoIds.boards.emoji, "no-such-board"] })
      expect((yield* lines(board.archive, "data/boards.jsonl")).map((b) => b["id"])).toEqual([demoIds.boards.emoji])
      expect((yield* lines(board.archive, "data/items.jsonl")).every((i) => i["board_id"] === demoIds.boards.emoji)).toBe(true)
      expect(board.warnings.map((w) => w.message)).toContain("board no-such-board is not among the boards this account can see; skipped")
    }))

  it.scoped("a file the service refuses (an expired link) is reported, and everything else is kept", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock()
      const out = yield* tempDir
      const summary = yield* backupInfinitySandbox(sandbox, out, {
        intercept: (url) => (url.includes("/storage/") && url.includes(".sh") ? new Response("expired", { status: 403 }) : undefined)
      })
      const all = yield* members(summary.archive)
      expect([...all.keys()].filter((n) => n.startsWith("attachments/"))).toEqual([
        "attachments/86245/beach.png",
        "attachments/86246/Zusammenfassung – Übersicht 📄.txt"
      ])
      expect((yield* lines(summary.archive, "data/attachments.jsonl")).map((a) => a["id"]).sort()).toEqual([86245, 86246, 86247])
      expect(summary.warnings.some((w) => w.message.startsWith("attachments/86247/evil.sh: not in the archive"))).toBe(true)
    }))

  it.scoped("a second backup copies unchanged attachment bytes from the first instead of downloading them again", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock()
      const out = yield* tempDir
      const first = yield* backupInfinitySandbox(sandbox, out)
      const firstMembers = yield* members(first.archive)
      const files = [...firstMembers.keys()].filter((name) => name.startsWith("attachments/"))
      expect(files.length).toBeGreaterThan(0)
      const second = yield* backupInfinitySandbox(sandbox, out)
      expect(second.carriedOver?.units["attachments"]).toBe(files.length)
      // Everything else has no modification time to trust: fetched again; only the downloads are saved.
      expect(second.requests).toBe(first.requests - files.length)
      const secondMembers = yield* members(second.archive)
      for (const name of files) expect(secondMembers.get(name), name).toBe(firstMembers.get(name))
      expect(second.entities).toEqual(first.entities)
    }))
})
