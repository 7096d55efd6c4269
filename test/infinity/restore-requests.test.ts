/**
 * The write requests of an Infinity restore, as a service that follows the docs (and no more)
 * would see them, and a restore against a service that does not keep the ids Ferry sends.
 */
import { join } from "node:path"
import { FetchHttpClient } from "@effect/platform"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { progressLayer } from "../../pipelines/progress.ts"
import { archiveCollections, runRestore } from "../../pipelines/restore.ts"
import { Infinity } from "../../src/infinity/client.ts"
import { type InfinityTargetOptions, infinityTargetLayer, restoredId } from "../../src/infinity/restore.ts"
import { INFINITY_SANDBOX_BASE_URL, type InfinitySandbox, infinitySandboxFetchLayer } from "../../src/infinity/sandbox.ts"
import { RateBudgets } from "../../src/shared/rate-budget.ts"
import { backupInfinitySandbox, demoArchiveForFile, infinityOnTestClock } from "../support/infinity-backup.ts"
import { lines, tempDir } from "../support/kinopio-backup.ts"
import { wrappedFetchLayer } from "../support/fetch.ts"
import { advancing } from "../support/time.ts"

type Entity = Record<string, unknown>

interface Sent {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly body: unknown
}

/**
 * The sandbox's in-process fetch with hooks: `request` may change what is sent (its JSON body),
 * `response` what comes back (a JSON answer). Every request is recorded as sent.
 */
const filteredFetch = (
  sandbox: InfinitySandbox,
  sent: Array<Sent>,
  hooks: {
    readonly request?: (method: string, path: string, body: unknown) => unknown
    readonly response?: (method: string, url: URL, body: unknown) => unknown
  } = {}
) =>
  wrappedFetchLayer(infinitySandboxFetchLayer(sandbox), (fetch) => async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const method = request.method
    const isJson = (request.headers.get("content-type") ?? "").includes("application/json")
    let body: unknown = undefined
    let forward = request
    if (isJson && method !== "GET") {
      body = JSON.parse(await request.text())
      if (hooks.request !== undefined) body = hooks.request(method, url.pathname, body)
      forward = new Request(request.url, { method, headers: request.headers, body: JSON.stringify(body) })
    }
    sent.push({ method, path: url.pathname, query: url.searchParams, body })
    const response = await fetch(forward)
    if (hooks.response === undefined || !(response.headers.get("content-type") ?? "").includes("application/json")) return response
    const answer = hooks.response(method, url, await response.json())
    const headers = new Headers(response.headers)
    headers.delete("content-length")
    return new Response(JSON.stringify(answer), { status: response.status, headers })
  })

const restore = (sandbox: InfinitySandbox, archive: string, options: InfinityTargetOptions, fetchLayer: Layer.Layer<FetchHttpClient.Fetch>) =>
  Effect.flatMap(archiveCollections(archive, "infinity"), (collections) =>
    runRestore(archive, collections).pipe(
      Effect.provide(Layer.merge(
        infinityTargetLayer(options).pipe(
          Layer.provide(Infinity.layer({ baseUrl: INFINITY_SANDBOX_BASE_URL, token: Redacted.make(sandbox.accounts.target.token), budget: 0.9 })),
          Layer.provide(FetchHttpClient.layer),
          Layer.provide(fetchLayer)
        ),
        progressLayer({ mode: "silent", label: "test" })
      ))
    )).pipe(Effect.provide(RateBudgets.layer), Effect.provide(NodeContext.layer))

const slow = { step: "500 millis", limit: "2 hours" } as const
const writes = (sent: ReadonlyArray<Sent>, method: string, pattern: RegExp) => sent.filter((s) => s.method === method && pattern.test(s.path))

describe("restore infinity: the requests", () => {
  // One backup of the demo account for all of them (every sandbox starts from the same seed).
  const shared = demoArchiveForFile()

  it.scoped("folders get sort_order as a number and no null color; items no sort_order; comments are listed oldest first", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock({ rateLimit: false })
      const sent: Array<Sent> = []
      const summary = yield* advancing(restore(sandbox, shared.archive, { withHooks: false, inviteMembers: false }, filteredFetch(sandbox, sent)), slow)
      expect(summary.differences).toEqual([])
      const archived = yield* lines(shared.archive, "data/folders.jsonl")
      expect(archived.some((f) => typeof f["sort_order"] === "string")).toBe(true) // the read's decimal strings
      expect(archived.some((f) => f["color"] === null)).toBe(true)
      const folders = [...writes(sent, "POST", /\/folders$/), ...writes(sent, "PUT", /\/folders\/[^/]+$/)].map((s) => s.body as Entity)
      expect(folders.length).toBeGreaterThan(0)
      for (const body of folders) {
        if ("sort_order" in body) expect(typeof body["sort_order"]).toBe("number")
        expect(body["color"]).not.toBeNull()
        for (const [key, value] of Object.entries(body)) expect(value, key).not.toBeNull()
      }
      expect(folders.filter((b) => "sort_order" in b).length).toBe(folders.length)
      const items = [...writes(sent, "POST", /\/items$/), ...writes(sent, "PUT", /\/items\/[^/]+$/)].map((s) => s.body as Entity)
      expect(items.length).toBeGreaterThan(0)
      for (const body of items) expect(Object.keys(body)).not.toContain("sort_order")
      for (const body of writes(sent, "PUT", /\/views\/[^/]+$/).map((s) => s.body as Entity)) {
        if ("sort_order" in body) expect(typeof body["sort_order"]).toBe("number")
      }
      const commentLists = sent.filter((s) => s.method === "GET" && /\/comments$/.test(s.path))
      expect(commentLists.length).toBeGreaterThan(0)
      for (const s of commentLists) {
        expect(s.query.get("sort_by")).toBe("created_at")
        expect(s.query.get("sort_direction")).toBe("asc")
      }
    }))

  it.scoped("the check compares sort_order as numbers and comment order by created_at, not by a list's default order", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock({ rateLimit: false })
      const comments = yield* lines(shared.archive, "data/comments.jsonl")
      const perItem = new Map<unknown, number>()
      for (const c of comments) perItem.set(c["item_id"], (perItem.get(c["item_id"]) ?? 0) + 1)
      expect([...perItem.values()].some((n) => n > 1)).toBe(true) // an item with comments in an order to keep
      // A service that reads sort_order back in another precision (a digit past what a double
      // holds) and lists comments newest first whatever is asked.
      const noisy = (e: unknown): unknown => {
        if (typeof e !== "object" || e === null || Array.isArray(e)) return e
        const entity = e as Entity
        const order = entity["sort_order"]
        return typeof order === "string" && /^\d+\.\d{30}$/.test(order) ? { ...entity, sort_order: `${order}1` } : entity
      }
      const response = (method: string, url: URL, body: unknown) => {
        if (method !== "GET" || typeof body !== "object" || body === null || !Array.isArray((body as Entity)["data"])) return body
        const data = ((body as Entity)["data"] as Array<unknown>).map(noisy)
        return { ...(body as Entity), data: /\/comments$/.test(url.pathname) ? data.reverse() : data }
      }
      const summary = yield* advancing(restore(sandbox, shared.archive, { withHooks: false, inviteMembers: false }, filteredFetch(sandbox, [], { response })), slow)
      expect(summary.differences).toEqual([])
    }))

  it.scoped("creates answered with other ids than Ferry sent: every later request, the check and a re-run use the answered ids", () =>
    Effect.gen(function*() {
      const sandbox = yield* infinityOnTestClock({ rateLimit: false })
      const out = yield* tempDir
      const journal = join(out, "restore-journal.jsonl")
      const ws = String(sandbox.accounts.target.workspaceId)
      // A service that ignores the id of a create and names the entity itself.
      const request = (method: string, path: string, body: unknown) => {
        if (method !== "POST" || !/\/boards\/[^/]+\/(folders|attributes|views|items)$/.test(path)) return body
        const { id: _id, ...rest } = body as Entity
        return rest
      }
      const sent: Array<Sent> = []
      const options = { withHooks: false, inviteMembers: false, journal }
      const summary = yield* advancing(restore(sandbox, shared.archive, options, filteredFetch(sandbox, sent, { request })), slow)
      expect(summary.differences).toEqual([])

      // The target, as stored: nothing under a derived id, and every id inside names a target entity.
      const on = (collection: "folders" | "attributes" | "views" | "items" | "references") =>
        [...sandbox.state[collection].values()].filter((e) => {
          const board = sandbox.state.parentOf(collection, String(e["id"]))
          return board !== undefined && sandbox.state.parentOf("boards", board) === ws
        })
      const folders = on("folders"), attributes = on("attributes"), views = on("views"), items = on("items"), references = on("references")
      const want = {
        folders: (yield* lines(shared.archive, "data/folders.jsonl")).filter((f) => f["deleted"] !== true),
        references: yield* lines(shared.archive, "data/references.jsonl")
      }
      expect(folders.length).toBe(want.folders.length)
      expect(references.length).toBe(want.references.length)
      const boards = new Set([...sandbox.state.boards.values()].filter((b) => sandbox.state.parentOf("boards", String(b["id"])) === ws).map((b) => String(b["id"])))
      const folderIds = new Set(folders.map((f) => f["id"])), attributeIds = new Set(attributes.map((a) => a["id"])), itemIds = new Set(items.map((i) => i["id"]))
      // None of them has the id Ferry derived (the service named them all).
      const archivedIds = new Set([...(yield* lines(shared.archive, "data/folders.jsonl")), ...(yield* lines(shared.archive, "data/items.jsonl"))].map((e) => String(e["id"])))
      for (const board of boards) {
        for (const source of archivedIds) {
          expect(folderIds.has(restoredId(ws, board, "folder", source))).toBe(false)
          expect(itemIds.has(restoredId(ws, board, "item", source))).toBe(false)
        }
      }
      for (const f of folders) {
        expect(boards.has(String(f["parent_id"])) || folderIds.has(f["parent_id"])).toBe(true)
        for (const a of f["attribute_ids"] as Array<unknown>) expect(attributeIds.has(a)).toBe(true)
      }
      expect(folders.some((f) => folderIds.has(f["parent_id"]))).toBe(true) // the nested folder
      expect(folders.some((f) => (f["attribute_ids"] as Array<unknown>).length > 0)).toBe(true)
      for (const a of attributes) {
        const folderId = (a["settings"] as Entity | undefined)?.["folderId"]
        if (folderId !== undefined) expect(folderIds.has(folderId)).toBe(true)
      }
      expect(attributes.some((a) => a["type"] === "reference" && (a["settings"] as Entity)["folderId"] !== undefined)).toBe(true)
      for (const v of views) expect(folderIds.has(v["folder_id"])).toBe(true)
      for (const i of items) {
        expect(folderIds.has(i["folder_id"])).toBe(true)
        if (i["parent_id"] !== null) expect(itemIds.has(i["parent_id"])).toBe(true)
      }
      expect(items.some((i) => i["parent_id"] !== null)).toBe(true)
      for (const v of sandbox.state.values.values()) if (itemIds.has(v["item_id"])) expect(attributeIds.has(v["attribute_id"])).toBe(true)
      for (const r of references) {
        expect(attributeIds.has(r["attribute_id"])).toBe(true)
        expect(itemIds.has(r["from_item_id"])).toBe(true)
        expect(itemIds.has(r["to_item_id"])).toBe(true)
      }
      // Every write after a create went to the answered id: no PUT and no comment path names a derived id.
      const known = new Set([...folderIds, ...attributeIds, ...itemIds, ...views.map((v) => v["id"])].map(String))
      for (const s of sent.filter((s) => s.method === "PUT" || (s.method === "POST" && /\/comments$/.test(s.path)))) {
        const id = /\/(folders|attributes|views|items)\/([^/]+)/.exec(s.path)?.[2]
        expect(id !== undefined && known.has(decodeURIComponent(id)), s.path).toBe(true)
      }

      // A re-run with the journal finds everything under the answered ids and writes nothing.
      const before = sent.filter((s) => s.method !== "GET").length
      const again = yield* advancing(restore(sandbox, shared.archive, options, filteredFetch(sandbox, sent, { request })), slow)
      expect(again.differences).toEqual([])
      expect(sent.filter((s) => s.method !== "GET").length).toBe(before)
      expect(Object.values(again.collections).every((c) => c.created === 0)).toBe(true)
    }))
})
