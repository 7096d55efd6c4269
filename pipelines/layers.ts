/**
 * The one place live layers are chosen: credentials from flags or the environment, the HTTP
 * client, the process's rate budgets and the connector for a service.
 */
import { FetchHttpClient } from "@effect/platform"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { BackupSource } from "../src/connector.ts"
import { BadInput, MissingCredential } from "../src/errors.ts"
import { Kinopio, KINOPIO_DEFAULT_URL } from "../src/kinopio/client.ts"
import { KinopioSourceLive } from "../src/kinopio/connector.ts"
import { RateBudgets } from "../src/shared/rate-budget.ts"

export interface Credentials {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiUrl: string
}

interface ServiceSettings {
  readonly keyVariable: string
  readonly urlVariable: string
  readonly defaultUrl: string
}

export const kinopioSettings: ServiceSettings = {
  keyVariable: "KINOPIO_API_KEY",
  urlVariable: "KINOPIO_API_URL",
  defaultUrl: KINOPIO_DEFAULT_URL
}

const nonEmpty = (name: string) => Config.option(Config.string(name)).pipe(Effect.map(Option.filter((v) => v.trim() !== "")))

/** A flag wins over the environment; with neither, exit 2 naming the variable to set. */
export const resolveCredentials = (
  settings: ServiceSettings,
  flags: { readonly apiKey: Option.Option<string>; readonly apiUrl: Option.Option<string> }
): Effect.Effect<Credentials, MissingCredential | BadInput> =>
  Effect.gen(function*() {
    const apiKey = Option.isSome(flags.apiKey) ? flags.apiKey : yield* nonEmpty(settings.keyVariable).pipe(Effect.orDie)
    if (Option.isNone(apiKey)) {
      return yield* Effect.fail(new MissingCredential({ variable: settings.keyVariable, flag: "--api-key" }))
    }
    const url = Option.isSome(flags.apiUrl) ? flags.apiUrl : yield* nonEmpty(settings.urlVariable).pipe(Effect.orDie)
    const apiUrl = Option.getOrElse(url, () => settings.defaultUrl)
    if (!/^https?:\/\/[^/\s]+/i.test(apiUrl)) {
      return yield* Effect.fail(new BadInput({ message: `${settings.urlVariable} (or --api-url) is not an http(s) URL: ${apiUrl}` }))
    }
    return { apiKey: Redacted.make(apiKey.value.trim()), apiUrl: apiUrl.replace(/\/+$/, "") }
  })

/** `--budget`: a fraction of the documented limit, above 0 and at most 1. */
export const checkBudget = (budget: number): Effect.Effect<number, BadInput> =>
  Number.isFinite(budget) && budget > 0 && budget <= 1
    ? Effect.succeed(budget)
    : Effect.fail(new BadInput({ message: `--budget must be a fraction above 0 and at most 1 (got ${budget})` }))

export const kinopioSource = (credentials: Credentials, budget: number, perSecond?: number) =>
  KinopioSourceLive.pipe(
    Layer.provide(Kinopio.layer({
      baseUrl: credentials.apiUrl,
      apiKey: credentials.apiKey,
      budget,
      ...(perSecond === undefined ? {} : { perSecond })
    })),
    Layer.provide(FetchHttpClient.layer)
  ) satisfies Layer.Layer<BackupSource, never, RateBudgets>
