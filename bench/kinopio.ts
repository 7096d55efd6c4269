/**
 * `npm run bench`: what a Kinopio backup costs the person (requests, time against the floor the
 * rate limit sets, 429s) and what it costs the machine (records/s, peak RSS). The sandbox runs
 * in a child process and each backup in another, so every figure is Ferry's alone.
 */
import { spawn } from "node:child_process"
import { rmSync } from "node:fs"
import { createInterface } from "node:readline"

const node = process.execPath
const root = new URL("..", import.meta.url).pathname

interface Sandbox {
  readonly env: Record<string, string>
  readonly stop: () => void
}

const startSandbox = (seed: string, rateLimit: number): Promise<Sandbox> =>
  new Promise((resolve, reject) => {
    const child = spawn(node, ["bin/ferry.js", "sandbox", "--port", "0", "--seed", seed, "--rate-limit", String(rateLimit)], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"]
    })
    const env: Record<string, string> = {}
    const lines = createInterface({ input: child.stdout })
    lines.on("line", (line) => {
      const m = /^([A-Z_]+)=(.*)$/.exec(line)
      if (m !== null) env[m[1]!] = m[2]!
      if (env["KINOPIO_API_KEY"] !== undefined && env["KINOPIO_TARGET_API_KEY"] !== undefined) {
        resolve({ env, stop: () => child.kill("SIGINT") })
      }
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
  readonly archive: string
  readonly peakRssBytes: number
}

const runCase = (sandbox: Sandbox, perSecond: number): Promise<CaseResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(node, ["--import", "tsx", "bench/backup-case.ts"], {
      cwd: root,
      env: {
        ...process.env,
        KINOPIO_API_URL: sandbox.env["KINOPIO_API_URL"]!,
        KINOPIO_API_KEY: sandbox.env["KINOPIO_API_KEY"]!,
        BENCH_PER_SECOND: String(perSecond),
        BENCH_OUT: "output/bench"
      },
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`backup case exited with ${code}`))
      resolve(JSON.parse(out.trim().split("\n").pop()!) as CaseResult)
    })
  })

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

const main = async () => {
  rmSync(`${root}output/bench`, { recursive: true, force: true })
  const rows: Array<string> = []

  // Case 1: the cost people pay, under the real limit (5/s, budget 0.9).
  {
    const sandbox = await startSandbox("generated:200x50", 5)
    try {
      const r = await runCase(sandbox, 5)
      const floorMs = (r.requests / (5 * 0.9)) * 1000
      rows.push(
        "Case 1: 200 spaces x 50 cards at the documented 5 req/s, budget 0.9",
        `  requests            ${r.requests} (${(r.requests / 200).toFixed(2)} per space)`,
        `  wall time           ${(r.wallMs / 1000).toFixed(1)} s`,
        `  floor               ${(floorMs / 1000).toFixed(1)} s (requests / 4.5 per s)`,
        `  wall / floor        ${(r.wallMs / floorMs).toFixed(3)}`,
        `  429s                ${r.rateLimited}`,
        `  retries             ${r.retries}`,
        `  records             ${r.records}`,
        `  peak RSS            ${mb(r.peakRssBytes)}`
      )
    } finally {
      sandbox.stop()
    }
  }

  // Case 2: the pipeline itself, against a sandbox whose limit is raised out of the way.
  const peaks: Array<number> = []
  for (const spaces of [500, 2000]) {
    const sandbox = await startSandbox(`generated:${spaces}x100`, 1_000_000)
    try {
      const r = await runCase(sandbox, 1_000_000)
      peaks.push(r.peakRssBytes)
      rows.push(
        `Case 2: ${spaces} spaces x 100 cards, limit raised`,
        `  records             ${r.records} in ${(r.wallMs / 1000).toFixed(1)} s = ${Math.round(r.records / (r.wallMs / 1000))} records/s`,
        `  requests            ${r.requests}`,
        `  archive             ${mb(r.bytes)}`,
        `  peak RSS            ${mb(r.peakRssBytes)}`
      )
    } finally {
      sandbox.stop()
    }
  }
  const [at500, at2000] = peaks as [number, number]
  rows.push(`Peak RSS at 2,000 spaces vs 500: ${((at2000 / at500 - 1) * 100).toFixed(1)}%`)
  console.log(rows.join("\n"))
  rmSync(`${root}output/bench`, { recursive: true, force: true })
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
