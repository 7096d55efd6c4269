/**
 * The sandboxes called in-process, with no socket: a `fetch` that hands each request to the
 * emulated API's web handler. `FetchHttpClient` looks its `Fetch` up where the request runs,
 * so a run talking to both services in-process needs one `fetch` that routes by base URL.
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

/**
 * Several emulated APIs, each answering the requests under its own base URL; the longest base
 * that a request's URL starts with wins, so two APIs may share an origin (`/` and `/api/v2`).
 */
export const routedFetchLayer = (apps: Readonly<Record<string, HttpApp.Default<never, never>>>): Layer.Layer<FetchHttpClient.Fetch> => {
  const under = (base: string) => {
    const url = new URL(base)
    return url.origin + url.pathname.replace(/\/+$/, "")
  }
  const routes = Object.entries(apps)
    .map(([base, app]) => [under(base), fetchOf(app)] as const)
    .sort(([a], [b]) => b.length - a.length)
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const target = url.origin + url.pathname
    const route = routes.find(([prefix]) => target === prefix || target.startsWith(`${prefix}/`))
    return route === undefined
      ? Promise.resolve(new Response(`no sandbox serves ${url.origin}${url.pathname}`, { status: 502 }))
      : route[1](input, init)
  }
  return Layer.succeed(FetchHttpClient.Fetch, fetch as typeof globalThis.fetch)
}
