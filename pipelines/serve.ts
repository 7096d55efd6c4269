/**
 * `ferry serve`: the feeds `backup --feeds` wrote, over HTTP, on loopback unless told
 * otherwise. Readers poll every few minutes, so each answer carries an `ETag` (the sha256 of
 * the bytes), `Last-Modified` (the file's mtime) and `Cache-Control`, and a repeated request
 * with `If-None-Match` or `If-Modified-Since` gets `304 Not Modified` with no body.
 *
 * Only files under `--dir` are served: a path with a `..`, `.` or hidden segment, a backslash
 * or a NUL is 404, and so is a file whose real path (symlinks followed) leaves the folder.
 */
import { FileSystem, HttpServerRequest, HttpServerResponse, Path } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Console, Effect, Option, type Scope } from "effect"
import { createHash } from "node:crypto"
import { createServer } from "node:http"
import { BadInput } from "../src/errors.ts"
import { FEED_FILES } from "../src/feeds/entry.ts"

export interface ServeRequest {
  /** The folder to serve (default `output/feeds`). */
  readonly dir: string
  /** 0 picks a free port. */
  readonly port: number
  /** Default 127.0.0.1: this machine only. */
  readonly host?: string
  /** `Cache-Control: max-age`, in seconds (default 300: readers poll every few minutes). */
  readonly maxAge?: number
}

const CHARSET = "; charset=utf-8"

/** The media type of a served file: the three feed files by name, then by extension. */
export const contentTypeFor = (name: string): string | undefined => {
  for (const { contentType, name: file } of Object.values(FEED_FILES)) if (name === file) return contentType + CHARSET
  if (name.endsWith(".json")) return "application/json" + CHARSET
  if (name.endsWith(".xml")) return "application/xml" + CHARSET
  return undefined
}

const notFound = () => HttpServerResponse.text("not found\n", { status: 404, contentType: "text/plain; charset=utf-8" })

/** Whether an `If-None-Match` header names this ETag (weak comparison, `*` included). */
const etagMatches = (header: string, etag: string): boolean =>
  header.split(",").map((t) => t.trim().replace(/^W\//, "")).some((t) => t === "*" || t === etag)

/** The app that answers every request from `root` (an absolute, real path). */
export const feedApp = (root: string, fs: FileSystem.FileSystem, path: Path.Path, maxAge = 300): HttpApp.Default<never, never> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.method !== "GET" && request.method !== "HEAD") {
      return HttpServerResponse.text("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" }, contentType: "text/plain; charset=utf-8" })
    }
    const raw = request.url.split("?")[0] ?? ""
    let segments: Array<string>
    try {
      // Judged before any normalisation could turn "/a/../../b" into "/b".
      segments = raw.split("/").filter((s) => s !== "").map(decodeURIComponent)
    } catch {
      return notFound()
    }
    const unsafe = segments.some((s) => s === "." || s === ".." || s.startsWith(".") || /[\\/\u0000]/.test(s))
    if (unsafe || segments.length === 0) return notFound()
    const name = segments[segments.length - 1]!
    const contentType = contentTypeFor(name)
    if (contentType === undefined) return notFound()
    const file = path.join(root, ...segments)
    const real = yield* fs.realPath(file).pipe(Effect.option)
    if (Option.isNone(real)) return notFound()
    const relative = path.relative(root, real.value)
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) return notFound()
    const info = yield* fs.stat(real.value).pipe(Effect.option)
    if (Option.isNone(info) || info.value.type !== "File") return notFound()
    const bytes = yield* fs.readFile(real.value).pipe(Effect.option)
    if (Option.isNone(bytes)) return notFound()
    const etag = `"${createHash("sha256").update(bytes.value).digest("hex")}"`
    const mtime = Option.getOrUndefined(info.value.mtime)
    // HTTP dates have whole seconds.
    const modified = mtime === undefined ? undefined : Math.floor(mtime.getTime() / 1000) * 1000
    const headers: Record<string, string> = {
      etag,
      "cache-control": `public, max-age=${maxAge}`,
      ...(modified === undefined ? {} : { "last-modified": new Date(modified).toUTCString() })
    }
    const ifNoneMatch = request.headers["if-none-match"]
    const ifModifiedSince = request.headers["if-modified-since"]
    const since = ifModifiedSince === undefined ? Number.NaN : Date.parse(ifModifiedSince)
    // If-None-Match wins; If-Modified-Since counts only without it (RFC 9110 §13.2.2).
    const notModified = ifNoneMatch !== undefined
      ? etagMatches(ifNoneMatch, etag)
      : modified !== undefined && Number.isFinite(since) && modified <= since
    if (notModified) return HttpServerResponse.empty({ status: 304, headers })
    return HttpServerResponse.uint8Array(bytes.value, { status: 200, headers, contentType })
  })

/** Serves until the scope closes; the url has no trailing slash (e.g. http://127.0.0.1:43219). */
export const serveFeeds = (
  request: ServeRequest
): Effect.Effect<{ readonly url: string; readonly root: string }, BadInput, Scope.Scope | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    if (!Number.isInteger(request.port) || request.port < 0 || request.port > 65535) {
      return yield* new BadInput({ message: `--port must be a port number from 0 to 65535 (got ${request.port})` })
    }
    const root = yield* fs.realPath(request.dir).pipe(
      Effect.mapError(() => new BadInput({ message: `${request.dir}: no such folder (write feeds with ferry backup ... --feeds first)` }))
    )
    const info = yield* fs.stat(root).pipe(Effect.mapError(() => new BadInput({ message: `${request.dir}: cannot be read` })))
    if (info.type !== "Directory") return yield* new BadInput({ message: `${request.dir}: not a folder` })
    const host = request.host ?? "127.0.0.1"
    const server = yield* NodeHttpServer.make(() => createServer(), { port: request.port, host }).pipe(
      Effect.mapError((error) =>
        new BadInput({
          message: `could not serve on ${host}:${request.port}: ${error.cause instanceof Error ? error.cause.message : "the port may be in use"}`
        })
      )
    )
    yield* server.serve(feedApp(root, fs, path, request.maxAge))
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : request.port
    return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, root }
  })

/** `ferry serve`: prints the address on standard output once listening, then serves until Ctrl-C. */
export const runServe = (request: ServeRequest) =>
  Effect.scoped(Effect.gen(function*() {
    const { url } = yield* serveFeeds(request)
    yield* Console.log(url)
    yield* Console.error(`serving the feeds under ${request.dir} at ${url}/<service>/<id>/feed.json (rss.xml, atom.xml); Ctrl-C to stop`)
    return yield* Effect.never
  }))
