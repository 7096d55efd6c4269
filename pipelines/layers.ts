/**
 * The one place live layers are chosen: credentials from flags or the environment, the HTTP
 * client, and the source of a service looked up by name.
 */
import { FetchHttpClient } from "@effect/platform"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { BadInput, MissingCredential } from "../src/errors.ts"
import type { ServiceDefinition, TargetOptions } from "../src/service.ts"

export interface Credentials {
  readonly credential: Redacted.Redacted<string>
  readonly apiUrl: string
}

const nonEmpty = (name: string) => Config.option(Config.string(name)).pipe(Effect.map(Option.filter((v) => v.trim() !== "")))

/** A flag wins over the environment; with neither, exit 2 naming the variable to set. */
export const resolveCredentials = (
  service: ServiceDefinition,
  flags: { readonly apiKey: Option.Option<string>; readonly apiUrl: Option.Option<string> }
): Effect.Effect<Credentials, MissingCredential | BadInput> =>
  Effect.gen(function*() {
    const key = Option.isSome(flags.apiKey) ? flags.apiKey : yield* nonEmpty(service.credentialVariable).pipe(Effect.orDie)
    if (Option.isNone(key)) {
      return yield* Effect.fail(new MissingCredential({ variable: service.credentialVariable, flag: "--api-key" }))
    }
    const url = Option.isSome(flags.apiUrl) ? flags.apiUrl : yield* nonEmpty(service.urlVariable).pipe(Effect.orDie)
    const apiUrl = Option.getOrElse(url, () => service.defaultUrl)
    if (!/^https?:\/\/[^/\s]+/i.test(apiUrl)) {
      return yield* Effect.fail(new BadInput({ message: `${service.urlVariable} (or --api-url) is not an http(s) URL: ${apiUrl}` }))
    }
    return { credential: Redacted.make(key.value.trim()), apiUrl: apiUrl.replace(/\/+$/, "") }
  })

/** The fraction of a service's documented limit a run uses unless told: room for the person's own use. */
export const DEFAULT_BUDGET = 0.9

/** `--budget`: a fraction of the documented limit, above 0 and at most 1. */
export const checkBudget = (budget: number): Effect.Effect<number, BadInput> =>
  Number.isFinite(budget) && budget > 0 && budget <= 1
    ? Effect.succeed(budget)
    : Effect.fail(new BadInput({ message: `--budget must be a fraction above 0 and at most 1 (got ${budget})` }))

/** The service's backup source over the real HTTP client, paced by the process's budgets. */
export const sourceLayer = (service: ServiceDefinition, credentials: Credentials, budget: number, perSecond?: number) =>
  service.source({
    apiUrl: credentials.apiUrl,
    credential: credentials.credential,
    budget,
    ...(perSecond === undefined ? {} : { perSecond })
  }).pipe(Layer.provide(FetchHttpClient.layer))

/**
 * Credentials of the account a restore writes into: `--to-api-key`/`--to-api-url`, else the
 * `*_TARGET_*` variables, else the service's normal ones (contract). A missing target URL
 * defaults to the service's URL variable, then to the real service.
 */
export const resolveTargetCredentials = (
  service: ServiceDefinition,
  flags: { readonly toApiKey: Option.Option<string>; readonly toApiUrl: Option.Option<string> }
): Effect.Effect<Credentials, MissingCredential | BadInput> =>
  Effect.gen(function*() {
    const key = Option.isSome(flags.toApiKey) ? flags.toApiKey : yield* nonEmpty(service.targetCredentialVariable).pipe(Effect.orDie)
    const fallbackKey = Option.isSome(key) ? key : yield* nonEmpty(service.credentialVariable).pipe(Effect.orDie)
    if (Option.isNone(fallbackKey)) {
      return yield* Effect.fail(new MissingCredential({ variable: `${service.targetCredentialVariable} (or ${service.credentialVariable})`, flag: "--to-api-key" }))
    }
    const url = Option.isSome(flags.toApiUrl) ? flags.toApiUrl : yield* nonEmpty(service.targetUrlVariable).pipe(Effect.orDie)
    return yield* resolveCredentials(service, { apiKey: fallbackKey, apiUrl: url })
  })

/** The service's restore target over the real HTTP client, paced by the process's budgets. */
export const targetLayer = (service: ServiceDefinition, credentials: Credentials, budget: number, options: TargetOptions) =>
  service.target === undefined
    ? Effect.fail(new BadInput({ message: `restoring into ${service.title} is not available yet` }))
    : Effect.succeed(
      service.target({ apiUrl: credentials.apiUrl, credential: credentials.credential, budget }, options).pipe(Layer.provide(FetchHttpClient.layer))
    )

/** `--workspace`, `--with-hooks` and `--invite-members` mean something only for a target with workspaces. */
export const checkTargetFlags = (
  service: ServiceDefinition,
  flags: {
    readonly workspace: Option.Option<string>
    readonly withHooks: boolean
    readonly inviteMembers: boolean
    readonly journal: Option.Option<string>
  }
): Effect.Effect<void, BadInput> => {
  if (service.targetHasWorkspaces) return Effect.void
  const given = [
    Option.isSome(flags.workspace) ? "--workspace" : undefined,
    flags.withHooks ? "--with-hooks" : undefined,
    flags.inviteMembers ? "--invite-members" : undefined,
    // Kinopio keeps the ids Ferry gives: its restores need no journal.
    Option.isSome(flags.journal) ? "--journal" : undefined
  ]
    .filter((f): f is string => f !== undefined)
  return given.length === 0 ? Effect.void : Effect.fail(new BadInput({ message: `${given.join(", ")} do${given.length === 1 ? "es" : ""} not apply to ${service.title} restores` }))
}
