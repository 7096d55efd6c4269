import { createHash } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import { RestoreTarget } from "../../src/connector.ts"
import { progressLayer } from "../../pipelines/progress.ts"
import { migrate } from "../../pipelines/migrate.ts"
import { archiveCollections, planRestore, runRestore } from "../../pipelines/restore.ts"
import { Infinity, type InfinityClient, makeInfinityClient, type Pages } from "../../src/infinity/client.ts"
import { attachmentPath, InfinitySourceLive } from "../../src/infinity/connector.ts"
import { type InfinityTargetOptions, infinityTargetLayer } from "../../src/infinity/restore.ts"
import { INFINITY_SANDBOX_BASE_URL, type InfinitySandbox, infinitySandboxFetchLayer } from "../../src/infinity/sandbox.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { backupInfinitySandbox, demoArchiveForFile, infinityOnTestClock } from "../support/infinity-backup.ts"
import { lines, tempDir } from "../support/kinopio-backup.ts"
import { advancing } from "../support/time.ts"

type Entity = Record<string, unknown>

const defaults: InfinityTargetOptions = { withHooks: false, inviteMembers: false }

/** Ferry's real Infinity target over the in-process sandbox, writing as its target account. */
const targetLayer = (sandbox: InfinitySandbox, options: InfinityTargetOptions, fetchLayer = infinitySandboxFetchLayer(sandbox)) =>
  infinityTargetLayer(options).pipe(
    Layer.provide(Infinity.layer({ baseUrl: INFINITY_SANDBOX_BASE_URL, token: Redacted.make(sandbox.accounts.target.token), budget: 0.9 })),
    Layer.provide(FetchHttpClient.layer),
    Layer.provide(fetchLayer)
  )

const restore = (
  sandbox: InfinitySandbox,
  archive: string,
  options: InfinityTargetOptions = defaults,
  fetchLayer?: Layer.Layer<FetchHttpClient.Fetch>
) =>
  Effect.flatMap(archiveCollections(archive, "infinity"), (collections) =>
    runRestore(archive, collections).pipe(
      Effect.provide(Layer.merge(targetLayer(sandbox, options, fetchLayer), progressLayer({ mode: "silent", label: "test" })))
    )).pipe(Effect.provide(RateBudgets.layer), Effect.provide(NodeContext.layer))

/** A client of the target account, outside the restore, to read what it holds. */
const targetClient = (sandbox: InfinitySandbox) =>
  makeInfinityClient({ baseUrl: INFINITY_SANDBOX_BASE_URL, token: Redacted.make(sandbox.accounts.target.token), budget: 1, perSecond: 1000 }).pipe(
    Effect.provide(Layer.mergeAll(RateBudgets.layer, FetchHttpClient.layer.pipe(Layer.provide(infinitySandboxFetchLayer(sandbox)))))
  )

const all = (pages: Pages) => Effect.map(Stream.runCollect(pages), (c) => Chunk.toReadonlyArray(c).flatMap((p) => [...p.value]) as Array<Entity>)

/** Everything the target workspace holds, read through the API. */
const targetHolds = (sandbox: InfinitySandbox, client: InfinityClient) =>
  Effect.gen(function*() {
    const ws = String(sandbox.accounts.target.workspaceId)
    const boards = yield* all(client.boards(ws))
    const folders: Array<Entity> = [], attributes: Array<Entity> = [], views: Array<Entity> = [], items: Array<Entity> = []
    const references: Array<Entity> = [], comments: Array<Entity> = [], hooks: Array<Entity> = []
    for (const b of boards) {
      const id = String(b["id"])
      const scope = { board_name: b["name"] }
      folders.push(...(yield* all(client.folders(ws, id))).map((e) => ({ ...e, ...scope })))
      attributes.push(...(yield* all(client.attributes(ws, id))).map((e) => ({ ...e, ...scope })))
      views.push(...(yield* all(client.views(ws, id))).map((e) => ({ ...e, ...scope })))
      const boardItems: Array<Entity> = (yield* all(client.items(ws, id))).map((e) => ({ ...e, ...scope }))
      items.push(...boardItems)
      references.push(...(yield* all(client.references(ws, id))))
      hooks.push(...(yield* all(client.hooks(ws, id))))
      for (const item of boardItems) comments.push(...(yield* all(client.comments(ws, id, String(item["id"])))).map((c) => ({ ...c, item_id: item["id"] })))
    }
    return { boards, folders, attributes, views, items, references, comments, hooks }
  })

/** What the archive holds that a restore re-creates (nothing deleted, nothing inside something deleted). */
const archived = (archive: string) =>
  Effect.gen(function*() {
    const read = (c: string) => lines(archive, `data/${c}.jsonl`)
    const live = (list: ReadonlyArray<Entity>) => list.filter((e) => e["deleted"] !== true)
    const boards = live(yield* read("boards"))
    const folders = live(yield* read("folders"))
    const folderIds = new Set(folders.map((f) => f["id"]))
    const items = live(yield* read("items")).filter((i) => folderIds.has(i["folder_id"]))
    const itemIds = new Set(items.map((i) => i["id"]))
    return {
      boards,
      folders,
      attributes: live(yield* read("attributes")),
      views: live(yield* read("views")).filter((v) => folderIds.has(v["folder_id"])),
      items,
      comments: live(yield* read("comments")).filter((c) => itemIds.has(c["item_id"])),
      references: yield* read("references"),
      hooks: yield* read("hooks"),
      attachments: yield* read("attachments"),
      users: yield* read("users")
    }
  })

/** An item's title: its first text value ("Name"/"Title"), which the demo keeps distinct per board. */
const titleOf = (item: Entity, attributes: ReadonlyArray<Entity>) => {
  const texts = new Set(attributes.filter((a) => a["type"] === "text" && a["deleted"] !== true && /^(Name|Title)/.test(String(a["name"]))).map((a) => a["id"]))
  const value = (item["values"] as Array<Entity> | undefined ?? []).find((v) => texts.has(v["attribute_id"]))
  return String(value?.["data"] ?? "")
}

/** Every value of an item as a person reads it (labels by name, attachments by file name), reference values aside. */
const displayed = (item: Entity, attributes: ReadonlyArray<Entity>, people: ReadonlyMap<unknown, string>) => {
  const byId = new Map(attributes.map((a) => [a["id"], a]))
  const out: Record<string, string> = {}
  for (const v of (item["values"] as Array<Entity> | undefined) ?? []) {
    const a = byId.get(v["attribute_id"])
    if (a === undefined || a["deleted"] === true || a["type"] === "reference") continue
    const data = v["data"]
    const labels = new Map(((a["settings"] as Entity)["labels"] as Array<Entity> | undefined ?? []).map((l) => [l["id"], l["name"]]))
    const shown = a["type"] === "label"
      ? (data as Array<unknown>).map((l) => labels.get(l)).join("; ")
      : a["type"] === "members"
      ? (data as Array<unknown>).map((u) => people.get(u) ?? `absent ${String(u)}`).join("; ")
      : a["type"] === "attachments"
      ? (data as Array<Entity>).map((f) => f["original_name"]).join("; ")
      : JSON.stringify(data)
    out[String(a["name"])] = shown
  }
  return out
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

const downloadHash = (client: InfinityClient, link: string) =>
  client.download<string, never, never>(link, (bytes) =>
    Effect.map(Stream.runFold(bytes, createHash("sha256"), (h, c) => h.update(c)), (h) => h.digest("hex")))

const writesIn = (sandbox: InfinitySandbox) => [...sandbox.stats.byRoute].filter(([route]) => !route.startsWith("GET")).reduce((n, [, c]) => n + c, 0)

/** The target holds each restorable entity of the archive once: counts equal, none twice. */
const expectWhole = (sandbox: InfinitySandbox, archive: string) =>
  Effect.gen(function*() {
    const client = yield* targetClient(sandbox)
    const held = yield* advancing(targetHolds(sandbox, client))
    const want = yield* archived(archive)
    expect(held.boards.map((b) => b["name"]).sort()).toEqual(want.boards.map((b) => b["name"]).sort())
    expect(held.folders.length).toBe(want.folders.length)
    expect(held.attributes.length).toBe(want.attributes.length)
    expect(held.views.length).toBe(want.views.length)
    expect(held.items.length).toBe(want.items.length)
    expect(held.references.length).toBe(want.references.length)
    expect(held.comments.map((c) => c["text"]).sort()).toEqual(want.comments.map((c) => c["text"]).sort())
    const titles = held.items.map((i) => `${String(i["board_name"])}/${titleOf(i, held.attributes)}`)
    expect(new Set(titles).size).toBe(titles.length)
    return { held, want, client }
  })

describe("restore infinity", () => {
  it.scoped("a demo account restored into an empty workspace is the same modulo ids: values, parents, references, comments, attachment bytes", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupInfinitySandbox(sandbox, out)
      const journal = join(out, "restore-journal.jsonl")
      const planned = yield* advancing(
        Effect.flatMap(archiveCollections(backup.archive, "infinity"), planRestore).pipe(
          Effect.provide(targetLayer(sandbox, { ...defaults, journal })),
          Effect.provide(RateBudgets.layer),
          Effect.provide(NodeContext.layer)
        )
      )
      const summary = yield* advancing(restore(sandbox, backup.archive, { ...defaults, journal }), { step: "500 millis", limit: "2 hours" })
      expect(summary.differences).toEqual([])
      expect(summary.rateLimited).toBe(0)
      const { client, held, want } = yield* expectWhole(sandbox, backup.archive)
      expect(held.hooks).toEqual([]) // not without --with-hooks
      // The plan said how many requests it would take, reads and the check included.
      expect(summary.requests).toBe(planned.requests)

      // Values as a person reads them, item by item (matched by board and title).
      const people = new Map<unknown, string>([[sandbox.accounts.target.userId, "Restore Target"]])
      const sourceBoards = new Map(want.boards.map((b) => [b["id"], b["name"]]))
      const key = (board: unknown, item: Entity, attributes: ReadonlyArray<Entity>) => `${String(board)}/${titleOf(item, attributes)}`
      const sourceAttributes = yield* lines(backup.archive, "data/attributes.jsonl")
      const targetByKey = new Map(held.items.map((i) => [key(i["board_name"], i, held.attributes), i]))
      const sourceById = new Map(want.items.map((i) => [i["id"], i]))
      const targetById = new Map(held.items.map((i) => [i["id"], i]))
      for (const item of want.items) {
        const k = key(sourceBoards.get(item["board_id"]), item, sourceAttributes)
        const there = targetByKey.get(k)
        expect(there, k).toBeDefined()
        const expected = displayed(item, sourceAttributes, new Map())
        // Nobody the archive names is a member of the target workspace: those values are not restored.
        for (const [name, text] of Object.entries(expected)) if (text.startsWith("absent")) delete expected[name]
        expect(displayed(there!, held.attributes, people), k).toEqual(expected)
        // Parent links point at the same item.
        const parent = item["parent_id"] === null ? undefined : sourceById.get(item["parent_id"])
        const targetParent = there!["parent_id"] === null ? undefined : targetById.get(there!["parent_id"])
        expect(targetParent === undefined ? undefined : titleOf(targetParent, held.attributes), k).toBe(parent === undefined ? undefined : titleOf(parent, sourceAttributes))
      }
      // Items take no sort_order (none documented): the service numbers them, in the archive's order within each folder.
      for (const a of want.items) {
        for (const b of want.items) {
          if (a["folder_id"] !== b["folder_id"] || !(Number(a["sort_order"]) < Number(b["sort_order"]))) continue
          const ta = targetByKey.get(key(sourceBoards.get(a["board_id"]), a, sourceAttributes))!
          const tb = targetByKey.get(key(sourceBoards.get(b["board_id"]), b, sourceAttributes))!
          expect(Number(ta["sort_order"]), `${titleOf(a, sourceAttributes)} before ${titleOf(b, sourceAttributes)}`).toBeLessThan(Number(tb["sort_order"]))
        }
      }
      const lisbon = displayed(targetByKey.get("Vacation Planning/Lisbon")!, held.attributes, people)
      expect(lisbon["Price"]).toBe("$$; $$$$ <b>lux</b>")
      expect(lisbon["Files"]).toBe("beach.png; Zusammenfassung – Übersicht 📄.txt")
      expect(lisbon["Who"]).toBeUndefined()
      // References join the same items.
      const ends = (refs: ReadonlyArray<Entity>, items: ReadonlyMap<unknown, Entity>, attributes: ReadonlyArray<Entity>) =>
        refs.map((r) => `${titleOf(items.get(r["from_item_id"])!, attributes)}→${titleOf(items.get(r["to_item_id"])!, attributes)}`).sort()
      expect(ends(held.references, targetById, held.attributes)).toEqual(ends(want.references, sourceById, sourceAttributes))
      // Comments stay on their item, in their order.
      const commentsOf = (comments: ReadonlyArray<Entity>, items: ReadonlyMap<unknown, Entity>, attributes: ReadonlyArray<Entity>) =>
        comments.map((c) => `${titleOf(items.get(c["item_id"])!, attributes)}: ${String(c["text"])}`)
      expect(commentsOf(held.comments, targetById, held.attributes).sort()).toEqual(commentsOf(want.comments, sourceById, sourceAttributes).sort())
      // Attachment bytes, downloaded from the target, equal the archive's.
      const archivedNames = new Set(want.attachments.map((a) => a["original_name"]))
      const collections = yield* archiveCollections(backup.archive, "infinity").pipe(Effect.provide(NodeContext.layer))
      const archivedBytes = yield* Effect.forEach(want.attachments, (a) =>
        Effect.map(
          Stream.runCollect(collections.readFile!(attachmentPath(a))),
          (chunks) => [a["original_name"], sha256(Buffer.concat([...chunks]))] as const
        ))
      const files = held.items.flatMap((i) => ((i["values"] as Array<Entity>) ?? []).flatMap((v) => Array.isArray(v["data"]) ? (v["data"] as Array<unknown>) : []))
        .filter((d): d is Entity => typeof d === "object" && d !== null && "link" in d)
      expect(files.length).toBe(want.attachments.length)
      for (const f of files) {
        expect(archivedNames.has(f["original_name"])).toBe(true)
        const hash = yield* advancing(downloadHash(client, String(f["link"])))
        expect(hash).toBe(new Map(archivedBytes).get(f["original_name"]))
      }
      // Labels and folders.
      expect(held.attributes.filter((a) => a["type"] === "label").map((a) => ((a["settings"] as Entity)["labels"] as Array<Entity>).map((l) => l["name"])))
        .toEqual(want.attributes.filter((a) => a["type"] === "label").map((a) => ((a["settings"] as Entity)["labels"] as Array<Entity>).map((l) => l["name"])))
      const nested = held.folders.find((f) => f["name"] === "Archive / 2019")!
      expect(held.folders.find((f) => f["id"] === nested["parent_id"])?.["name"]).toBe("Destinations")
      expect(held.folders.find((f) => f["name"] === "Destinations")!["attribute_ids"]).toHaveLength(16)
      // What could not come back is said: deleted entities, absent members, reply threading, undocumented fields.
      const warnings = summary.warnings.join("\n")
      expect(warnings).toContain("deleted in the archive")
      expect(warnings).toContain("ana.mueller@example.com is not a member of the target workspace")
      expect(warnings).toContain("parent_id: not restored")
      expect(warnings).toContain("webhooks call outside the target account")
      // A second run finds everything there and creates nothing.
      const writes = writesIn(sandbox)
      const again = yield* advancing(restore(sandbox, backup.archive, { ...defaults, journal }), { step: "500 millis", limit: "2 hours" })
      expect(again.differences).toEqual([])
      expect(writesIn(sandbox)).toBe(writes)
      expect(Object.values(again.collections).every((c) => c.created === 0)).toBe(true)

      // The check sees what goes missing afterwards.
      const gone = held.references[0]!
      const board = held.boards.find((b) => b["name"] === "Vacation Planning")!
      yield* HttpClient.execute(
        HttpClientRequest.del(`${INFINITY_SANDBOX_BASE_URL}/api/v2/workspaces/${sandbox.accounts.target.workspaceId}/boards/${String(board["id"])}/references/${String(gone["id"])}`).pipe(
          HttpClientRequest.setHeader("Authorization", `Bearer ${sandbox.accounts.target.token}`)
        )
      ).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(infinitySandboxFetchLayer(sandbox)))
      const problems = yield* advancing(
        Effect.flatMap(RestoreTarget, (t) => t.check(collections)).pipe(
          Effect.provide(targetLayer(sandbox, { ...defaults, journal })),
          Effect.provide(RateBudgets.layer)
        )
      )
      expect(problems).toHaveLength(1)
      expect(problems[0]).toMatch(/^references \S+: missing from the target$/)
    }))

  it.scoped("--with-hooks re-creates the account's own hooks (new secrets, never written); --invite-members invites the people values name", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupInfinitySandbox(sandbox, out)
      const journal = join(out, "restore-journal.jsonl")
      const summary = yield* advancing(restore(sandbox, backup.archive, { withHooks: true, inviteMembers: true, journal }), { step: "500 millis", limit: "2 hours" })
      expect(summary.differences).toEqual([])
      const { held, want } = yield* expectWhole(sandbox, backup.archive)
      expect(held.hooks.map((h) => h["url"]).sort()).toEqual(want.hooks.map((h) => h["url"]).sort())
      // Not on a terminal here: each new hook is reported, its secret is not (it is shown only on a terminal).
      expect(summary.warnings.filter((w) => w.includes("its new secret is shown only on a terminal"))).toHaveLength(want.hooks.length)
      const secrets = held.hooks.map((h) => String(h["secret"]))
      const text = readFileSync(journal, "utf8")
      for (const s of secrets) expect(text.includes(s)).toBe(false)
      // Members now exist in the target, so member values came back.
      const lisbon = held.items.find((i) => titleOf(i, held.attributes) === "Lisbon")!
      const who = held.attributes.find((a) => a["name"] === "Who")!
      const value = (lisbon["values"] as Array<Entity>).find((v) => v["attribute_id"] === who["id"])
      expect((value?.["data"] as Array<unknown>).length).toBe(2)
      const members = sandbox.state.members.get(sandbox.accounts.target.workspaceId)!
      expect(members.size).toBe(1 + want.users.length)
    }))

  it.scoped("writes whose answer breaks off or that fail with a 503 are looked for before being sent again: nothing twice", () =>
    Effect.gen(function*() {
      let faulty = false
      const faults: Array<string> = []
      const sandbox = yield* infinityOnTestClock({
        rateLimit: false,
        faults: ({ method, n, path }) => {
          if (!faulty || method === "GET" || n % 4 !== 0) return "none"
          faults.push(`${n % 8 === 0 ? "503" : "drop"} ${method} ${path}`)
          return n % 8 === 0 ? "error503" : "drop"
        }
      })
      const out = yield* tempDir
      const backup = yield* backupInfinitySandbox(sandbox, out)
      faulty = true
      const summary = yield* advancing(restore(sandbox, backup.archive, { ...defaults, journal: join(out, "journal.jsonl") }), { step: "500 millis", limit: "2 hours" })
      faulty = false
      expect(summary.differences).toEqual([])
      const { want } = yield* expectWhole(sandbox, backup.archive)
      expect(faults.filter((f) => f.startsWith("drop") && /\/(boards|comments|references)$/.test(f)).length).toBeGreaterThan(0)
      const droppedUploads = faults.filter((f) => f.startsWith("drop") && f.endsWith("/attachments/file")).length
      const uploads = [...sandbox.state.attachments.values()].filter((a) => a["team_id"] === sandbox.accounts.target.workspaceId).length
      expect(uploads).toBe(want.attachments.length + droppedUploads)
    }))

  it.scoped("--dry-run plans without a single write", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupInfinitySandbox(sandbox, out)
      const before = writesIn(sandbox)
      const plan = yield* advancing(
        Effect.flatMap(archiveCollections(backup.archive, "infinity"), planRestore).pipe(
          Effect.provide(targetLayer(sandbox, { ...defaults, withHooks: true, inviteMembers: true, journal: join(out, "journal.jsonl") })),
          Effect.provide(RateBudgets.layer),
          Effect.provide(NodeContext.layer)
        )
      )
      expect(writesIn(sandbox)).toBe(before)
      const want = yield* archived(backup.archive)
      const step = (c: string) => plan.steps.find((s) => s.collection === c)!
      expect(step("boards").entities).toBe(want.boards.length)
      expect(step("items").entities).toBe(want.items.length)
      expect(step("comments").entities).toBe(want.comments.length)
      expect(step("hooks").entities).toBe(want.hooks.length)
      expect(step("users").entities).toBeGreaterThan(0) // invites are listed before they are sent
      expect(step("attachments").entities).toBe(want.attachments.length)
      expect(plan.requests).toBeGreaterThan(plan.steps.reduce((n, s) => n + s.requests, 0))
      expect(plan.notRestored.some((n) => n.collection === "comments" && n.field === "parent_id")).toBe(true)
      // Without a journal write either.
      expect(existsSync(join(out, "journal.jsonl"))).toBe(false)
    }))

  it.scoped("more than one workspace and none chosen: refused before any write, naming --workspace", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const backup = yield* backupInfinitySandbox(sandbox, out)
      // Restoring as main, who has two workspaces.
      const layer = infinityTargetLayer(defaults).pipe(
        Layer.provide(Infinity.layer({ baseUrl: INFINITY_SANDBOX_BASE_URL, token: Redacted.make(sandbox.accounts.main.token), budget: 0.9 })),
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(infinitySandboxFetchLayer(sandbox))
      )
      const before = writesIn(sandbox)
      const error = yield* Effect.flip(advancing(
        Effect.flatMap(archiveCollections(backup.archive, "infinity"), planRestore).pipe(
          Effect.provide(layer),
          Effect.provide(RateBudgets.layer),
          Effect.provide(NodeContext.layer)
        )
      ))
      expect(error._tag).toBe("BadInput")
      expect(error.message).toContain("--workspace ID")
      expect(writesIn(sandbox)).toBe(before)
    }))

  // One backup of the demo account for all of them (every sandbox starts from the same seed).
  const shared = demoArchiveForFile()

  // In the demo's order: 1-4 reads (account, workspaces, users, boards), 5-7 uploads, 8-13 boards,
  // 14-20 folders, 21-40 attributes, 41-47 folders' attribute_ids, 48-51 views, 52-66 items,
  // 67-69 parent links, 70-72 references, 73-77 comments, then the check's reads.
  for (const stopAt of [3, 6, 8, 11, 15, 25, 40, 44, 50, 60, 68, 71, 75, 77]) {
    it.scoped(`stopped after ${stopAt} requests, with the last one carried out but never answered, a re-run creates nothing twice and misses nothing`, () =>
      Effect.gen(function*() {
        const sandbox = yield* infinityOnTestClock({ rateLimit: false })
        const out = yield* tempDir
        const backup = { archive: shared.archive }
        const journal = join(out, "restore-journal.jsonl")
        const stopped = yield* Deferred.make<void>()
        const inner = infinitySandboxFetchLayer(sandbox)
        let sent = 0
        let last = ""
        // The stopAt-th request reaches the service and is carried out; its answer never comes back.
        const dying = Layer.effect(
          FetchHttpClient.Fetch,
          Effect.map(FetchHttpClient.Fetch, (fetch) =>
            ((input: RequestInfo | URL, init?: RequestInit) => {
              if (++sent < stopAt) return fetch(input, init)
              last = `${init?.method ?? "GET"} ${new URL(input instanceof Request ? input.url : String(input)).pathname}`
              return fetch(input, init).then(() => {
                Deferred.unsafeDone(stopped, Effect.void)
                return new Promise<Response>(() => {})
              })
            }) as typeof globalThis.fetch)
        ).pipe(Layer.provide(inner))
        const first = yield* Effect.fork(advancing(restore(sandbox, backup.archive, { ...defaults, journal }, dying), { step: "500 millis", limit: "2 hours" }))
        yield* Deferred.await(stopped)
        yield* Fiber.interrupt(first)
        const summary = yield* advancing(restore(sandbox, backup.archive, { ...defaults, journal }), { step: "500 millis", limit: "2 hours" })
        expect(summary.differences).toEqual([])
        const { want } = yield* expectWhole(sandbox, backup.archive)
        // Uploads are the one create that cannot be looked for (the API lists no attachments):
        // one cut off unanswered is sent again, and the first copy is referenced by nothing.
        const uploads = [...sandbox.state.attachments.values()].filter((a) => a["team_id"] === sandbox.accounts.target.workspaceId).length
        expect(uploads).toBe(want.attachments.length + (last.endsWith("/attachments/file") ? 1 : 0))
      }))
  }

  it.scoped("migrate infinity --to infinity: account to account, attachments included, with no archive on disk", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock({ rateLimit: false })
      const source = InfinitySourceLive.pipe(
        Layer.provide(Infinity.layer({ baseUrl: INFINITY_SANDBOX_BASE_URL, token: Redacted.make(sandbox.accounts.main.token), budget: 0.9 })),
        Layer.provide(FetchHttpClient.layer),
        Layer.provide(infinitySandboxFetchLayer(sandbox))
      )
      const outcome = yield* advancing(
        migrate({ secrets: [sandbox.accounts.main.token], dryRun: false }).pipe(
          Effect.provide(Layer.mergeAll(source, targetLayer(sandbox, defaults), progressLayer({ mode: "silent", label: "test" })))
        )
      ).pipe(Effect.provide(RateBudgets.layer), Effect.provide(NodeContext.layer))
      expect(outcome._tag).toBe("Migrated")
      if (outcome._tag !== "Migrated") return
      expect(outcome.summary.differences.filter((d) => d.endsWith("missing from the target"))).toEqual([])
      expect(outcome.summary.collections["attachments"]?.created).toBe(3)
      expect(outcome.summary.collections["items"]?.created).toBeGreaterThan(0)
    }))
})
