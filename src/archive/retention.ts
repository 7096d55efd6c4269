/**
 * Retention: which archives a policy keeps, and why. Pure (no clock, no disk), as restic's
 * `ApplyPolicy` in `internal/data/snapshot_policy.go`: `ferry prune` decides with it, then acts.
 *
 * Semantics are restic's `forget`:
 * - snapshots are considered newest first;
 * - `last` keeps the N newest;
 * - `daily` / `weekly` / `monthly` keep the newest snapshot of each of the last N distinct days /
 *   ISO weeks / months that hold a snapshot (a bucket with no snapshot does not count), in UTC;
 * - a snapshot kept by several rules lists every reason, in the order last, daily, weekly, monthly;
 * - an empty policy (no rule of at least 1) keeps everything (restic refuses to run; the CLI
 *   refuses too, this function just removes nothing).
 * Ferry adds one promise: the newest snapshot is always kept.
 */

export interface Snapshot {
  readonly id: string
  readonly time: Date
}

export interface RetentionPolicy {
  readonly last?: number
  readonly daily?: number
  readonly weekly?: number
  readonly monthly?: number
}

export interface RetentionDecision {
  /** Newest first. */
  readonly keep: Array<{ readonly id: string; readonly reasons: Array<string> }>
  /** Newest first. */
  readonly remove: Array<{ readonly id: string }>
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/** The ISO 8601 week of a UTC date, e.g. "2021-W01" (2021-01-03 is in 2020-W53). */
export const isoWeek = (date: Date): string => {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()))
  const weekday = d.getUTCDay() === 0 ? 7 : d.getUTCDay() // Monday 1 ... Sunday 7
  d.setUTCDate(d.getUTCDate() + 4 - weekday) // the Thursday of this week decides the year
  const year = d.getUTCFullYear()
  const week = Math.ceil(((d.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7)
  return `${year}-W${pad(week)}`
}

interface Rule {
  readonly reason: string
  readonly count: number
  readonly bucket: (s: Snapshot, index: number) => string
}

const countOf = (n: number | undefined): number => (n === undefined || !Number.isFinite(n) || n < 1 ? 0 : Math.floor(n))

export const isEmptyPolicy = (policy: RetentionPolicy): boolean =>
  countOf(policy.last) + countOf(policy.daily) + countOf(policy.weekly) + countOf(policy.monthly) === 0

export const applyPolicy = (snapshots: ReadonlyArray<Snapshot>, policy: RetentionPolicy): RetentionDecision => {
  // Newest first; equal times keep their input order (Array.prototype.sort is stable).
  const sorted = [...snapshots].sort((a, b) => b.time.getTime() - a.time.getTime())
  if (isEmptyPolicy(policy)) {
    return { keep: sorted.map((s) => ({ id: s.id, reasons: ["policy is empty"] })), remove: [] }
  }
  const rules: Array<Rule> = [
    { reason: "last snapshot", count: countOf(policy.last), bucket: (_, i) => String(i) },
    {
      reason: "daily snapshot",
      count: countOf(policy.daily),
      bucket: (s) => `${s.time.getUTCFullYear()}-${pad(s.time.getUTCMonth() + 1)}-${pad(s.time.getUTCDate())}`
    },
    { reason: "weekly snapshot", count: countOf(policy.weekly), bucket: (s) => isoWeek(s.time) },
    { reason: "monthly snapshot", count: countOf(policy.monthly), bucket: (s) => `${s.time.getUTCFullYear()}-${pad(s.time.getUTCMonth() + 1)}` }
  ]
  const remaining = rules.map((r) => r.count)
  const lastBucket: Array<string | undefined> = rules.map(() => undefined)
  const keep: RetentionDecision["keep"] = []
  const remove: RetentionDecision["remove"] = []
  sorted.forEach((snapshot, index) => {
    const reasons: Array<string> = []
    rules.forEach((rule, r) => {
      if ((remaining[r] ?? 0) <= 0) return
      const bucket = rule.bucket(snapshot, index)
      if (bucket === lastBucket[r]) return
      lastBucket[r] = bucket
      remaining[r] = (remaining[r] ?? 0) - 1
      reasons.push(rule.reason)
    })
    // Never remove the newest archive, whatever the policy says.
    if (index === 0 && reasons.length === 0) reasons.push("newest snapshot")
    if (reasons.length > 0) keep.push({ id: snapshot.id, reasons })
    else remove.push({ id: snapshot.id })
  })
  return { keep, remove }
}
