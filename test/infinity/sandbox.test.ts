import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import {
  INFINITY_SANDBOX_BASE_URL,
  INFINITY_SANDBOX_RATE_LIMIT,
  type InfinitySandbox,
  type InfinitySandboxOptions,
  infinitySandboxFetchLayer,
  infinitySandboxMounts,
  makeInfinitySandbox
} from "../../src/infinity/sandbox.ts"
import { demoIds, demoSeed, emptySeed, generatedSeed, seedByName } from "../../src/infinity/sandbox-seed.ts"
import { makeKinopioSandbox } from "../../src/kinopio/sandbox.ts"
import { demoSeed as kinopioDemoSeed } from "../../src/kinopio/sandbox-seed.ts"
import { serveSandbox } from "../../src/sandbox/server.ts"

type Entity = Record<string, any>
const W = demoIds.workspaces
const B = demoIds.boards
const F = demoIds.folders
const A = demoIds.attributes
const I = demoIds.items
const VACATION = `/api/v2/workspaces/${W.main}/boards/${B.vacation}`

/** A demo sandbox on the test clock; the rate limit is off unless a test turns it on. */
const sandboxOnTestClock = (options: Partial<InfinitySandboxOptions> = {}) =>
  Effect.map(TestClock.testClock(), (clock) =>
    makeInfinitySandbox({ seed: demoSeed(), now: () => clock.unsafeCurrentTimeMillis(), rateLimit: false, ...options }))

interface Call {
  /** The whole Authorization header; default `Bearer <main token>`; null sends none. */
  readonly auth?: string | null
  readonly body?: unknown
  readonly form?: FormData
}

/** One request through @effect/platform's HttpClient, straight into the sandbox (no socket). */
const call = (sandbox: InfinitySandbox, method: "GET" | "POST" | "PUT" | "DELETE", path: string, options: Call = {}) =>
  Effect.gen(function*() {
    let request = HttpClientRequest.make(method)(path.startsWith("http") ? path : INFINITY_SANDBOX_BASE_URL + path)
    const auth = options.auth === undefined ? `Bearer ${sandbox.accounts.main.token}` : options.auth
    if (auth !== null) request = HttpClientRequest.setHeader(request, "Authorization", auth)
    if (options.body !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, options.body)
    if (options.form !== undefined) request = HttpClientRequest.bodyFormData(request, options.form)
    const response = yield* (yield* HttpClient.HttpClient).execute(request)
    const bytes = new Uint8Array(yield* response.arrayBuffer)
    const text = new TextDecoder().decode(bytes)
    const json = (response.headers["content-type"] ?? "").includes("json")
    return { status: response.status, headers: response.headers, bytes, body: (json ? JSON.parse(text) : text) as any }
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(infinitySandboxFetchLayer(sandbox)))

const asTarget = (sandbox: InfinitySandbox) => ({ auth: `Bearer ${sandbox.accounts.target.token}` })

/** Every page of a list, following `after` until `has_more` is false. */
const walk = (sandbox: InfinitySandbox, path: string, query: string) =>
  Effect.gen(function*() {
    const pages: Array<Entity> = []
    let after = ""
    for (let guard = 0; guard < 500; guard++) {
      const page = yield* call(sandbox, "GET", `${path}?${query}${after === "" ? "" : `&after=${encodeURIComponent(after)}`}`)
      expect(page.status).toBe(200)
      pages.push(page.body)
      if (!page.body.has_more) break
      after = page.body.after
    }
    return pages
  })

const ids = (entities: ReadonlyArray<Entity>) => entities.map((e) => e["id"])
const decode = (cursor: string) => Buffer.from(cursor, "base64").toString("utf8")

describe("Infinity sandbox", () => {
  it.effect("takes `Bearer <token>` only, and says 401/403/404 in Laravel's words", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const { token, userId } = sandbox.accounts.main

      const me = yield* call(sandbox, "GET", "/api/v2/profile")
      expect(me.status).toBe(200)
      expect(me.body).toMatchObject({ id: userId, object: "user", is_developer: true, deleted: false })
      expect(me.body.preferences).toMatchObject({ theme: "dark" })
      expect(me.body.timezone).toBe("Europe/Lisbon") // undocumented fields kept

      const raw = yield* call(sandbox, "GET", "/api/v2/profile", { auth: token })
      expect(raw).toMatchObject({ status: 401, body: { message: "Unauthenticated." } })
      expect(JSON.stringify(raw.body)).not.toContain(token)
      expect((yield* call(sandbox, "GET", "/api/v2/profile", { auth: null })).status).toBe(401)
      expect((yield* call(sandbox, "GET", "/api/v2/profile", { auth: "Bearer not-a-token" })).status).toBe(401)
      expect((yield* call(sandbox, "GET", "/api/v2/profile", { auth: `bearer ${token}` })).status).toBe(200)

      // not a member of the workspace, or not of the board: 403; unknown (or elsewhere): 404
      expect(yield* call(sandbox, "GET", `/api/v2/workspaces/${W.outsider}/boards`)).toMatchObject({
        status: 403,
        body: { message: "This action is unauthorized." }
      })
      expect((yield* call(sandbox, "GET", `/api/v2/workspaces/${W.shared}/boards/${B.anaPrivate}`)).status).toBe(403)
      expect((yield* call(sandbox, "GET", `/api/v2/workspaces/${W.shared}/boards/${B.recipes}`)).status).toBe(200)
      expect((yield* call(sandbox, "GET", "/api/v2/workspaces/999999/boards")).status).toBe(404)
      expect((yield* call(sandbox, "GET", `/api/v2/workspaces/${W.main}/boards/NoSuchBoard`)).status).toBe(404)
      expect((yield* call(sandbox, "GET", `/api/v2/workspaces/${W.main}/boards/${B.recipes}`)).status).toBe(404) // other workspace's
      expect((yield* call(sandbox, "GET", `${VACATION}/items/${I.recipe1}`)).status).toBe(404) // other board's item
      expect((yield* call(sandbox, "GET", "/api/v2/no/such/route")).status).toBe(404)

      const workspaces = (yield* call(sandbox, "GET", "/api/v2/workspaces")).body
      expect(ids(workspaces.data)).toEqual([W.main, W.shared])
      expect(decode(workspaces.before)).toMatch(/^669,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/) // "<id>,<Y-m-d H:i:s>"
      const boards = (yield* call(sandbox, "GET", `/api/v2/workspaces/${W.shared}/boards`)).body
      expect(ids(boards.data)).toEqual([B.recipes]) // Ana's private board is not listed

      // users: both paths, the member shape (no preferences)
      const users = (yield* call(sandbox, "GET", `/api/v2/workspaces/${W.main}/users`)).body
      expect((yield* call(sandbox, "GET", `/api/v2/workspaces/${W.main}/members`)).body).toEqual(users)
      expect(new Set(ids(users.data))).toEqual(new Set([1302, 1299, 1300, 1301]))
      for (const user of users.data) expect(user).not.toHaveProperty("preferences")

      // the target: one empty workspace
      const target = asTarget(sandbox)
      expect(ids((yield* call(sandbox, "GET", "/api/v2/workspaces", target)).body.data)).toEqual([sandbox.accounts.target.workspaceId])
      const empty = yield* call(sandbox, "GET", `/api/v2/workspaces/${sandbox.accounts.target.workspaceId}/boards`, target)
      expect(empty.body).toEqual({ has_more: false, before: "", after: "", data: [] })
    }))

  it.effect("walks every page (limit above the cap) without repeating or skipping; a garbled cursor is 400", () =>
    Effect.gen(function*() {
      const seed = generatedSeed({ boards: 1, itemsPerBoard: 103, commentsPerItem: 0 })
      const sandbox = yield* sandboxOnTestClock({ seed })
      const boardId = String(seed.boards[0]?.entity["id"])
      const path = `/api/v2/workspaces/${W.main}/boards/${boardId}/items`
      const expected = seed.items.map((row) => row.entity["id"])

      const pages = yield* walk(sandbox, path, "limit=100&sort_by=created_at")
      expect(pages.map((p) => p["data"].length)).toEqual([25, 25, 25, 25, 3]) // capped at 25
      const walked = pages.flatMap((p) => ids(p["data"]))
      expect(walked).toEqual(expected)
      expect(new Set(walked).size).toBe(103)
      for (const page of pages) expect(page["data"][0]).not.toHaveProperty("values")

      // the same page twice is the same page
      const again = (yield* call(sandbox, "GET", `${path}?limit=100&after=${encodeURIComponent(pages[1]?.["after"])}`)).body
      expect(again).toEqual(pages[2])

      const down = yield* walk(sandbox, path, "limit=40&sort_direction=desc")
      expect(down.flatMap((p) => ids(p["data"]))).toEqual([...expected].reverse())

      // back from the last page with `before`
      let before = pages[4]?.["before"] as string
      const back: Array<unknown> = []
      for (let guard = 0; guard < 10; guard++) {
        const page = (yield* call(sandbox, "GET", `${path}?limit=25&before=${encodeURIComponent(before)}`)).body
        back.unshift(...ids(page.data))
        if (!page.has_more) break
        before = page.before
      }
      expect([...back, ...ids(pages[4]?.["data"])]).toEqual(expected)

      // ties on created_at (two Reykjavík days) and deleted items: stable and all there
      const demo = yield* sandboxOnTestClock()
      const small = yield* walk(demo, `${VACATION}/items`, "limit=2")
      const all = small.flatMap((p) => p["data"] as Array<Entity>)
      expect(all).toHaveLength(11)
      expect(all.find((i) => i["id"] === I.cancelled)?.["deleted"]).toBe(true)
      expect(ids(all)).toEqual((yield* walk(demo, `${VACATION}/items`, "limit=3")).flatMap((p) => ids(p["data"])))

      expect((yield* call(sandbox, "GET", `${path}?after=not-a-cursor!!`)).status).toBe(400)
      expect((yield* call(sandbox, "GET", `${path}?after=${encodeURIComponent("////")}`)).status).toBe(400)
      expect((yield* call(sandbox, "GET", `${path}?before=${encodeURIComponent(Buffer.from("x,yesterday").toString("base64"))}`)).status)
        .toBe(400)
      expect((yield* call(sandbox, "GET", `${path}?limit=0`)).status).toBe(422)
      expect((yield* call(sandbox, "GET", `${path}?sort_direction=sideways`)).status).toBe(422)
    }))

  it.effect("the 181st request within a minute gets 429 with Retry-After; the window slides", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({ rateLimit: INFINITY_SANDBOX_RATE_LIMIT })
      const status = () => Effect.map(call(sandbox, "GET", "/api/v2/profile"), (r) => r.status)
      for (let i = 0; i < 90; i++) expect(yield* status()).toBe(200)
      yield* TestClock.adjust("30 seconds")
      for (let i = 0; i < 90; i++) expect(yield* status()).toBe(200)

      const refused = yield* call(sandbox, "GET", "/api/v2/profile")
      expect(refused).toMatchObject({ status: 429, body: { message: "Too Many Attempts." } })
      expect(refused.headers["retry-after"]).toBe("30")
      expect((yield* call(sandbox, "GET", "/api/v2/profile", asTarget(sandbox))).status).toBe(200) // its own budget

      yield* TestClock.adjust("29 seconds")
      const still = yield* call(sandbox, "GET", "/api/v2/profile")
      expect([still.status, still.headers["retry-after"]]).toEqual([429, "1"])
      yield* TestClock.adjust("1 second") // the first 90 have left the window
      for (let i = 0; i < 90; i++) expect(yield* status()).toBe(200)
      const again = yield* call(sandbox, "GET", "/api/v2/profile")
      expect([again.status, again.headers["retry-after"]]).toEqual([429, "30"])
      expect(sandbox.stats.rateLimited).toBe(3)
      expect(sandbox.stats.requests).toBe(90 + 90 + 1 + 1 + 1 + 90 + 1)
    }))

  it.effect("expand[]=values.attribute gives every value with its attribute; attachments come as objects", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const plain = (yield* call(sandbox, "GET", `${VACATION}/items/${I.lisbon}`)).body
      expect(plain).not.toHaveProperty("values")

      const item = (yield* call(sandbox, "GET", `${VACATION}/items/${I.lisbon}?expand[]=values.attribute`)).body
      expect(Object.keys(item)).toEqual(["id", "object", "folder_id", "parent_id", "created_at", "sort_order", "values", "deleted", "updated_at", "created_by"])
      expect(item.sort_order).toBe("65536.000000000000000000000000000000")
      const values = item.values as Array<Entity>
      for (const value of values) {
        expect(value).toMatchObject({ object: "value", item_id: I.lisbon, deleted: false })
        expect(value["attribute"]).toMatchObject({ id: value["attribute_id"], object: "attribute" })
      }
      const byType = new Map(values.map((v) => [v["attribute"]["type"], v]))
      expect([...byType.keys()].sort()).toEqual([
        "attachments", "checkbox", "checklist", "date", "email", "formula", "label", "links", "longtext", "members", "number",
        "phone", "progress", "rating", "reference", "text"
      ])
      expect(byType.get("reference")?.["data"]).toEqual([I.passport, I.sunscreen]) // from the references
      expect(byType.get("label")?.["data"]).toEqual([demoIds.labels.two, demoIds.labels.four])
      expect(byType.get("label")?.["attribute"]["settings"]["labels"]).toHaveLength(4)
      expect(byType.get("checkbox")?.["attribute"]["settings"]).toEqual([]) // empty settings are []
      const files = byType.get("attachments")?.["data"] as Array<Entity>
      expect(files.map((f) => f["original_name"])).toEqual(["beach.png", "Zusammenfassung – Übersicht 📄.txt"])
      expect(Object.keys(files[0] ?? {})).toEqual([
        "id", "link", "path", "original_name", "filesize", "thumb", "created_at", "updated_at", "team_id", "deleted_at", "checked_at",
        "extension", "basename", "filename"
      ])

      // expand[0]= works as well, and lists expand every item
      const indexed = (yield* call(sandbox, "GET", `${VACATION}/items/${I.lisbon}?expand[0]=values.attribute`)).body
      expect(indexed.values).toHaveLength(values.length)
      const listed = (yield* call(sandbox, "GET", `${VACATION}/items?limit=25&expand[]=values.attribute&folder_id=${F.packing}`)).body
      expect(ids(listed.data)).toEqual([I.passport, I.sunscreen])
      // values stored in the same second come in id order
      expect(new Set(listed.data[0].values.map((v: Entity) => v["attribute"]["name"]))).toEqual(new Set(["Name", "Done"]))

      // comments: HTML kept as is, threads by parent_id, deleted ones listed, `created_by` expandable
      const comments = (yield* call(sandbox, "GET", `${VACATION}/items/${I.lisbon}/comments?expand[]=created_by`)).body
      expect(comments.data.map((c: Entity) => [c["parent_id"], c["deleted"]])).toEqual([
        [null, false], [null, false], [demoIds.comments.reminder, false], [null, true]
      ])
      expect(comments.data[1].text).toContain("<script>alert('x')</script>&lt;not a tag&gt;")
      expect(comments.data[1].created_by).toMatchObject({ id: demoIds.users.ana, object: "user", name: "Ana Müller" })
      expect(comments.data[1].created_by).not.toHaveProperty("preferences")
    }))

  it.effect("an attachment link gives the exact bytes without a token, for 2 hours; tampered or expired: 403", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const files = () =>
        Effect.map(call(sandbox, "GET", `${VACATION}/items/${I.lisbon}?expand[]=values`), (r) =>
          (r.body.values as Array<Entity>).find((v) => v["attribute_id"] === A.files)?.["data"] as Array<Entity>)
      const [png, text] = yield* files()
      expect(png?.["link"]).toMatch(/^http:\/\/infinity\.sandbox\/storage\/item-files\/669\/[A-Za-z0-9]{40}\.png\?expires=\d+&signature=[0-9a-f]{64}$/)

      const image = yield* call(sandbox, "GET", png?.["link"], { auth: null })
      expect(image.status).toBe(200)
      expect(image.headers["content-type"]).toBe("image/png")
      expect(image.bytes).toEqual(sandbox.state.fileOf(demoIds.attachments.png)?.bytes)
      expect([...image.bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join("")).toBe("PNG")
      expect((yield* call(sandbox, "GET", text?.["link"], { auth: null })).body).toBe("Grüße aus Lissabon! 🌞\nZeile zwei.\n")

      const tampered = String(png?.["link"]).replace(/signature=(.)/, (_, c) => `signature=${c === "0" ? "1" : "0"}`)
      expect(yield* call(sandbox, "GET", tampered, { auth: null })).toMatchObject({ status: 403, body: { message: "Invalid signature." } })
      const otherFile = String(png?.["link"]).replace(/\/[A-Za-z0-9]{40}\.png/, `/${String(text?.["path"]).split("/").pop()}`)
      expect((yield* call(sandbox, "GET", otherFile, { auth: null })).status).toBe(403)

      yield* TestClock.adjust("2 hours")
      expect((yield* call(sandbox, "GET", png?.["link"], { auth: null })).status).toBe(200) // the last valid second
      yield* TestClock.adjust("1 second")
      expect((yield* call(sandbox, "GET", png?.["link"], { auth: null })).status).toBe(403)
      const [fresh] = yield* files() // fetching the item again signs a new link
      expect((yield* call(sandbox, "GET", fresh?.["link"], { auth: null })).status).toBe(200)

      // an upload (multipart, field `file`) downloads back byte for byte
      const bytes = new Uint8Array([0, 1, 2, 253, 254, 255, 10, 13])
      const form = new FormData()
      form.append("file", new Blob([bytes], { type: "application/x-sh" }), "../evil ü.sh")
      const uploaded = yield* call(sandbox, "POST", `/api/v2/workspaces/${W.main}/attachments/file`, { form })
      expect(uploaded.status).toBe(201)
      expect(uploaded.body).toMatchObject({
        original_name: "../evil ü.sh",
        basename: "evil ü.sh",
        filename: "evil ü",
        extension: "sh",
        filesize: 8,
        team_id: W.main,
        deleted_at: null
      })
      expect(uploaded.body.path).toMatch(/^item-files\/669\/[A-Za-z0-9]{40}\.sh$/)
      expect((yield* call(sandbox, "GET", uploaded.body.link, { auth: null })).bytes).toEqual(bytes)
      const noBoundary = yield* call(sandbox, "POST", `/api/v2/workspaces/${W.main}/attachments/file`, { body: { file: "x" } })
      expect(noBoundary.status).toBe(422)

      // from a URL: the sandbox copies its own signed links and refuses the rest
      const copied = yield* call(sandbox, "POST", `/api/v2/workspaces/${W.main}/attachments/url`, { body: { url: uploaded.body.link } })
      expect(copied.status).toBe(201)
      expect((yield* call(sandbox, "GET", copied.body.link, { auth: null })).bytes).toEqual(bytes)
      const remote = yield* call(sandbox, "POST", `/api/v2/workspaces/${W.main}/attachments/url`, {
        body: { url: "https://picsum.photos/seed/picsum/200/300" }
      })
      expect(remote.status).toBe(422)
    }))

  it.effect("a create that names a known id updates it (items, folders, attributes, views); a new id is kept", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      const items = sandbox.state.items.size
      const updated = yield* call(sandbox, "POST", `${VACATION}/items`, {
        body: { id: I.kyoto, folder_id: F.packing, values: [{ attribute_id: A.name, data: "Kyoto, again" }] }
      })
      expect(updated.status).toBe(200)
      expect(updated.body).toMatchObject({ id: I.kyoto, folder_id: F.packing, deleted: false })
      expect(sandbox.state.items.size).toBe(items)
      const kyoto = (yield* call(sandbox, "GET", `${VACATION}/items/${I.kyoto}?expand[]=values.attribute`)).body
      const data = new Map((kyoto.values as Array<Entity>).map((v) => [v["attribute_id"], v["data"]]))
      expect(data.get(A.name)).toBe("Kyoto, again") // merged per attribute
      expect(data.get(A.rating)).toBe(5) // untouched

      const fresh = "0193449c-0884-70bc-a913-b409492466f7"
      const created = yield* call(sandbox, "POST", `${VACATION}/items`, { body: { id: fresh, folder_id: F.destinations } })
      expect([created.status, created.body.id]).toEqual([201, fresh])
      const elsewhere = yield* call(sandbox, "POST", `${VACATION}/items`, { body: { id: I.recipe1, folder_id: F.destinations } })
      expect(elsewhere.status).toBe(422)
      expect(elsewhere.body.errors).toHaveProperty("id")

      const folder = yield* call(sandbox, "POST", `${VACATION}/folders`, { body: { id: F.packing, name: "Packing (renamed)" } })
      expect(folder.status).toBe(200)
      expect(sandbox.state.folders.get(F.packing)).toMatchObject({ name: "Packing (renamed)", attribute_ids: [A.name, A.done, A.rating] })
      const attribute = yield* call(sandbox, "POST", `${VACATION}/attributes`, { body: { id: A.rating, name: "Stars" } })
      expect(attribute.body).toMatchObject({ id: A.rating, name: "Stars", type: "rating", settings: { max: 5 } })
      const view = yield* call(sandbox, "POST", `${VACATION}/views`, { body: { id: demoIds.views.table, type: "list" } })
      expect(view.body).toMatchObject({ id: demoIds.views.table, type: "list", name: "All trips (table)" })

      // the multi-action delete: deleted_at set
      const gone = yield* call(sandbox, "POST", `${VACATION}/items`, { body: { id: I.kyoto, deleted_at: "2025-01-01 00:00:00" } })
      expect(gone.body.deleted).toBe(true)
    }))

  it.effect("writes: a restore into the target's empty workspace, with documented statuses and shapes", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock()
      yield* TestClock.setTime(Date.UTC(2025, 4, 1, 12, 0, 0, 500))
      const target = asTarget(sandbox)
      const ws = `/api/v2/workspaces/${sandbox.accounts.target.workspaceId}`

      const board = yield* call(sandbox, "POST", `${ws}/boards`, { ...target, body: { name: "../../etc/passwd", user_ids: [], color: "#f57740" } })
      expect(board.status).toBe(201)
      expect(board.body).toMatchObject({ object: "board", name: "../../etc/passwd", user_ids: [sandbox.accounts.target.userId], og_image: null })
      expect(board.body.id).toMatch(/^[A-Za-z0-9]{11}$/)
      expect(board.body.sort_order).toBe("65536.000000000000000000000000000000")
      const path = `${ws}/boards/${board.body.id}`

      const folder = yield* call(sandbox, "POST", `${path}/folders`, { ...target, body: { name: "Trips", sort_order: 12, settings: [] } })
      expect(folder.status).toBe(201)
      expect(folder.body).toMatchObject({ sort_order: 12, settings: [], attribute_ids: [], parent_id: board.body.id, color: null })
      const nested = yield* call(sandbox, "POST", `${path}/folders`, { ...target, body: { name: "Nested", parent_id: folder.body.id } })
      expect(nested.body.parent_id).toBe(folder.body.id)

      const label = yield* call(sandbox, "POST", `${path}/attributes`, {
        ...target,
        body: { name: "Price", type: "label", settings: { multiple: true, labels: [{ id: demoIds.labels.one, name: "$", color: "#92F3EC" }] } }
      })
      expect(label.status).toBe(200) // documented: 200, not 201
      const labelId = label.body.settings.labels[0].id
      expect(labelId).not.toBe(demoIds.labels.one) // a create gives labels new ids
      const number = yield* call(sandbox, "POST", `${path}/attributes`, {
        ...target,
        body: { name: "nihil", type: "number", default_data: "0", settings: { delimiter: "." } }
      })
      expect(number.body).toMatchObject({ default_data: 0, created_by: sandbox.accounts.target.userId, created_at: "2025-05-01T12:00:00.000000Z" })
      const related = yield* call(sandbox, "POST", `${path}/attributes`, {
        ...target,
        body: { name: "Related", type: "reference", settings: { folderId: folder.body.id } }
      })
      expect(related.status).toBe(200)
      expect((yield* call(sandbox, "POST", `${path}/attributes`, { ...target, body: { name: "x", type: "no-such-type" } })).status).toBe(422)

      const attached = yield* call(sandbox, "PUT", `${path}/folders/${folder.body.id}`, {
        ...target,
        body: { attribute_ids: [label.body.id, number.body.id, related.body.id], sort_order: 4 }
      })
      expect(attached.body).toMatchObject({ sort_order: "4.000000000000000000000000000000", name: "Trips" })

      const item = yield* call(sandbox, "POST", `${path}/items`, {
        ...target,
        body: { folder_id: folder.body.id, values: [{ attribute_id: label.body.id, data: [labelId] }, { attribute_id: number.body.id, data: "12.5" }] }
      })
      expect(item.status).toBe(201)
      expect(typeof item.body.sort_order).toBe("number")
      expect(item.body).not.toHaveProperty("values")
      const other = yield* call(sandbox, "POST", `${path}/items`, { ...target, body: { folder_id: folder.body.id } })
      const child = yield* call(sandbox, "PUT", `${path}/items/${other.body.id}`, { ...target, body: { parent_id: item.body.id } })
      expect(child.body.parent_id).toBe(item.body.id)
      expect((yield* call(sandbox, "PUT", `${path}/items/${item.body.id}`, { ...target, body: { parent_id: other.body.id } })).status)
        .toBe(422) // a cycle

      const refused = yield* call(sandbox, "POST", `${path}/items`, {
        ...target,
        body: { folder_id: folder.body.id, values: [{ attribute_id: label.body.id, data: [demoIds.labels.one] }] }
      })
      expect(refused.status).toBe(422)
      expect(refused.body.errors).toHaveProperty(["values.0.data"])

      const reference = yield* call(sandbox, "POST", `${path}/references`, {
        ...target,
        body: { attribute_id: related.body.id, from_item_id: item.body.id, to_item_id: other.body.id }
      })
      expect(reference.status).toBe(201)
      expect(Object.keys(reference.body)).toEqual(["id", "object", "attribute_id", "from_item_id", "to_item_id"])

      const comment = yield* call(sandbox, "POST", `${path}/items/${item.body.id}/comments`, {
        ...target,
        body: { text: "<p>Hello <script>x</script> 👋</p>", parent_id: "ignored" }
      })
      expect(comment.status).toBe(201)
      expect(comment.body).toMatchObject({ parent_id: null, text: "<p>Hello <script>x</script> 👋</p>", created_by: sandbox.accounts.target.userId })

      const hook = yield* call(sandbox, "POST", `${path}/hooks`, {
        ...target,
        body: { url: "https://example.com/webhook/comment-created", events: [{ event: "comment.created" }] }
      })
      expect(hook.status).toBe(201)
      expect(hook.body.secret).toMatch(/^[A-Za-z0-9]{32}$/)
      expect(hook.body.events).toEqual([{ event: "comment.created", data: null }])

      const view = yield* call(sandbox, "POST", `${path}/views`, { ...target, body: { name: "List of Tasks", folder_id: folder.body.id, type: "list" } })
      expect(view.status).toBe(201)
      expect(view.body).toMatchObject({ object: "folderview", sort_order: null, settings: [], created_by: sandbox.accounts.target.userId })

      // read back
      const read = (yield* call(sandbox, "GET", `${path}/items/${item.body.id}?expand[]=values.attribute`, target)).body
      const values = new Map((read.values as Array<Entity>).map((v) => [v["attribute"]["type"], v["data"]]))
      expect(values).toEqual(new Map<string, unknown>([["label", [labelId]], ["number", 12.5], ["reference", [other.body.id]]]))
      expect(read.sort_order).toMatch(/^\d+\.0{30}$/)
      expect((yield* call(sandbox, "GET", `${path}/hooks?expand[]=logs`, target)).body.data[0].logs).toEqual([])

      // deletes: 200 {id, object, deleted}; items stay, flagged
      const removed = yield* call(sandbox, "DELETE", `${path}/items/${other.body.id}`, target)
      expect(removed).toMatchObject({ status: 200, body: { id: other.body.id, object: "item", deleted: true } })
      expect((yield* call(sandbox, "GET", `${path}/items/${other.body.id}`, target)).body.deleted).toBe(true)
      expect((yield* call(sandbox, "DELETE", `${path}/references/${reference.body.id}`, target)).body).toEqual({
        id: reference.body.id,
        object: "reference",
        deleted: true
      })
      const invited = yield* call(sandbox, "POST", `${ws}/members/invite`, { ...target, body: { email: "user@example.com", role: "full-member" } })
      expect(invited).toMatchObject({ status: 200, body: { id: demoIds.users.jane, object: "user" } })
      expect(sandbox.state.members.get(sandbox.accounts.target.workspaceId)?.get(demoIds.users.jane)).toBe("full-member")

      // main cannot write into the target's workspace
      expect((yield* call(sandbox, "POST", `${ws}/boards`, { body: { name: "nope" } })).status).toBe(403)
    }))

  it.effect("faults: a 500 fails a status-checking client; a dropped body fails after the write", () =>
    Effect.gen(function*() {
      const sandbox = yield* sandboxOnTestClock({
        faults: ({ method, n }) => (n === 1 ? "error500" : method === "POST" ? "drop" : "none")
      })
      const headers = { authorization: `Bearer ${sandbox.accounts.main.token}` }
      yield* Effect.gen(function*() {
        const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
        const first = yield* Effect.either(Effect.flatMap(client.get(`${INFINITY_SANDBOX_BASE_URL}/api/v2/profile`, { headers }), (r) => r.json))
        expect(Either.isLeft(first) && first.left._tag === "ResponseError" && first.left.reason === "StatusCode").toBe(true)

        const before = sandbox.state.comments.size
        const post = HttpClientRequest.post(`${INFINITY_SANDBOX_BASE_URL}${VACATION}/items/${I.kyoto}/comments`, { headers }).pipe(
          HttpClientRequest.bodyUnsafeJson({ text: "<p>written, but the answer is lost</p>" })
        )
        const dropped = yield* client.execute(post)
        expect(dropped.status).toBe(201)
        const body = yield* Effect.either(dropped.json)
        expect(Either.isLeft(body) && body.left.reason === "Decode").toBe(true)
        expect(sandbox.state.comments.size).toBe(before + 1) // the write happened

        const retried = yield* Effect.flatMap(client.get(`${INFINITY_SANDBOX_BASE_URL}/api/v2/profile`, { headers }), (r) => r.json)
        expect(retried).toMatchObject({ id: sandbox.accounts.main.userId })
        expect(sandbox.stats.requests).toBe(3)
      }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(infinitySandboxFetchLayer(sandbox)))
    }))

  it.live("serves over loopback HTTP beside Kinopio: /api/v2 and /storage mounted, links on the served origin", () =>
    Effect.gen(function*() {
      const kinopio = makeKinopioSandbox({ seed: kinopioDemoSeed() })
      const infinity = makeInfinitySandbox({ seed: demoSeed() })
      const { url } = yield* serveSandbox({ port: 0, kinopio, mounts: infinitySandboxMounts(infinity) })
      const client = yield* HttpClient.HttpClient
      const headers = { authorization: `Bearer ${infinity.accounts.main.token}` }

      const me = yield* Effect.flatMap(client.get(`${url}/api/v2/profile`, { headers }), (r) => r.json)
      expect(me).toMatchObject({ id: infinity.accounts.main.userId })
      const kinopioUser = yield* Effect.flatMap(client.get(`${url}/user`, { headers: { authorization: kinopio.accounts.main.apiKey } }), (r) => r.json)
      expect(kinopioUser).toMatchObject({ id: kinopio.accounts.main.userId })

      const item = (yield* Effect.flatMap(client.get(`${url}${VACATION}/items/${I.kyoto}?expand[]=values.attribute`, { headers }), (r) => r.json)) as Entity
      const file = (item["values"] as Array<Entity>).find((v) => v["attribute_id"] === A.files)?.["data"][0] as Entity
      expect(file["original_name"]).toBe("../evil.sh")
      expect(String(file["link"]).startsWith(`${url}/storage/item-files/669/`)).toBe(true)
      const download = yield* client.get(String(file["link"]))
      expect(download.status).toBe(200)
      expect(new TextDecoder().decode(yield* download.arrayBuffer)).toBe("#!/bin/sh\necho 'pwned' > /tmp/x\n")

      const missing = yield* client.get(`${url}/api/v2/nope`, { headers })
      expect(missing.status).toBe(404)
      expect(yield* missing.json).toEqual({ message: "The route api/v2/nope could not be found." })
      expect(infinity.stats.byRoute.get("GET /api/v2/profile")).toBe(1)
      expect(infinity.stats.byRoute.get("GET /storage/item-files/:ws/:name")).toBe(1)
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))

  it("seeds are deterministic, hostile where it matters, and generated ones build fast", () => {
    expect(JSON.stringify(demoSeed())).toBe(JSON.stringify(demoSeed()))
    const demo = demoSeed()
    const types = new Set(demo.attributes.map((a) => a.entity["type"]))
    for (const type of ["text", "longtext", "checkbox", "number", "label", "members", "links", "checklist", "attachments", "reference", "progress", "rating", "email", "phone", "date", "formula"]) {
      expect(types.has(type), type).toBe(true)
    }
    expect(demo.boards.map((b) => b.entity["name"])).toEqual(expect.arrayContaining(["../../etc/passwd", "a/b\\c:d*?"]))
    expect(demo.folders.find((f) => f.entity["id"] === F.archive)?.entity["parent_id"]).toBe(F.destinations)
    expect(demo.attachments.map((a) => a.entity["original_name"])).toContain("../evil.sh")

    const started = performance.now()
    const big = generatedSeed({ boards: 1, itemsPerBoard: 2000, commentsPerItem: 1 })
    expect(performance.now() - started).toBeLessThan(1000)
    expect(big.items).toHaveLength(2000)
    expect(big.comments).toHaveLength(2000)
    expect(big.items.filter((i) => i.entity["parent_id"] !== null).length).toBe(40)
    expect(generatedSeed({ boards: 2, itemsPerBoard: 30, seed: 7 }).items[5]).toEqual(generatedSeed({ boards: 2, itemsPerBoard: 30, seed: 7 }).items[5])
    expect(seedByName("generated:2x5")?.items).toHaveLength(10)
    expect(seedByName("generated:1x4x3")?.comments).toHaveLength(12)
    expect(seedByName("empty")?.boards).toEqual([])
    expect(emptySeed().workspaces).toHaveLength(2)
    expect(seedByName("nope")).toBeUndefined()
  })
})
