/**
 * The one HTTP path to a service: base URL, auth, a budget slot for every attempt, 429 pauses,
 * bounded retries with backoff and jitter. Clients build on `request`; nothing else sends.
 * The request and the body read are retried as one effect: a connection can drop after the headers.
 */
import { HttpClient, HttpClientError, HttpClientRequest } from "@effect/platform"
import { Data, Duration, Effect, Option, Random, Redacted, Stream } from "effect"
import { ResponseInvalid, ServiceError } from "../errors.ts"
import type { RateBudget } from "./rate-budget.ts"

export interface ApiClientConfig {
  readonly service: string
  readonly baseUrl: string
  readonly credential: Redacted.Redacted<string>
  /** How the service wants the credential: Kinopio the raw key, Infinity `Bearer <token>`. */
  readonly authorize: (request: HttpClientRequest.HttpClientRequest, credential: string) => HttpClientRequest.HttpClientRequest
  readonly budget: RateBudget
  /**
   * How long every request on the credential waits after a 429, given the Retry-After the
   * service sent, if any (Kinopio: at least its documented 30 s lockout).
   */
  readonly pauseAfter429: (retryAfter: Option.Option<Duration.Duration>) => Duration.Duration
  readonly retry?: Partial<RetryPolicy>
}

export interface RetryPolicy {
  /** Retries after a 5xx, a timeout, a dropped connection or a cut-off body. */
  readonly times: number
  /** First backoff; doubles each retry, with jitter (never less than half of it). */
  readonly base: Duration.DurationInput
  readonly cap: Duration.DurationInput
  /** Retries after a 429 (each waits out the cooldown first). */
  readonly rateLimitedTimes: number
  /** One attempt, headers and body, may take this long. */
  readonly timeout: Duration.DurationInput
}

export const defaultRetryPolicy: RetryPolicy = {
  times: 5,
  base: "1 second",
  cap: "30 seconds",
  rateLimitedTimes: 8,
  timeout: "60 seconds"
}

export interface ApiRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  /** The route as the docs name it, for messages: `GET /space/:spaceId`. */
  readonly route: string
  /** The path actually requested, with its parameters. */
  readonly path: string
  readonly query?: Readonly<Record<string, string>>
  /** JSON, or a `FormData` (see `multipartFile`), sent as multipart/form-data with its boundary. */
  readonly body?: unknown
  /**
   * Whether sending it twice is harmless. A write is retried after an unclear failure only
   * when it is (e.g. a create with a client-chosen id, which the service refuses the second time).
   */
  readonly idempotent?: boolean
}

export interface ApiClient {
  readonly service: string
  readonly baseUrl: string
  readonly budget: RateBudget
  /** Sends one request under the budget and returns its parsed JSON body. */
  readonly request: (request: ApiRequest) => Effect.Effect<unknown, ServiceError | ResponseInvalid>
  /**
   * Streams the bytes of a file link (absolute URL) into `consume`, under the same budget and
   * retry policy; after a failure mid-body `consume` runs again from the start, so it must undo
   * a partial result when it fails. The credential goes only to the service's own origin.
   */
  readonly download: <A, E, R>(
    request: { readonly route: string; readonly url: string },
    consume: (bytes: Stream.Stream<Uint8Array, BodyInterrupted>) => Effect.Effect<A, E | BodyInterrupted, R>
  ) => Effect.Effect<A, E | ServiceError, R>
}

/** A download's connection broke mid-body; the download starts again. */
export class BodyInterrupted extends Data.TaggedError("BodyInterrupted")<{ readonly detail: string }> {}

/** What one attempt came to; `retrying` turns it into a result, a wait or a failure. */
type Outcome<A> =
  | { readonly _tag: "Done"; readonly value: A }
  | { readonly _tag: "RateLimited"; readonly retryAfter: Option.Option<Duration.Duration> }
  | { readonly _tag: "Transient"; readonly status?: number; readonly detail: string }
  | { readonly _tag: "Final"; readonly error: ServiceError }

const reasonFor = (status: number): ServiceError["reason"] =>
  status === 401
    ? "Unauthorized"
    : status === 403
    ? "Forbidden"
    : status === 404
    ? "NotFound"
    : status === 409
    ? "Conflict"
    : "Rejected"

export const makeApiClient = (config: ApiClientConfig): Effect.Effect<ApiClient, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const policy = { ...defaultRetryPolicy, ...config.retry }
    const { budget, service } = config
    const secret = Redacted.value(config.credential)
    const base = config.baseUrl.replace(/\/+$/, "")
    const origin = new URL(base).origin
    const scrub = (text: string) => (secret === "" ? text : text.split(secret).join("[redacted]"))

    const jitteredBackoff = (retry: number) =>
      Effect.map(Random.next, (r) => {
        const ceiling = Math.min(Duration.toMillis(policy.cap), Duration.toMillis(policy.base) * 2 ** retry)
        // "Equal jitter": never less than half the backoff, so retries still spread out.
        return Duration.millis(ceiling / 2 + r * ceiling / 2)
      })

    /**
     * The one retry policy. Each attempt first takes a budget slot (outside its timeout: waiting
     * for a slot or a 429 pause is not the service being slow). A 429 pauses every request on
     * the credential; a transient failure backs off, when repeating the request is harmless.
     */
    const retrying = <A, E, R>(route: string, mayRepeat: boolean, attempt: Effect.Effect<Outcome<A>, E, R>) =>
      Effect.gen(function*() {
        let transient = 0
        let limited = 0
        while (true) {
          yield* budget.take
          const outcome = yield* attempt
          switch (outcome._tag) {
            case "Done":
              return outcome.value
            case "Final":
              return yield* Effect.fail(outcome.error)
            case "RateLimited":
              yield* budget.record("rateLimited")
              yield* budget.pauseFor(config.pauseAfter429(outcome.retryAfter))
              if (++limited > policy.rateLimitedTimes) {
                return yield* Effect.fail(new ServiceError({ service, route, reason: "RateLimited", status: 429 }))
              }
              break
            case "Transient":
              if (!mayRepeat || ++transient > policy.times) {
                return yield* Effect.fail(
                  new ServiceError({
                    service,
                    route,
                    reason: outcome.status === undefined ? "Unreachable" : "Unavailable",
                    ...(outcome.status === undefined ? {} : { status: outcome.status }),
                    detail: outcome.detail
                  })
                )
              }
              yield* Effect.sleep(yield* jitteredBackoff(transient - 1))
              break
          }
          yield* budget.record("retry")
        }
      })

    /** The outcome of a status that is not a success. */
    const failed = (route: string, status: number, retryAfter: string | undefined, text: string): Outcome<never> => {
      if (status === 429) return { _tag: "RateLimited", retryAfter: parseRetryAfter(retryAfter) }
      if (status === 408 || status >= 500) return { _tag: "Transient", status, detail: `HTTP ${status}` }
      const detail = scrub(detailOf(text))
      return {
        _tag: "Final",
        error: new ServiceError({ service, route, reason: reasonFor(status), status, ...(detail === "" ? {} : { detail }) })
      }
    }

    const transport = (e: HttpClientError.HttpClientError | "timed out"): Outcome<never> => ({
      _tag: "Transient",
      detail: e === "timed out" ? "timed out" : e._tag === "RequestError" ? "could not connect" : "connection dropped"
    })

    const request = (req: ApiRequest) => {
      let built = HttpClientRequest.make(req.method)(base + req.path).pipe(
        HttpClientRequest.acceptJson,
        (r) => config.authorize(r, secret)
      )
      if (req.query !== undefined) built = HttpClientRequest.setUrlParams(built, req.query)
      if (req.body instanceof FormData) built = HttpClientRequest.bodyFormData(built, req.body)
      else if (req.body !== undefined) built = HttpClientRequest.bodyUnsafeJson(built, req.body)
      const attempt = http.execute(built).pipe(
        Effect.flatMap((res) =>
          Effect.map(res.text, (text): Outcome<unknown> => {
            if (res.status < 200 || res.status >= 300) return failed(req.route, res.status, res.headers["retry-after"], text)
            if (text.trim() === "") return { _tag: "Done", value: null }
            try {
              return { _tag: "Done", value: JSON.parse(text) }
            } catch {
              // A body that is not JSON after a 2xx is most often one cut short: try again.
              return { _tag: "Transient", status: res.status, detail: "the body was not complete JSON" }
            }
          })
        ),
        Effect.timeoutFail({ duration: policy.timeout, onTimeout: () => "timed out" as const }),
        Effect.catchAll((e) => Effect.succeed(transport(e))),
        Effect.scoped
      )
      return retrying(req.route, req.method === "GET" || req.idempotent === true, attempt)
    }

    const download = <A, E, R>(
      req: { readonly route: string; readonly url: string },
      consume: (bytes: Stream.Stream<Uint8Array, BodyInterrupted>) => Effect.Effect<A, E | BodyInterrupted, R>
    ): Effect.Effect<A, E | ServiceError, R> => {
      // A link may be relative to the service, or not a URL at all: the latter fails this file, not the run.
      let url: URL
      try {
        url = new URL(req.url, `${base}/`)
      } catch {
        return Effect.fail(new ServiceError({ service, route: req.route, reason: "Rejected", detail: "the link is not a URL" }))
      }
      let built = HttpClientRequest.get(url.toString())
      if (url.origin === origin) built = config.authorize(built, secret)
      const attempt = http.execute(built).pipe(
        Effect.timeoutFail({ duration: policy.timeout, onTimeout: () => "timed out" as const }),
        Effect.flatMap((res): Effect.Effect<Outcome<A>, E | "timed out" | HttpClientError.HttpClientError, R> => {
          if (res.status < 200 || res.status >= 300) {
            return Effect.map(Effect.orElseSucceed(res.text, () => ""), (text) => failed(req.route, res.status, res.headers["retry-after"], text))
          }
          // A body that stalls as long as a whole request may take is a broken connection.
          const bytes = res.stream.pipe(
            Stream.timeoutFail(() => new BodyInterrupted({ detail: "the transfer stalled" }), policy.timeout),
            Stream.mapError((e) => (e instanceof BodyInterrupted ? e : new BodyInterrupted({ detail: "connection dropped" })))
          )
          return consume(bytes).pipe(
            Effect.map((value): Outcome<A> => ({ _tag: "Done", value })),
            Effect.catchIf(
              (e): e is BodyInterrupted => e instanceof BodyInterrupted,
              (e) => Effect.succeed<Outcome<A>>({ _tag: "Transient", detail: e.detail })
            )
          )
        }),
        Effect.catchIf(
          (e): e is HttpClientError.HttpClientError | "timed out" => e === "timed out" || HttpClientError.isHttpClientError(e),
          (e) => Effect.succeed(transport(e))
        ),
        Effect.scoped
      )
      return retrying(req.route, true, attempt)
    }

    return { service, baseUrl: base, budget, request, download }
  })

/**
 * A multipart/form-data body holding one file under `field` (e.g. Infinity's upload field
 * `file`), for `ApiRequest.body`. The same body can be sent again by a retry.
 */
export const multipartFile = (field: string, fileName: string, bytes: Uint8Array, contentType = ""): FormData => {
  const form = new FormData()
  // Copied into a plain ArrayBuffer: a Blob takes no view of a shared buffer.
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  form.append(field, new Blob([copy.buffer], contentType === "" ? {} : { type: contentType }), fileName)
  return form
}

const parseRetryAfter = (header: string | undefined): Option.Option<Duration.Duration> => {
  if (header === undefined || header.trim() === "") return Option.none()
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return Option.some(Duration.seconds(seconds))
  const at = Date.parse(header)
  return Number.isNaN(at) ? Option.none() : Option.some(Duration.millis(Math.max(0, at - Date.now())))
}

// Services answer errors as `{message}` or `{error}` or plain text; keep one short line of it.
const detailOf = (text: string): string => {
  let detail = text
  try {
    const parsed = JSON.parse(text) as unknown
    if (typeof parsed === "object" && parsed !== null) {
      const o = parsed as Record<string, unknown>
      const m = o["message"] ?? o["error"] ?? o["detail"]
      if (typeof m === "string") detail = m
    }
  } catch {
    // not JSON: keep the text
  }
  detail = detail.replace(/\s+/g, " ").trim()
  return detail.length > 160 ? `${detail.slice(0, 157)}...` : detail
}
