/**
 * `npm run bench [kinopio|incremental|infinity|restore|infinity-restore|migrate]`: what a backup costs the person (requests, time against the
 * floor the rate limit sets, 429s) and what it costs the machine (records/s, peak RSS). The
 * sandbox runs in a child process and each backup in another, so every figure is Ferry's alone.
 */
import { spawn } from "node:child_process"
import { rmSync } from "node:fs"
import { createInterface } from "node:readline"

const node = process.execPath
const root = new URL("..", import.meta.url).pathname
const OUT = "output/bench"

interface Sandbox {
  readonly env: Record<string, string>
  readonly stop: () => void
}

const startSandbox = (args: ReadonlyArray<string>): Promise<Sandbox> =>
  new Promise((resolve, reject) => {
    const child = spawn(node, ["bin/ferry.js", "sandbox", "--port", "0", ...args], { cwd: root, stdio: ["ignore", "pipe", "inherit"] })
    const env: Record<string, string> = {}
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = /^([A-Z_]+)=(.*)$/.exec(line)
      if (m !== null) env[m[1]!] = m[2]!
      if (env["INFINITY_TARGET_API_TOKEN"] !== undefined) resolve({ env, stop: () => child.kill("SIGINT") })
    })
    child.on("exit", (code) => reject(new Error(`sandbox exited with ${code}`)))
  })

interface CaseResult {
  readonly wallMs: number
  readonly requests: number
  readonly rateLimited: number
  readonly retries: number
  readonly records: number
  readonly bytes: number
  readonly peakRssBytes: number
}

/** Runs one case script in its own process and returns the JSON line it prints last. */
const runScript = <A>(script: string, env: Record<string, string>): Promise<A> =>
  new Promise((resolve, reject) => {
    const child = spawn(node, ["--import", "tsx", script], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`))
      resolve(JSON.parse(out.trim().split("\n").pop()!) as A)
    })
  })

interface BackupResult extends CaseResult {
  readonly archive: string
  readonly carriedOver: { readonly from: string; readonly units: Record<string, number> } | null
  readonly dataFiles: Record<string, string>
}

const runCase = (service: string, sandbox: Sandbox, perSecond?: number, options: { readonly out?: string; readonly incremental?: boolean } = {}) =>
  runScript<BackupResult>("bench/backup-case.ts", {
    ...sandbox.env,
    BENCH_SERVICE: service,
    BENCH_OUT: options.out ?? OUT,
    BENCH_FULL: options.incremental === true ? "0" : "1",
    ...(perSecond === undefined ? {} : { BENCH_PER_SECOND: String(perSecond) })
  })

interface RestoreResult {
  readonly wallMs: number
  readonly requests: number
  readonly rateLimited: number
  readonly collections: Record<string, { readonly created: number; readonly existing: number }>
  readonly differences: number
  readonly peakRssBytes: number
}

const runRestoreCase = (service: string, sandbox: Sandbox, archive: string) =>
  runScript<RestoreResult>("bench/restore-case.ts", { ...sandbox.env, BENCH_SERVICE: service, BENCH_ARCHIVE: archive })

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`

const withSandbox = async <A>(args: ReadonlyArray<string>, f: (sandbox: Sandbox) => Promise<A>): Promise<A> => {
  const sandbox = await startSandbox(args)
  try {
    return await f(sandbox)
  } finally {
    sandbox.stop()
  }
}

/** The cost people pay, at the documented limit and the default budget of 0.9. */
const paced = (title: string, r: CaseResult, units: number, unit: string, perSecond: number) => {
  const floorMs = (r.requests / (perSecond * 0.9)) * 1000
  return [
    title,
    `  requests            ${r.requests} (${(r.requests / units).toFixed(2)} per ${unit})`,
    `  wall time           ${s(r.wallMs)}`,
    `  floor               ${s(floorMs)} (requests / ${(perSecond * 0.9).toFixed(1)} per s)`,
    `  wall / floor        ${(r.wallMs / floorMs).toFixed(3)}`,
    `  429s                ${r.rateLimited}`,
    `  retries             ${r.retries}`,
    `  records             ${r.records}`,
    `  peak RSS            ${mb(r.peakRssBytes)}`
  ]
}

const kinopio = async (): Promise<Array<string>> => {
  const rows: Array<string> = []
  const r = await withSandbox(["--seed", "generated:200x50", "--infinity-seed", "empty"], (sb) => runCase("kinopio", sb))
  rows.push(...paced("Kinopio case 1: 200 spaces x 50 cards at the documented 5 req/s, budget 0.9", r, 200, "space", 5))
  // The pipeline itself, against a sandbox whose limit is raised out of the way.
  const peaks: Array<number> = []
  for (const spaces of [500, 2000]) {
    const big = await withSandbox(
      ["--seed", `generated:${spaces}x100`, "--infinity-seed", "empty", "--rate-limit", "1000000"],
      (sb) => runCase("kinopio", sb, 1_000_000)
    )
    peaks.push(big.peakRssBytes)
    rows.push(
      `Kinopio case 2: ${spaces} spaces x 100 cards, limit raised`,
      `  records             ${big.records} in ${s(big.wallMs)} = ${Math.round(big.records / (big.wallMs / 1000))} records/s`,
      `  requests            ${big.requests}`,
      `  archive             ${mb(big.bytes)}`,
      `  peak RSS            ${mb(big.peakRssBytes)}`
    )
  }
  const [at500, at2000] = peaks as [number, number]
  rows.push(`Kinopio peak RSS at 2,000 spaces vs 500: ${((at2000 / at500 - 1) * 100).toFixed(1)}%`)
  return rows
}
/**
 * A nightly backup the night after: 200 spaces backed up, 2 of them changed, backed up again
 * into the same folder; then a full backup of the same state, to show the archives hold the same data.
 */
const kinopioIncremental = async (): Promise<Array<string>> => {
  const { first, second, full } = await withSandbox(["--seed", "generated:200x50", "--infinity-seed", "empty"], async (sb) => {
    const first = await runCase("kinopio", sb, undefined, { out: `${OUT}/nightly`, incremental: true })
    await runScript("bench/change-case.ts", { ...sb.env, BENCH_CHANGE: "2" })
    const second = await runCase("kinopio", sb, undefined, { out: `${OUT}/nightly`, incremental: true })
    const full = await runCase("kinopio", sb, undefined, { out: `${OUT}/full` })
    return { first, second, full }
  })
  const same = Object.keys(full.dataFiles).length === Object.keys(second.dataFiles).length &&
    Object.entries(full.dataFiles).every(([path, sha]) => second.dataFiles[path] === sha)
  return [
    "Kinopio incremental: 200 spaces x 50 cards backed up, 2 spaces changed, backed up again (5 req/s, budget 0.9)",
    `  first run           ${first.requests} requests, ${s(first.wallMs)}`,
    `  second run          ${second.requests} requests (${((second.requests / first.requests) * 100).toFixed(1)}% of the first), ${s(second.wallMs)}`,
    `  copied              ${second.carriedOver?.units["spaces"] ?? 0} unchanged spaces from ${second.carriedOver?.from ?? "nothing"}`,
    `  data files          ${same ? "identical to" : "DIFFERENT from"} a full backup of the same state (sha256 of every data file)`,
    `  peak RSS            ${mb(second.peakRssBytes)}`
  ]
}

/** A restore: one Kinopio space of 10,000 cards and 5,000 connections into an empty account. */
const kinopioRestore = async (): Promise<Array<string>> => {
  const r = await withSandbox(["--seed", "generated:1x10000x5000", "--infinity-seed", "empty"], async (sb) => {
    const backup = await runCase("kinopio", sb)
    return runRestoreCase("kinopio", sb, backup.archive)
  })
  const floorMs = (r.requests / 4.5) * 1000
  const cards = r.collections["cards"]?.created ?? 0
  const connections = r.collections["connections"]?.created ?? 0
  return [
    "Kinopio restore: 1 space x 10,000 cards and 5,000 connections into an empty account, at 5 req/s, budget 0.9",
    `  created             ${cards} cards, ${connections} connections (${r.differences} differences on re-reading)`,
    `  requests            ${r.requests} (${((r.requests / (cards + connections)) * 100).toFixed(1)} per 100 entities, reads included)`,
    `  wall time           ${s(r.wallMs)}`,
    `  floor               ${s(floorMs)}`,
    `  wall / floor        ${(r.wallMs / floorMs).toFixed(3)}`,
    `  429s                ${r.rateLimited}`,
    `  peak RSS            ${mb(r.peakRssBytes)}`
  ]
}

/** A restore: one Infinity board of 2,000 items (a comment each) into an empty workspace, at the documented limit. */
const infinityRestore = async (): Promise<Array<string>> => {
  // The archive comes from a twin sandbox with its limit raised: only the restore is measured.
  const archive = await withSandbox(
    ["--seed", "empty", "--infinity-seed", "generated:1x2000x1", "--infinity-rate-limit", "1000000"],
    async (sb) => (await runCase("infinity", sb, 1_000_000)).archive
  )
  const r = await withSandbox(["--seed", "empty", "--infinity-seed", "generated:1x2000x1"], (sb) => runRestoreCase("infinity", sb, archive))
  const floorMs = (r.requests / 2.7) * 1000
  return [
    "Infinity restore: 1 board x 2,000 items with a comment each into an empty workspace, at 180 req/min, budget 0.9",
    `  created             ${Object.entries(r.collections).map(([c, n]) => `${n.created} ${c}`).join(", ")}`,
    `  differences         ${r.differences} on re-reading`,
    `  requests            ${r.requests} (reads and the final re-reading included)`,
    `  wall time           ${s(r.wallMs)}`,
    `  floor               ${s(floorMs)}`,
    `  wall / floor        ${(r.wallMs / floorMs).toFixed(3)}`,
    `  429s                ${r.rateLimited}`,
    `  peak RSS            ${mb(r.peakRssBytes)}`
  ]
}

/** Kinopio → Infinity: 20 spaces of 200 cards into an empty workspace, both services at their documented limits. */
const kinopioToInfinity = async (): Promise<Array<string>> => {
  const r = await withSandbox(["--seed", "generated:20x200", "--infinity-seed", "empty"], (sb) =>
    runScript<{
      wallMs: number
      sourceRequests: number
      targetRequests: number
      rateLimited: number
      collections: Record<string, { created: number; existing: number }>
      notCarried: number
      differences: number
      peakRssBytes: number
    }>("bench/migrate-case.ts", { ...sb.env, BENCH_OUT: OUT }))
  // The backup half paces on Kinopio's budget, then the restore half on Infinity's: the floors add.
  const floorMs = (r.sourceRequests / 4.5 + r.targetRequests / 2.7) * 1000
  return [
    "Migrate Kinopio → Infinity: 20 spaces x 200 cards into an empty workspace (5 req/s and 180 req/min, budget 0.9)",
    `  created             ${Object.entries(r.collections).map(([c, n]) => `${n.created} ${c}`).join(", ")}`,
    `  not carried         ${r.notCarried} rows listed; ${r.differences} differences on re-reading`,
    `  requests            ${r.sourceRequests} to Kinopio, ${r.targetRequests} to Infinity`,
    `  wall time           ${s(r.wallMs)}`,
    `  floor               ${s(floorMs)} (Kinopio requests / 4.5 per s + Infinity requests / 2.7 per s)`,
    `  wall / floor        ${(r.wallMs / floorMs).toFixed(3)}`,
    `  429s                ${r.rateLimited}`,
    `  peak RSS            ${mb(r.peakRssBytes)}`
  ]
}

const infinity = async (): Promise<Array<string>> => {
  const r = await withSandbox(["--seed", "empty", "--infinity-seed", "generated:1x2000x1"], (sb) => runCase("infinity", sb))
  return paced("Infinity: 1 board x 2,000 items with comments at the documented 180 req/min, budget 0.9", r, 2000, "item", 3)
}

const main = async () => {
  const only = process.argv[2]
  rmSync(`${root}${OUT}`, { recursive: true, force: true })
  const rows: Array<string> = []
  if (only === undefined || only === "kinopio") rows.push(...(await kinopio()))
  if (only === undefined || only === "kinopio" || only === "incremental") rows.push(...(await kinopioIncremental()))
  if (only === undefined || only === "kinopio" || only === "restore") rows.push(...(await kinopioRestore()))
  if (only === undefined || only === "infinity") rows.push(...(await infinity()))
  if (only === undefined || only === "migrate") rows.push(...(await kinopioToInfinity()))
  if (only === undefined || only === "infinity" || only === "restore" || only === "infinity-restore") rows.push(...(await infinityRestore()))
  console.log(rows.join("\n"))
  rmSync(`${root}${OUT}`, { recursive: true, force: true })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
