/**
 * `ferry.config.json`: the accounts `ferry backup --config FILE` backs up. Validated whole
 * before anything runs, and strictly: a misspelt key in a file that runs unattended every night
 * would otherwise be ignored for years. Credentials are never in it, only the names of the
 * environment variables that hold them.
 *
 * ```json
 * {
 *   "format": "zip",
 *   "budget": 0.9,
 *   "keep": { "daily": 7, "weekly": 4, "monthly": 12 },
 *   "accounts": [
 *     { "name": "alice", "service": "kinopio", "credentialEnv": "ALICE_KINOPIO_API_KEY" },
 *     { "name": "team", "service": "infinity", "credentialEnv": "TEAM_INFINITY_TOKEN", "workspaces": ["669"] }
 *   ]
 * }
 * ```
 */
import { FileSystem } from "@effect/platform"
import { Effect, Either, ParseResult, Schema } from "effect"
import { BadInput } from "../src/errors.ts"

const EnvName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: () => "the name of an environment variable, e.g. ALICE_KINOPIO_API_KEY" })
)
const Count = Schema.Int.pipe(Schema.greaterThanOrEqualTo(0, { message: () => "a whole number, 0 or more" }))

export const KeepPolicy = Schema.Struct({
  last: Schema.optionalWith(Count, { exact: true }),
  daily: Schema.optionalWith(Count, { exact: true }),
  weekly: Schema.optionalWith(Count, { exact: true }),
  monthly: Schema.optionalWith(Count, { exact: true })
})

export const ConfigAccount = Schema.Struct({
  /** The folder under `--out` its archives go to: one safe path segment. */
  name: Schema.String.pipe(
    Schema.pattern(/^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$/, {
      message: () => "1 to 64 letters, digits, '.', '_' or '-' (it names the account's folder)"
    })
  ),
  service: Schema.Literal("kinopio", "infinity"),
  /** The variable holding the API key or token. */
  credentialEnv: EnvName,
  /** The variable holding the API URL, else `apiUrl`, else the service's own variable, else the real service. */
  apiUrlEnv: Schema.optionalWith(EnvName, { exact: true }),
  apiUrl: Schema.optionalWith(Schema.String.pipe(Schema.pattern(/^https?:\/\/[^/\s]+/i, { message: () => "an http(s) URL" })), { exact: true }),
  spaces: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  boards: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  workspaces: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  format: Schema.optionalWith(Schema.Literal("zip", "tar.gz"), { exact: true }),
  budget: Schema.optionalWith(Schema.Number.pipe(Schema.greaterThan(0), Schema.lessThanOrEqualTo(1)), { exact: true }),
  keep: Schema.optionalWith(KeepPolicy, { exact: true }),
  full: Schema.optionalWith(Schema.Boolean, { exact: true }),
  feeds: Schema.optionalWith(Schema.Boolean, { exact: true })
})
export type ConfigAccount = typeof ConfigAccount.Type

export const FerryConfig = Schema.Struct({
  /** Defaults for every account; an account's own value wins. */
  format: Schema.optionalWith(Schema.Literal("zip", "tar.gz"), { exact: true }),
  budget: Schema.optionalWith(Schema.Number.pipe(Schema.greaterThan(0), Schema.lessThanOrEqualTo(1)), { exact: true }),
  keep: Schema.optionalWith(KeepPolicy, { exact: true }),
  accounts: Schema.Array(ConfigAccount).pipe(Schema.minItems(1, { message: () => "at least one account" }))
})
export type FerryConfig = typeof FerryConfig.Type

/** Keys that would hold a secret: refused with a pointer to the right way. */
const SECRET_KEYS = /^(api_?key|token|apiToken|credential|password|secret)$/i

/** The config's problems, one line each, naming the file and where in it; none when it is good. */
export const decodeConfig = (file: string, text: string): Either.Either<FerryConfig, string> => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    return Either.left(`${file} is not JSON (${cause instanceof Error ? cause.message : String(cause)})`)
  }
  const accounts = (raw as { accounts?: unknown } | null)?.accounts
  if (Array.isArray(accounts)) {
    for (const [i, account] of accounts.entries()) {
      const secret = typeof account === "object" && account !== null ? Object.keys(account).find((k) => SECRET_KEYS.test(k)) : undefined
      if (secret !== undefined) {
        return Either.left(`${file}: accounts[${i}].${secret}: credentials are never stored in the config; name the environment variable that holds it with "credentialEnv"`)
      }
    }
  }
  return Schema.decodeUnknownEither(FerryConfig, { errors: "first", onExcessProperty: "error" })(raw).pipe(
    Either.mapLeft((error) => {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
      const where = (issue?.path ?? []).map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "")
      return `${file}: ${where === "" ? "" : `${where}: `}${issue?.message ?? "not a Ferry config"}`
    }),
    Either.flatMap((config) => {
      const seen = new Set<string>()
      for (const [i, account] of config.accounts.entries()) {
        // Folders must not collide, on case-insensitive disks too.
        const key = account.name.toLowerCase()
        if (seen.has(key)) return Either.left(`${file}: accounts[${i}].name: "${account.name}" is used twice; each account needs a folder of its own`)
        seen.add(key)
      }
      return Either.right(config)
    })
  )
}

export const loadConfig = (file: string): Effect.Effect<FerryConfig, BadInput, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.mapError((e) => new BadInput({ message: `${file}: cannot be read (${e.message})` }))
    )
    return yield* Either.match(decodeConfig(file, text), {
      onLeft: (message) => Effect.fail(new BadInput({ message })),
      onRight: Effect.succeed
    })
  })
