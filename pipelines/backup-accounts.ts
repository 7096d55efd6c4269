/**
 * `ferry backup --config FILE`: every account of the config backed up at once, each with its
 * own budget (one per service and credential, as in any run), each into `<out>/<account name>/`.
 * One account failing (a missing variable, a refused key, a service down) does not stop the
 * others; the summary says, per account, what happened.
 */
import type { FileSystem, Path } from "@effect/platform"
import { Data, Effect, Layer, Option, Redacted } from "effect"
import type { RetentionPolicy } from "../src/archive/retention.ts"
import { services } from "../src/services.ts"
import type { RateBudgets } from "../src/shared/rate-budget.ts"
import { backup, type BackupSummary } from "./backup.ts"
import type { ConfigAccount, FerryConfig } from "./config.ts"
import { publishFeeds } from "./feed.ts"
import { DEFAULT_BUDGET, resolveCredentials, sourceLayer } from "./layers.ts"
import { progressLayer } from "./progress.ts"
import { DEFAULT_FEED_LIMIT } from "../src/feeds/entry.ts"

export type AccountOutcome =
  | ({ readonly name: string; readonly ok: true; readonly error: null } & BackupSummary)
  | { readonly name: string; readonly service: string; readonly ok: false; readonly error: string }

export interface AccountsSummary {
  readonly ok: boolean
  readonly accounts: ReadonlyArray<AccountOutcome>
}

/** Accounts backed up at the same time; each paces itself on its own budget. */
const CONCURRENCY = 8

const variable = (name: string) => {
  const value = process.env[name]
  return value === undefined || value.trim() === "" ? Option.none() : Option.some(value)
}

const backupAccount = (config: FerryConfig, account: ConfigAccount, out: string, configFile: string, full: boolean) =>
  Effect.gen(function*() {
    const service = services[account.service]
    const key = variable(account.credentialEnv)
    if (Option.isNone(key)) {
      return yield* Effect.fail(`${account.credentialEnv} is not set (it holds the ${service.title} credential, as ${configFile} says)`)
    }
    const url = account.apiUrlEnv !== undefined
      ? variable(account.apiUrlEnv)
      : Option.orElse(Option.fromNullable(account.apiUrl), () => variable(service.urlVariable))
    // A named URL variable that is unset must not quietly send the account to the real service.
    if (account.apiUrlEnv !== undefined && Option.isNone(url)) {
      return yield* Effect.fail(`${account.apiUrlEnv} is not set (it holds the ${service.title} API URL, as ${configFile} says)`)
    }
    const credentials = yield* resolveCredentials(service, { apiKey: key, apiUrl: url })
    const only = (service.onlyFlag === "space" ? account.spaces : account.boards) ?? []
    const keep: RetentionPolicy = account.keep ?? config.keep ?? {}
    const folder = `${out.replace(/\/+$/, "")}/${account.name}`
    const summary = yield* backup({
      out: folder,
      format: account.format ?? config.format ?? "zip",
      only,
      workspaces: service.workspaceFlag === undefined ? [] : account.workspaces ?? [],
      secrets: [Redacted.value(credentials.credential)],
      full: full || account.full === true,
      keep,
      command: `ferry backup --config ${configFile} (account ${account.name})`
    }).pipe(Effect.provide(Layer.mergeAll(
      sourceLayer(service, credentials, account.budget ?? config.budget ?? DEFAULT_BUDGET),
      progressLayer({ mode: "plain", label: account.name })
    )))
    if (account.feeds === true) {
      yield* publishFeeds({ service, archive: summary.archive, out: folder, named: only, limit: DEFAULT_FEED_LIMIT })
    }
    return summary
  })

const failed = (account: ConfigAccount, error: string): AccountOutcome =>
  ({ name: account.name, service: account.service, ok: false, error: error.replace(/\s*\n\s*/g, " ") })

export const backupAccounts = (
  config: FerryConfig,
  out: string,
  configFile: string,
  /** `--full` on the command line: every account fetched in full this time. */
  full = false
): Effect.Effect<AccountsSummary, never, FileSystem.FileSystem | Path.Path | RateBudgets> =>
  Effect.map(
    Effect.forEach(config.accounts, (account) =>
      backupAccount(config, account, out, configFile, full).pipe(
        Effect.map((summary): AccountOutcome => ({ name: account.name, ok: true, error: null, ...summary })),
        // Whatever went wrong stays with its account, as one line. (Ctrl-C still stops them all.)
        Effect.catchAll((e) => Effect.succeed(failed(account, typeof e === "string" ? e : e.message))),
        Effect.catchAllDefect((defect) => Effect.succeed(failed(account, `unexpected: ${defect instanceof Error ? defect.message : String(defect)}`)))
      ), { concurrency: CONCURRENCY }),
    (accounts) => ({ ok: accounts.every((a) => a.ok), accounts })
  )

/** Some accounts of a config failed (each said on its own line before). Exit 1. */
export class AccountsFailed extends Data.TaggedError("AccountsFailed")<{
  readonly failed: ReadonlyArray<string>
  readonly total: number
}> {
  override get message() {
    return `${this.failed.length} of ${this.total} accounts failed: ${this.failed.join(", ")}`
  }
}
