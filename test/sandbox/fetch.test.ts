import { describe, expect, it } from "@effect/vitest"
import { FetchHttpClient, HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { routedFetchLayer } from "../../src/sandbox/fetch.ts"

/** An app that says who it is and which path it was asked for. */
const named = (name: string): HttpApp.Default<never, never> =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => HttpServerResponse.text(`${name} ${new URL(request.url, "http://x").pathname}`))

const ask = (url: string) =>
  Effect.flatMap(FetchHttpClient.Fetch, (fetch) =>
    Effect.promise(async () => {
      const response = await fetch(url)
      return `${response.status} ${await response.text()}`
    }))

describe("routedFetchLayer", () => {
  it.effect("routes by the longest base URL a request falls under, so two APIs can share an origin", () =>
    Effect.gen(function*() {
      expect(yield* ask("http://one.test/space/1")).toBe("200 kinopio /space/1")
      expect(yield* ask("http://one.test/api/v2/boards")).toBe("200 infinity /api/v2/boards")
      expect(yield* ask("http://one.test/api/v2")).toBe("200 infinity /api/v2")
      // A path that merely starts with the same letters is not under /api/v2.
      expect(yield* ask("http://one.test/api/v2x")).toBe("200 kinopio /api/v2x")
      expect(yield* ask("http://other.test/space/1")).toMatch(/^502 no sandbox serves http:\/\/other\.test\/space\/1/)
    }).pipe(Effect.provide(routedFetchLayer({ "http://one.test": named("kinopio"), "http://one.test/api/v2/": named("infinity") }))))
})
