/** A transport that answers from a script and records each request: for client tests that need exact replies. */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Clock, Effect, Layer } from "effect"

export interface Reply {
  readonly status: number
  readonly body?: string
  readonly headers?: Record<string, string>
  /** Send the headers and part of the body, then break the connection. */
  readonly cut?: boolean
}

export interface Seen {
  readonly at: number
  readonly method: string
  readonly auth: string | undefined
  readonly url: string
}

export const scripted = (replies: Array<Reply> | ((url: string) => Reply)) => {
  const seen: Array<Seen> = []
  const next = (url: string): Reply =>
    typeof replies === "function" ? replies(url) : replies.shift() ?? { status: 200, body: "{}" }
  const layer = Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request, url) =>
      Effect.map(Clock.currentTimeMillis, (at) => {
        seen.push({ at, method: request.method, auth: request.headers["authorization"], url: url.toString() })
        const reply = next(url.toString())
        const body = reply.cut === true
          ? new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("[{\"id\":\"a\""))
              controller.error(new Error("socket hang up"))
            }
          })
          : reply.body ?? ""
        return HttpClientResponse.fromWeb(request, new Response(body, { status: reply.status, headers: reply.headers ?? {} }))
      })
    )
  )
  return { seen, layer }
}
