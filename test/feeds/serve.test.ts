/**
 * `ferry serve` over real loopback HTTP (port 0): content types, ETag, Last-Modified,
 * Cache-Control, 304 on a repeated conditional request, and 404 for anything outside --dir.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { mkdirSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import { request } from "node:http"
import { join } from "node:path"
import { serveFeeds } from "../../pipelines/serve.ts"
import { tempDir } from "../support/kinopio-backup.ts"

/** A GET with the path sent exactly as written (fetch would normalise `..` away). */
const rawGet = (url: string, path: string, headers: Record<string, string> = {}) =>
  Effect.async<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resume) => {
    const { hostname, port } = new URL(url)
    const req = request({ host: hostname, port, path, headers, agent: false }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (d) => (body += d))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body })))
    })
    req.on("error", (e) => resume(Effect.die(e)))
    req.end()
  })

const setup = Effect.gen(function*() {
  const root = yield* tempDir
  const dir = join(root, "feeds")
  const space = join(dir, "kinopio", "spOpen")
  mkdirSync(space, { recursive: true })
  writeFileSync(join(space, "feed.json"), "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\",\"items\":[]}\n")
  writeFileSync(join(space, "rss.xml"), "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>\n")
  writeFileSync(join(space, "atom.xml"), "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title></feed>\n")
  const mtime = new Date("2026-01-02T03:04:05.678Z")
  for (const f of ["feed.json", "rss.xml", "atom.xml"]) utimesSync(join(space, f), mtime, mtime)
  // Outside --dir: must never be served, by `..` or through a link.
  writeFileSync(join(root, "secret.xml"), "<secret/>")
  symlinkSync(join(root, "secret.xml"), join(space, "linked.xml"))
  const { url } = yield* serveFeeds({ dir, port: 0 }).pipe(Effect.provide(NodeContext.layer))
  return { url, space, mtime }
})

describe("ferry serve", () => {
  it.live("200 with the feed's content type and cache headers, then 304 to a repeated conditional request", () =>
    Effect.scoped(Effect.gen(function*() {
      const { mtime, space, url } = yield* setup
      for (const [file, type] of [["feed.json", "application/feed+json"], ["rss.xml", "application/rss+xml"], ["atom.xml", "application/atom+xml"]]) {
        const first = yield* Effect.promise(() => fetch(`${url}/kinopio/spOpen/${file}`))
        const body = yield* Effect.promise(() => first.text())
        expect(first.status).toBe(200)
        expect(first.headers.get("content-type")).toBe(`${type}; charset=utf-8`)
        const etag = first.headers.get("etag")!
        const bytes = (yield* Effect.promise(() => import("node:fs/promises").then((fs) => fs.readFile(join(space, file!)))))
        expect(etag).toBe(`"${createHash("sha256").update(bytes).digest("hex")}"`)
        expect(body).toBe(bytes.toString("utf8"))
        expect(first.headers.get("last-modified")).toBe(new Date(Math.floor(mtime.getTime() / 1000) * 1000).toUTCString())
        expect(first.headers.get("cache-control")).toMatch(/max-age=\d+/)

        const again = yield* Effect.promise(() => fetch(`${url}/kinopio/spOpen/${file}`, { headers: { "If-None-Match": etag } }))
        expect(again.status).toBe(304)
        expect(yield* Effect.promise(() => again.text())).toBe("")
        expect(again.headers.get("etag")).toBe(etag)

        const since = yield* Effect.promise(() =>
          fetch(`${url}/kinopio/spOpen/${file}`, { headers: { "If-Modified-Since": first.headers.get("last-modified")! } })
        )
        expect(since.status).toBe(304)
        const older = yield* Effect.promise(() =>
          fetch(`${url}/kinopio/spOpen/${file}`, { headers: { "If-Modified-Since": new Date(mtime.getTime() - 60_000).toUTCString() } })
        )
        expect(older.status).toBe(200)
        const changed = yield* Effect.promise(() => fetch(`${url}/kinopio/spOpen/${file}`, { headers: { "If-None-Match": "\"other\"" } }))
        expect(changed.status).toBe(200)
        yield* Effect.promise(() => Promise.all([since.text(), older.text(), changed.text()]))
      }
    })))

  it.live("404 for unknown paths and for anything outside --dir: `..`, encoded `..`, hidden files, links out", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* setup
      for (
        const path of [
          "/kinopio/nope/feed.json",
          "/kinopio/spOpen",
          "/",
          "/../secret.xml",
          "/kinopio/../../secret.xml",
          "/kinopio/spOpen/../../../secret.xml",
          "/%2e%2e/secret.xml",
          "/kinopio/%2e%2e%2f%2e%2e%2fsecret.xml",
          "/kinopio/spOpen/..%5c..%5c..%5csecret.xml",
          "/kinopio/spOpen/linked.xml",
          "/kinopio/spOpen/.feed.json.tmp"
        ]
      ) {
        const res = yield* rawGet(url, path)
        expect(res.status, path).toBe(404)
        expect(res.body).not.toContain("secret")
      }
      const ok = yield* rawGet(url, "/kinopio/spOpen/atom.xml")
      expect(ok.status).toBe(200)
    })))
})
