/**
 * The sandboxes called in-process, with no socket: a `fetch` that hands each request to the
 * emulated API's web handler. `FetchHttpClient` looks its `Fetch` up where the request runs,
 * so a run talking to both services in-process needs one `fetch` that routes by origin.
 */
import { FetchHttpClient, HttpApp } from "@effect/platform"
import { Layer } from "effect"

const fetchOf = (app: HttpApp.Default<never, never>): typeof globalThis.fetch => {
  const handler = HttpApp.toWebHandler(app)
  return ((input: RequestInfo | URL, init?: RequestInit) => handler(new Request(input, init))) as typeof globalThis.fetch
}

/** One emulated API as the `fetch` of every request. */
export const appFetchLayer = (app: HttpApp.Default<never, never>): Layer.Layer<FetchHttpClient.Fetch> =>
  Layer.succeed(FetchHttpClient.Fetch, fetchOf(app))

/** Several emulated APIs, each answering the requests to its own base URL. */
export const routedFetchLayer = (apps: Readonly<Record<string, HttpApp.Default<never, never>>>): Layer.Layer<FetchHttpClient.Fetch> => {
  const routes = Object.entries(apps).map(([base, app]) => [new URL(base).origin, fetchOf(app)] as const)
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const route = routes.find(([origin]) => origin === url.origin)
    return route === undefined
      ? Promise.resolve(new Response(`no sandbox serves ${url.origin}`, { status: 502 }))
      : route[1](input, init)
  }
  return Layer.succeed(FetchHttpClient.Fetch, fetch as typeof globalThis.fetch)
}
