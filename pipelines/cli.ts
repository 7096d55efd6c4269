/**
 * `ferry`: parse, choose the layers, call one pipeline, set the exit code. Nothing else lives
 * here. Exit codes (contract): 0 success, 1 the job failed, 2 bad usage or bad input, 130 on
 * Ctrl-C; every failure is one line on standard error, a stack only with FERRY_DEBUG=1.
 */
import { Args, Command, Options } from "@effect/cli"
import { Console, Effect, Layer, Option, Redacted } from "effect"
import { BadInput, RestoreIncomplete } from "../src/errors.ts"
import type { NotRestored, RestorePlan } from "../src/connector.ts"
import type { ServiceDefinition, TargetOptions } from "../src/service.ts"
import { serviceNames, services } from "../src/services.ts"
import { VERSION } from "../src/version.ts"
import { DEFAULT_FEED_LIMIT } from "../src/feeds/entry.ts"
import { isEmptyPolicy, type RetentionPolicy } from "../src/archive/retention.ts"
import { backup, type BackupSummary } from "./backup.ts"
import { AccountsFailed, backupAccounts } from "./backup-accounts.ts"
import { loadConfig } from "./config.ts"
import { archiveFeed, emitFeed, liveFeed, publishFeeds } from "./feed.ts"
import { checkBudget, checkTargetFlags, DEFAULT_BUDGET, resolveCredentials, resolveTargetCredentials, sourceLayer, targetLayer } from "./layers.ts"
import { mapArchive } from "../src/mapping/between.ts"
import { exportCanvas } from "./export.ts"
import { readCanvases } from "./import.ts"
import { migrate } from "./migrate.ts"
import { archiveCollections, planRestore, type RestoreSummary, runRestore } from "./restore.ts"
import { progressLayer } from "./progress.ts"
import { prune } from "./prune.ts"
import { runProcess } from "./run.ts"
import { runSandbox } from "./sandbox.ts"
import { scheduleCommand, splitScheduleArgv } from "./schedule.ts"
import { runServe } from "./serve.ts"
import { verifyArchive } from "./verify.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print one JSON summary object on standard output"))
const apiKey = Options.text("api-key").pipe(
  Options.optional,
  Options.withDescription("The credential (default: KINOPIO_API_KEY); prefer the environment, flags show up in process lists")
)
const apiUrl = Options.text("api-url").pipe(Options.optional, Options.withDescription("The API base URL (default: KINOPIO_API_URL, else the real service)"))

const budgetFlag = Options.float("budget").pipe(
  Options.withDescription(`Fraction of the documented rate limit to use, at most 1 (default: ${DEFAULT_BUDGET})`)
)
const budget = budgetFlag.pipe(Options.withDefault(DEFAULT_BUDGET))
const toApiKey = Options.text("to-api-key").pipe(
  Options.optional,
  Options.withDescription("The target account's credential (default: the *_TARGET_* variables, else the normal ones)")
)
const toApiUrl = Options.text("to-api-url").pipe(Options.optional, Options.withDescription("The target's API base URL"))

const service = Args.choice(serviceNames.map((name) => [name, services[name]] as const), { name: "service" })
const keepFlag = (name: string, what: string) =>
  Options.integer(name).pipe(Options.optional, Options.withDescription(`Keep ${what}`))
const keepFlags = {
  keepLast: keepFlag("keep-last", "the N newest archives"),
  keepDaily: keepFlag("keep-daily", "the newest archive of each of the last N days that have one (UTC)"),
  keepWeekly: keepFlag("keep-weekly", "the newest archive of each of the last N ISO weeks that have one (UTC)"),
  keepMonthly: keepFlag("keep-monthly", "the newest archive of each of the last N months that have one (UTC)")
}
type KeepFlags = { readonly [K in keyof typeof keepFlags]: Option.Option<number> }

/** The --keep-* flags as a policy; negative counts refused. */
const policyOf = (a: KeepFlags): Effect.Effect<RetentionPolicy, BadInput> => {
  const flags = { "keep-last": a.keepLast, "keep-daily": a.keepDaily, "keep-weekly": a.keepWeekly, "keep-monthly": a.keepMonthly }
  for (const [flag, value] of Object.entries(flags)) {
    if (Option.isSome(value) && value.value < 0) return Effect.fail(new BadInput({ message: `--${flag} must be 0 or more (got ${value.value})` }))
  }
  return Effect.succeed({
    ...(Option.isSome(a.keepLast) ? { last: a.keepLast.value } : {}),
    ...(Option.isSome(a.keepDaily) ? { daily: a.keepDaily.value } : {}),
    ...(Option.isSome(a.keepWeekly) ? { weekly: a.keepWeekly.value } : {}),
    ...(Option.isSome(a.keepMonthly) ? { monthly: a.keepMonthly.value } : {})
  })
}

const backupCommand = Command.make("backup", {
  service: service.pipe(Args.optional),
  config: Options.file("config").pipe(
    Options.optional,
    Options.withDescription("Back up every account a ferry.config.json lists, each under <out>/<account name>/ (instead of naming a service)")
  ),
  out: Options.text("out").pipe(Options.withDefault("output"), Options.withDescription("Output folder (default: output)")),
  // Optional rather than defaulted, so that with --config a flag the file overrides is refused, not ignored.
  format: Options.choice("format", ["zip", "tar.gz"]).pipe(Options.optional, Options.withDescription("Archive format (default: zip)")),
  budget: budgetFlag.pipe(Options.optional),
  space: Options.text("space").pipe(Options.repeated, Options.withDescription("Kinopio: back up only this space (repeatable)")),
  board: Options.text("board").pipe(Options.repeated, Options.withDescription("Infinity: back up only this board (repeatable)")),
  workspace: Options.text("workspace").pipe(Options.repeated, Options.withDescription("Infinity: back up only this workspace (repeatable)")),
  feeds: Options.boolean("feeds").pipe(
    Options.withDescription("Also write <out>/feeds/<service>/<id>/{feed.json,rss.xml,atom.xml} for every space that is neither private nor removed (Infinity: boards named with --board), from the archive, with no extra request")
  ),
  full: Options.boolean("full").pipe(
    Options.withDescription("Fetch everything; copy nothing from the previous archive (default: what has provably not changed is copied)")
  ),
  ...keepFlags,
  apiKey,
  apiUrl,
  json
}, (a) =>
  Effect.gen(function*() {
    const keep = yield* policyOf(a)
    if (Option.isSome(a.config)) {
      const given = [
        Option.isSome(a.service) ? a.service.value.name : undefined,
        ...(["space", "board", "workspace"] as const).map((f) => (a[f].length > 0 ? `--${f}` : undefined)),
        Option.isSome(a.apiKey) ? "--api-key" : undefined,
        Option.isSome(a.apiUrl) ? "--api-url" : undefined,
        a.feeds ? "--feeds" : undefined,
        Option.isSome(a.format) ? "--format (give \"format\" in the file)" : undefined,
        Option.isSome(a.budget) ? "--budget (give \"budget\" in the file)" : undefined,
        isEmptyPolicy(keep) ? undefined : "--keep-* (give \"keep\" in the file)"
      ].filter((x) => x !== undefined)
      if (given.length > 0) {
        return yield* new BadInput({ message: `with --config, the accounts come from the file: drop ${given.join(", ")}` })
      }
      return yield* backupFromConfig(a.config.value, a.out, a.json, a.full)
    }
    if (Option.isNone(a.service)) {
      return yield* new BadInput({ message: `name a service to back up (${serviceNames.join(" or ")}), or --config FILE` })
    }
    const definition = a.service.value
    const budget = yield* checkBudget(Option.getOrElse(a.budget, () => DEFAULT_BUDGET))
    const selection = yield* selectionFor(definition, a)
    const credentials = yield* resolveCredentials(definition, a)
    const summary = yield* backup({
      out: a.out,
      format: Option.getOrElse(a.format, () => "zip" as const),
      ...selection,
      secrets: [Redacted.value(credentials.credential)],
      full: a.full,
      keep,
      command: `ferry backup ${definition.name}`
    }).pipe(
      Effect.provide(Layer.mergeAll(
        sourceLayer(definition, credentials, budget),
        progressLayer({ mode: process.stderr.isTTY ? "live" : "plain", label: `backup ${definition.name}` })
      ))
    )
    if (a.feeds) {
      const feeds = yield* publishFeeds({ service: definition, archive: summary.archive, out: a.out, named: selection.only, limit: DEFAULT_FEED_LIMIT })
      yield* Console.error(
        `feeds: ${feeds.written.length} written under ${feeds.folder}${feeds.removed.length === 0 ? "" : `, ${feeds.removed.length} taken down (now private or removed)`}`
      )
    }
    yield* printSummary(summary, a.json)
  }).pipe(
    // Monitoring reads stdout: a run that fails once its flags are read, however early, says so
    // there too (in the shape of a --config summary when it is one), then exits as usual.
    Effect.tapError((e) =>
      !a.json || e instanceof AccountsFailed
        ? Effect.void
        : Console.log(JSON.stringify(
          Option.isSome(a.config)
            ? { ok: false, accounts: [], error: e.message }
            : { ok: false, service: Option.getOrNull(Option.map(a.service, (s) => s.name)), error: e.message }
        ))
    )
  )).pipe(Command.withDescription("Back up everything an account can see into one verifiable archive, copying what has not changed since the last"))

/** Every account of a config; exit 1 when any failed (each failure was said on its own line). */
const backupFromConfig = (file: string, out: string, asJson: boolean, full: boolean) =>
  Effect.gen(function*() {
    const config = yield* loadConfig(file)
    const result = yield* backupAccounts(config, out, file, full)
    if (asJson) yield* Console.log(JSON.stringify(result))
    for (const account of result.accounts) {
      if (account.ok) {
        yield* Console.error(`${account.name}: ${describe(account)}`)
        if (!asJson) yield* Console.log(account.archive)
      } else {
        yield* Console.error(`${account.name}: failed: ${account.error}`)
      }
    }
    const failures = result.accounts.filter((x) => !x.ok).map((x) => x.name)
    if (failures.length > 0) {
      return yield* new AccountsFailed({ failed: failures, total: result.accounts.length })
    }
  })

/** --space, --board and --workspace mean something for one service each: refuse the others. */
const selectionFor = (
  definition: ServiceDefinition,
  flags: { readonly space: ReadonlyArray<string>; readonly board: ReadonlyArray<string>; readonly workspace: ReadonlyArray<string> }
) => {
  const given = { space: flags.space, board: flags.board, workspace: flags.workspace }
  const accepted = new Set<string>([definition.onlyFlag, ...(definition.workspaceFlag === undefined ? [] : [definition.workspaceFlag])])
  const wrong = (Object.keys(given) as Array<keyof typeof given>).find((flag) => given[flag].length > 0 && !accepted.has(flag))
  return wrong === undefined
    ? Effect.succeed({ only: given[definition.onlyFlag], workspaces: definition.workspaceFlag === undefined ? [] : given.workspace })
    : Effect.fail(new BadInput({ message: `--${wrong} does not apply to ${definition.title} backups (use --${definition.onlyFlag})` }))
}

const describe = (summary: BackupSummary) => {
  const carried = summary.carriedOver === null
    ? ""
    : `; copied ${Object.entries(summary.carriedOver.units).map(([k, n]) => `${n} unchanged ${k}`).join(", ") || "nothing"} from ${summary.carriedOver.from}`
  const pruned = summary.pruned === null ? "" : `; ${summary.pruned.removed.length} old archive(s) removed, ${summary.pruned.kept} kept`
  return `backed up ${Object.entries(summary.entities).map(([k, n]) => `${n} ${k}`).join(", ")} in ${(summary.durationMs / 1000).toFixed(1)} s with ${summary.requests} requests (${summary.rateLimited} rate-limited)${carried}${pruned}`
}

const printSummary = (summary: BackupSummary, asJson: boolean) =>
  asJson
    ? Console.log(JSON.stringify({ ok: true, ...summary }))
    : Console.error(describe(summary)).pipe(Effect.zipRight(Console.log(summary.archive))) // the last stdout line is the archive

const verifyCommand = Command.make("verify", {
  archive: Args.text({ name: "archive" }),
  json
}, (a) =>
  verifyArchive(a.archive).pipe(
    Effect.tap((report) =>
      a.json
        ? Console.log(JSON.stringify({ ok: true, ...report }))
        : Console.log(`${report.archive}: ok, ${report.files} files, ${Object.values(report.entities).reduce((n, c) => n + c, 0)} entities, every sha256 and count matches`)
    )
  )).pipe(Command.withDescription("Recompute every hash and count of an archive; exit 2 on any mismatch"))

const targetFlags = {
  workspace: Options.text("workspace").pipe(Options.optional, Options.withDescription("Infinity: the workspace to restore into (needed when the account has several)")),
  withHooks: Options.boolean("with-hooks").pipe(Options.withDescription("Infinity: re-create webhooks, which will fire at real endpoints (off by default)")),
  inviteMembers: Options.boolean("invite-members").pipe(Options.withDescription("Infinity: invite the archive's members absent from the target, by e-mail (off by default)")),
  journal: Options.text("journal").pipe(Options.optional, Options.withDescription("Where the restore records its progress (default: beside the archive, or under output/ for migrate)"))
}

const targetOptions = (
  flags: { readonly workspace: Option.Option<string>; readonly withHooks: boolean; readonly inviteMembers: boolean; readonly journal: Option.Option<string> },
  defaultJournal: string
): TargetOptions => ({
  withHooks: flags.withHooks,
  inviteMembers: flags.inviteMembers,
  journal: Option.getOrElse(flags.journal, () => defaultJournal),
  ...(Option.isSome(flags.workspace) ? { workspace: flags.workspace.value } : {})
})

const restoreCommand = Command.make("restore", {
  archive: Args.text({ name: "archive" }),
  ...targetFlags,
  to: Options.choice("to", serviceNames).pipe(Options.optional, Options.withDescription("The target service (default: the archive's own)")),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print the plan (entities, requests, time) and write nothing")),
  budget,
  toApiKey,
  toApiUrl,
  json
}, (a) =>
  Effect.gen(function*() {
    const budget = yield* checkBudget(a.budget)
    // Verified first: a corrupt, truncated or foreign archive stops here, before any request.
    const report = yield* verifyArchive(a.archive)
    const into = services[Option.getOrElse(a.to, () => report.service)]
    yield* checkTargetFlags(into, a)
    const credentials = yield* resolveTargetCredentials(into, a)
    // Another service's restore keeps a journal of its own: the two never mix.
    const journal = into.name === report.service ? `${a.archive}.restore-journal.jsonl` : `${a.archive}.to-${into.name}.restore-journal.jsonl`
    const target = yield* targetLayer(into, credentials, budget, targetOptions(a, journal))
    const { collections, notCarried } = yield* mapArchive(yield* archiveCollections(a.archive, report.service), into.name)
    if (a.dryRun) {
      const plan = yield* planRestore(collections, notCarried).pipe(Effect.provide(target))
      return yield* printPlan(plan, `restore ${a.archive} into the ${into.title} account at ${credentials.apiUrl}`, budget, into, a.json)
    }
    const summary = yield* runRestore(a.archive, collections, notCarried).pipe(
      Effect.provide(Layer.merge(target, progressLayer({ mode: process.stderr.isTTY ? "live" : "plain", label: `restore into ${into.name}` })))
    )
    yield* printRestored(summary, a.json)
  })).pipe(Command.withDescription("Re-create an archive's entities in a target account; safe to run again"))

const printPlan = (plan: RestorePlan, what: string, budget: number, service: ServiceDefinition, asJson: boolean) => {
  const seconds = Math.ceil(plan.requests / (budget * service.requestsPerSecond))
  return asJson
    ? Console.log(JSON.stringify({ dryRun: true, ...plan, estimatedSeconds: seconds }))
    : Console.log([
      `Plan: ${what} (no write sent)`,
      ...plan.steps.map((s) =>
        `  ${s.collection}: ${s.entities} to ${s.action === "create" ? "create" : "mark removed once created"} in ${s.requests} request${s.requests === 1 ? "" : "s"}`
      ),
      ...plan.notRestored.map((n) => `  not restored: ${describeRow(n)}`),
      `  ${plan.requests} requests in all, about ${seconds} s at ${(budget * service.requestsPerSecond).toFixed(1)} requests/second`
    ].join("\n"))
}

/** The restore's outcome; anything missing from the target after it fails the run (exit 1). */
const printRestored = (summary: RestoreSummary, asJson: boolean) =>
  Effect.gen(function*() {
    if (asJson) yield* Console.log(JSON.stringify(summary))
    else {
      yield* Console.error(
        Object.entries(summary.collections).map(([c, n]) =>
          `${c}: ${n.created} ${c.startsWith("removed") ? "marked removed" : "created"}${n.existing > 0 ? `, ${n.existing} already there` : ""}`
        ).join("\n")
      )
      for (const n of summary.notCarried) yield* Console.error(`not carried: ${describeRow(n)}`)
      for (const d of summary.differences) yield* Console.error(`differs: ${d}`)
      yield* Console.log(`restored into ${summary.account} with ${summary.requests} requests in ${(summary.durationMs / 1000).toFixed(1)} s`)
    }
    // Something missing, or more in the target than the archive holds (a duplicate), fails the run.
    const wrong = summary.differences.filter((d) => d.endsWith("missing from the target") || d.includes("more than the archive"))
    if (wrong.length > 0) return yield* new RestoreIncomplete({ missing: wrong.length, first: wrong[0]! })
  })

const migrateCommand = Command.make("migrate", {
  service,
  ...targetFlags,
  to: Options.choice("to", serviceNames).pipe(Options.withDescription("The target service")),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Read the source and print the plan; write nothing")),
  budget,
  apiKey,
  apiUrl,
  toApiKey,
  toApiUrl,
  json
}, (a) =>
  Effect.gen(function*() {
    const budget = yield* checkBudget(a.budget)
    yield* checkTargetFlags(services[a.to], a)
    const from = yield* resolveCredentials(a.service, a)
    const to = yield* resolveTargetCredentials(services[a.to], a)
    const target = yield* targetLayer(services[a.to], to, budget, targetOptions(a, `output/${a.to}/migrate-${a.service.name}.restore-journal.jsonl`))
    const outcome = yield* migrate({ secrets: [Redacted.value(from.credential)], dryRun: a.dryRun }).pipe(
      Effect.provide(Layer.mergeAll(
        sourceLayer(a.service, from, budget),
        target,
        progressLayer({ mode: process.stderr.isTTY ? "live" : "plain", label: `migrate ${a.service.name}` })
      ))
    )
    if (outcome._tag === "Planned") {
      return yield* printPlan(outcome.plan, `migrate ${a.service.title} at ${from.apiUrl} into the account at ${to.apiUrl}`, budget, services[a.to], a.json)
    }
    yield* printRestored(outcome.summary, a.json)
  })).pipe(Command.withDescription("Copy an account into another, straight from the source, with no archive; safe to run again"))

const exportCommand = Command.make("export", {
  archive: Args.text({ name: "archive" }),
  format: Options.choice("format", ["canvas"]).pipe(Options.withDescription("canvas: one JSON Canvas 1.0 file per space (jsoncanvas.org)")),
  space: Options.text("space").pipe(Options.repeated, Options.withDescription("Export only this space (repeatable; a removed space only when named)")),
  out: Options.text("out").pipe(Options.withDefault("output"), Options.withDescription("Folder for the .canvas files (default: output)")),
  json
}, (a) =>
  Effect.gen(function*() {
    const summary = yield* exportCanvas({ archive: a.archive, spaces: a.space, out: a.out })
    if (a.json) return yield* Console.log(JSON.stringify(summary))
    for (const row of summary.notShown) yield* Console.error(`not shown to other canvas readers: ${describeRow(row)} (kept in the file's "ferry" key)`)
    for (const file of summary.files) yield* Console.log(file.path)
    yield* Console.error(`${summary.files.length} canvas file${summary.files.length === 1 ? "" : "s"} written`)
  })).pipe(Command.withDescription("Write each space of a Kinopio archive as a JSON Canvas file other canvas apps open; no request sent"))

const importCommand = Command.make("import", {
  files: Args.text({ name: "file.canvas" }).pipe(Args.repeated),
  to: Options.choice("to", ["kinopio"]).pipe(Options.withDescription("The service to create the spaces in (kinopio)")),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Print the plan and write nothing")),
  budget,
  toApiKey,
  toApiUrl,
  json
}, (a) =>
  Effect.gen(function*() {
    const budget = yield* checkBudget(a.budget)
    const service = services[a.to]
    const { collections, notImported } = yield* readCanvases(a.files)
    const credentials = yield* resolveTargetCredentials(service, a)
    const target = yield* targetLayer(service, credentials, budget, { withHooks: false, inviteMembers: false })
    if (a.dryRun) {
      const plan = yield* planRestore(collections, notImported).pipe(Effect.provide(target))
      return yield* printPlan(plan, `import ${a.files.length} canvas file(s) into the ${service.title} account at ${credentials.apiUrl}`, budget, service, a.json)
    }
    const summary = yield* runRestore(a.files.join(", "), collections, notImported).pipe(
      Effect.provide(Layer.merge(target, progressLayer({ mode: process.stderr.isTTY ? "live" : "plain", label: "import" })))
    )
    yield* printRestored(summary, a.json)
  })).pipe(Command.withDescription("Create a Kinopio space from each JSON Canvas file, from Ferry or any canvas app; safe to run again"))

/** One row of what a target (or a plain reader) cannot hold, as a person reads it. */
const describeRow = (n: NotRestored) => `${n.collection}${n.id === "*" ? "" : ` ${n.id}`}${n.field === "*" ? "" : ` ${n.field}`}: ${n.reason}`

const feedCommand = Command.make("feed", {
  service,
  space: Options.text("space").pipe(Options.optional, Options.withDescription("Kinopio: the space whose feed to build")),
  board: Options.text("board").pipe(Options.optional, Options.withDescription("Infinity: the board whose feed to build")),
  from: Options.text("from").pipe(Options.optional, Options.withDescription("Build the feed from this archive, with no request")),
  format: Options.choice("format", ["json", "rss", "atom"]).pipe(
    Options.withDefault("json" as const),
    Options.withDescription("json (JSON Feed 1.1), rss (RSS 2.0) or atom (Atom 1.0) (default: json)")
  ),
  out: Options.text("out").pipe(Options.optional, Options.withDescription("Write the feed to this file (default: standard output)")),
  limit: Options.integer("limit").pipe(Options.withDefault(DEFAULT_FEED_LIMIT), Options.withDescription(`The most entries the feed holds (default: ${DEFAULT_FEED_LIMIT})`)),
  budget,
  apiKey,
  apiUrl
}, (a) =>
  Effect.gen(function*() {
    const named = { space: a.space, board: a.board }
    const other = (Object.keys(named) as Array<keyof typeof named>).find((flag) => flag !== a.service.onlyFlag && Option.isSome(named[flag]))
    if (other !== undefined) {
      return yield* new BadInput({ message: `--${other} does not apply to ${a.service.title} feeds (use --${a.service.onlyFlag} ID)` })
    }
    const id = named[a.service.onlyFlag]
    if (Option.isNone(id) || id.value.trim() === "") {
      return yield* new BadInput({ message: `name the ${a.service.onlyFlag} whose feed to build with --${a.service.onlyFlag} ID` })
    }
    if (!(a.limit >= 1)) return yield* new BadInput({ message: `--limit must be at least 1 (got ${a.limit})` })
    const request = { id: id.value.trim(), limit: a.limit }
    const doc = Option.isSome(a.from)
      ? yield* archiveFeed(a.service, a.from.value, request)
      : yield* Effect.gen(function*() {
        const budget = yield* checkBudget(a.budget)
        const credentials = yield* resolveCredentials(a.service, a)
        return yield* liveFeed(a.service, credentials, budget, request)
      })
    yield* emitFeed(doc, { format: a.format, ...(Option.isSome(a.out) ? { out: a.out.value } : {}) })
    if (Option.isSome(a.out)) yield* Console.log(a.out.value)
  })).pipe(Command.withDescription("Write a space's or board's recent activity as JSON Feed 1.1, RSS 2.0 or Atom 1.0, live or from an archive"))

const serveCommand = Command.make("serve", {
  dir: Options.text("dir").pipe(Options.withDefault("output/feeds"), Options.withDescription("The folder of feeds to serve (default: output/feeds)")),
  port: Options.integer("port").pipe(Options.withDefault(8788), Options.withDescription("Port (default: 8788; 0 picks a free one)")),
  host: Options.text("host").pipe(Options.withDefault("127.0.0.1"), Options.withDescription("Address to listen on (default: 127.0.0.1, this machine only)"))
}, (a) => runServe(a)).pipe(Command.withDescription("Serve the feeds over HTTP with ETag, Last-Modified and 304s, until interrupted"))

const sandboxCommand = Command.make("sandbox", {
  port: Options.integer("port").pipe(Options.withDefault(8787), Options.withDescription("Port on 127.0.0.1 (default: 8787; 0 picks a free one)")),
  seed: Options.text("seed").pipe(Options.withDefault("demo"), Options.withDescription("Kinopio's data: demo, empty, or generated:<spaces>x<cards> (default: demo)")),
  infinitySeed: Options.text("infinity-seed").pipe(Options.optional, Options.withDescription("Infinity's data: demo, empty, or generated:<boards>x<items>[x<comments>] (default: demo with --seed demo, else empty)")),
  faults: Options.float("faults").pipe(Options.withDefault(0), Options.withDescription("Fraction of requests answered 5xx or cut off mid-body (default: 0)")),
  rateLimit: Options.integer("rate-limit").pipe(Options.withDefault(5), Options.withDescription("Kinopio requests per second per key before 429 (default: 5, as documented)")),
  infinityRateLimit: Options.integer("infinity-rate-limit").pipe(Options.withDefault(180), Options.withDescription("Infinity requests per minute per token before 429 (default: 180, as documented)"))
}, ({ infinitySeed, ...a }) => runSandbox({ ...a, ...Option.match(infinitySeed, { onNone: () => ({}), onSome: (seed) => ({ infinitySeed: seed }) }) })).pipe(Command.withDescription("Serve the emulated APIs on loopback and print the variables that point Ferry at them"))

const pruneCommand = Command.make("prune", {
  out: Options.text("out").pipe(Options.withDefault("output"), Options.withDescription("Output folder (default: output)")),
  ...keepFlags,
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("List what would be removed; remove nothing")),
  json
}, (a) =>
  Effect.gen(function*() {
    const policy = yield* policyOf(a)
    if (isEmptyPolicy(policy) || Object.values(policy).every((n) => n === 0)) {
      return yield* new BadInput({ message: "name at least one --keep-* rule (--keep-last, --keep-daily, --keep-weekly or --keep-monthly) of 1 or more" })
    }
    const summary = yield* prune({ out: a.out, dryRun: a.dryRun, policy })
    if (a.json) return yield* Console.log(JSON.stringify(summary))
    for (const group of summary.services) {
      const whose = group.account === null ? "owner unknown (manifest unreadable): never removed" : `account ${group.account} at ${group.apiUrl}`
      yield* Console.log(`${group.folder}: ${group.service}, ${whose}`)
      for (const k of group.keep) yield* Console.log(`keep ${k.path} (${k.reasons.join(", ")})`)
      for (const r of group.remove) yield* Console.log(`${summary.dryRun ? "would remove" : "remove"} ${r.path}`)
    }
    yield* Console.error(`${summary.kept} kept, ${summary.removed} ${summary.dryRun ? "would be removed (dry run)" : "removed"}`)
  })).pipe(Command.withDescription("Remove old archives under --out by restic-style rules; the newest archive of each account on each service is always kept"))

// `schedule` takes everything after `--` verbatim (@effect/cli would read its --help as ours).
const scheduled = splitScheduleArgv(process.argv)

const ferry = Command.make("ferry").pipe(
  Command.withDescription("Keeps your Kinopio and Infinity data safe and mobile: paced, verifiable backups, safe restores and migrations, activity feeds"),
  Command.withSubcommands([
    backupCommand,
    verifyCommand,
    restoreCommand,
    migrateCommand,
    exportCommand,
    importCommand,
    feedCommand,
    serveCommand,
    sandboxCommand,
    pruneCommand,
    scheduleCommand(scheduled.command)
  ])
)

const cli = Command.run(ferry, { name: "ferry", version: VERSION })

runProcess(cli(scheduled.argv))
