/**
 * Serves the sandboxes over real HTTP on loopback, for `npm start`, `ferry sandbox` and the
 * benchmark. Kinopio answers at `/`; other services mount under their own prefix (Infinity's
 * API lives at `/api/v2`), and a prefix wins over Kinopio for the paths under it.
 */
import { createServer } from "node:http"
import { HttpBody, HttpRouter, HttpServerRequest, HttpServerResponse, type HttpApp } from "@effect/platform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Effect, type Scope, Stream } from "effect"
import { BadInput } from "../errors.ts"
import type { KinopioSandbox } from "../kinopio/sandbox.ts"

/** Another service's sandbox, answering under `prefix` (which it sees stripped from the url). */
export interface SandboxMount {
  readonly prefix: `/${string}`
  readonly app: HttpApp.Default<never, never>
}

export interface ServeSandboxOptions {
  /** 0 picks a free port. */
  readonly port: number
  /** Default 127.0.0.1: the sandbox is for this machine only. */
  readonly host?: string
  readonly kinopio: KinopioSandbox
  readonly mounts?: ReadonlyArray<SandboxMount>
}

/** Serves until the scope closes; the url has no trailing slash (e.g. http://127.0.0.1:43219). */
export const serveSandbox = (options: ServeSandboxOptions): Effect.Effect<{ readonly url: string }, BadInput, Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const server = yield* NodeHttpServer.make(() => createServer(), { port: options.port, host }).pipe(
      Effect.mapError((error) =>
        new BadInput({ message: `could not serve the sandbox on ${host}:${options.port}: ${describe(error.cause)}` })
      )
    )
    yield* server.serve(breakSocketOnBrokenBody(rootApp(options)))
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : options.port
    return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}` }
  })

/** Kinopio at `/`, every mount under its prefix. */
const rootApp = (options: ServeSandboxOptions): HttpApp.Default<never, never> => {
  const mounts = options.mounts ?? []
  if (mounts.length === 0) return options.kinopio.app
  const router = mounts.reduce(
    (router, mount) => HttpRouter.mountApp(router, mount.prefix, mount.app),
    HttpRouter.empty as HttpRouter.HttpRouter<never, never>
  )
  return router.pipe(Effect.catchTag("RouteNotFound", () => options.kinopio.app))
}

/**
 * A response body that fails after its headers went out (a sandbox "drop" fault) must look
 * like a dropped connection, not a short body that ends cleanly: end the socket right after
 * what was written so far, so the client sees the connection close mid-body.
 */
const breakSocketOnBrokenBody = (app: HttpApp.Default<never, never>): HttpApp.Default<never, never> =>
  Effect.flatMap(app, (response) =>
    response.body._tag !== "Stream"
      ? Effect.succeed(response)
      : Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
        const body = response.body
        if (body._tag !== "Stream") return response
        const broken = body.stream.pipe(
          Stream.catchAllCause(() =>
            Stream.fromEffect(Effect.sync(() => NodeHttpServerRequest.toServerResponse(request).socket?.end())).pipe(
              Stream.zipRight(Stream.never)
            )
          )
        )
        return HttpServerResponse.setBody(response, HttpBody.stream(broken, body.contentType, body.contentLength))
      }))

const describe = (cause: unknown) =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "the port may be in use"
