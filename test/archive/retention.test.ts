import { describe, expect, it } from "@effect/vitest"
import { applyPolicy, isoWeek, type RetentionPolicy } from "../../src/archive/retention.ts"

/** Snapshots named by their id, at the given UTC times. */
const snaps = (times: Record<string, string>) => Object.entries(times).map(([id, t]) => ({ id, time: new Date(t) }))

/** Shuffled deterministically: the input order must not matter. */
const scrambled = <A>(xs: ReadonlyArray<A>): Array<A> => xs.map((x, i) => [x, (i * 7919) % 101] as const).sort((a, b) => a[1] - b[1]).map(([x]) => x)

const daily20 = (() => {
  // 2024-01-01 .. 2024-01-20 at 03:00, none on the 16th and 17th, a second one at 15:00 on the 20th, 18th, 15th and 10th.
  const out: Record<string, string> = {}
  for (let d = 1; d <= 20; d++) {
    if (d === 16 || d === 17) continue
    const day = `2024-01-${String(d).padStart(2, "0")}`
    out[`d${d}a`] = `${day}T03:00:00Z`
    if ([20, 18, 15, 10].includes(d)) out[`d${d}b`] = `${day}T15:00:00Z`
  }
  return snaps(out)
})()

const weekly = snaps({
  w1: "2021-01-12T08:00:00Z", // 2021-W02
  w2: "2021-01-10T08:00:00Z", // 2021-W01 (Sunday)
  w3: "2021-01-04T08:00:00Z", // 2021-W01 (Monday)
  w4: "2021-01-03T08:00:00Z", // 2020-W53 (Sunday)
  w5: "2021-01-01T08:00:00Z", // 2020-W53
  w6: "2020-12-28T08:00:00Z", // 2020-W53 (Monday)
  w7: "2020-12-27T08:00:00Z", // 2020-W52
  w8: "2020-12-21T08:00:00Z", // 2020-W52
  w9: "2020-12-14T08:00:00Z" // 2020-W51
})

const monthly = snaps({
  m1: "2024-04-15T00:00:00Z",
  m2: "2024-04-01T00:00:00Z",
  m3: "2024-03-15T00:00:00Z",
  m4: "2024-03-01T00:00:00Z",
  m5: "2024-02-15T00:00:00Z",
  m6: "2024-02-01T00:00:00Z",
  // no snapshot in January: that month does not count
  m7: "2023-12-15T00:00:00Z",
  m8: "2023-12-01T00:00:00Z",
  m9: "2023-11-15T00:00:00Z",
  m10: "2023-11-01T00:00:00Z",
  m11: "2023-10-15T00:00:00Z",
  m12: "2023-10-01T00:00:00Z",
  m13: "2023-09-15T00:00:00Z",
  m14: "2023-09-01T00:00:00Z"
})

const combined = snaps({
  a: "2024-03-20T10:00:00Z", // Wed, 2024-W12
  b: "2024-03-20T08:00:00Z",
  c: "2024-03-19T08:00:00Z", // Tue, W12
  d: "2024-03-17T08:00:00Z", // Sun, W11
  e: "2024-03-10T08:00:00Z", // Sun, W10
  f: "2024-02-28T08:00:00Z", // Wed, W09
  g: "2024-02-10T08:00:00Z" // Sat, W06
})

const cases: ReadonlyArray<{
  readonly name: string
  readonly snapshots: ReadonlyArray<{ id: string; time: Date }>
  readonly policy: RetentionPolicy
  readonly keep: ReadonlyArray<readonly [string, ReadonlyArray<string>]>
  readonly remove: ReadonlyArray<string>
}> = [
  {
    name: "keep-last 3 keeps the 3 newest",
    snapshots: snaps({ s1: "2024-01-01T00:00:00Z", s2: "2024-01-01T01:00:00Z", s3: "2024-01-05T00:00:00Z", s4: "2024-02-01T00:00:00Z", s5: "2024-02-01T00:00:01Z" }),
    policy: { last: 3 },
    keep: [["s5", ["last snapshot"]], ["s4", ["last snapshot"]], ["s3", ["last snapshot"]]],
    remove: ["s2", "s1"]
  },
  {
    name: "keep-daily 7 over 20 days: the newest of each of the last 7 days that have a snapshot",
    snapshots: daily20,
    policy: { daily: 7 },
    keep: ["d20b", "d19a", "d18b", "d15b", "d14a", "d13a", "d12a"].map((id) => [id, ["daily snapshot"]] as const),
    remove: ["d20a", "d18a", "d15a", "d11a", "d10b", "d10a", "d9a", "d8a", "d7a", "d6a", "d5a", "d4a", "d3a", "d2a", "d1a"]
  },
  {
    name: "keep-weekly 4 across a year boundary uses ISO weeks (2021-01-01..03 are in 2020-W53)",
    snapshots: weekly,
    policy: { weekly: 4 },
    keep: ["w1", "w2", "w4", "w7"].map((id) => [id, ["weekly snapshot"]] as const),
    remove: ["w3", "w5", "w6", "w8", "w9"]
  },
  {
    name: "keep-monthly 6 skips a month with no snapshot",
    snapshots: monthly,
    policy: { monthly: 6 },
    keep: ["m1", "m3", "m5", "m7", "m9", "m11"].map((id) => [id, ["monthly snapshot"]] as const),
    remove: ["m2", "m4", "m6", "m8", "m10", "m12", "m13", "m14"]
  },
  {
    name: "combined rules list every reason",
    snapshots: combined,
    policy: { last: 2, daily: 3, weekly: 2, monthly: 2 },
    keep: [
      ["a", ["last snapshot", "daily snapshot", "weekly snapshot", "monthly snapshot"]],
      ["b", ["last snapshot"]],
      ["c", ["daily snapshot"]],
      ["d", ["daily snapshot", "weekly snapshot"]],
      ["f", ["monthly snapshot"]]
    ],
    remove: ["e", "g"]
  },
  {
    name: "an empty policy keeps everything",
    snapshots: combined,
    policy: {},
    keep: ["a", "b", "c", "d", "e", "f", "g"].map((id) => [id, ["policy is empty"]] as const),
    remove: []
  },
  {
    name: "rules of 0 are no rules: keeps everything",
    snapshots: combined,
    policy: { last: 0, daily: 0, weekly: 0, monthly: 0 },
    keep: ["a", "b", "c", "d", "e", "f", "g"].map((id) => [id, ["policy is empty"]] as const),
    remove: []
  },
  {
    name: "a rule larger than the history keeps everything it can and removes the rest",
    snapshots: combined,
    policy: { daily: 100 },
    keep: ["a", "c", "d", "e", "f", "g"].map((id) => [id, ["daily snapshot"]] as const),
    remove: ["b"]
  }
]

describe("applyPolicy (restic forget semantics)", () => {
  for (const c of cases) {
    it(c.name, () => {
      for (const input of [c.snapshots, scrambled(c.snapshots)]) {
        const decision = applyPolicy(input, c.policy)
        expect(decision.keep).toEqual(c.keep.map(([id, reasons]) => ({ id, reasons })))
        expect(decision.remove).toEqual(c.remove.map((id) => ({ id })))
      }
    })
  }

  it("always keeps the newest snapshot, whatever the policy", () => {
    const policies: ReadonlyArray<RetentionPolicy> = [{ last: 1 }, { daily: 1 }, { weekly: 1 }, { monthly: 1 }, { monthly: 1, last: 0 }, {}]
    for (const set of [daily20, weekly, monthly, combined]) {
      const newest = [...set].sort((a, b) => b.time.getTime() - a.time.getTime())[0]!.id
      for (const policy of policies) {
        const decision = applyPolicy(scrambled(set), policy)
        expect(decision.keep[0]?.id).toBe(newest)
        expect(decision.remove.map((r) => r.id)).not.toContain(newest)
        expect(decision.keep.length + decision.remove.length).toBe(set.length)
      }
    }
  })

  it("keeps input order for equal times and handles no snapshots", () => {
    const same = snaps({ later: "2024-01-01T00:00:00Z", earlier: "2024-01-01T00:00:00Z" })
    expect(applyPolicy(same, { last: 1 })).toEqual({ keep: [{ id: "later", reasons: ["last snapshot"] }], remove: [{ id: "earlier" }] })
    expect(applyPolicy([], { last: 3 })).toEqual({ keep: [], remove: [] })
  })

  it("isoWeek follows ISO 8601 at year boundaries", () => {
    expect(isoWeek(new Date("2021-01-03T23:59:59Z"))).toBe("2020-W53")
    expect(isoWeek(new Date("2021-01-04T00:00:00Z"))).toBe("2021-W01")
    expect(isoWeek(new Date("2019-12-30T12:00:00Z"))).toBe("2020-W01")
    expect(isoWeek(new Date("2024-12-30T12:00:00Z"))).toBe("2025-W01")
    expect(isoWeek(new Date("2024-03-17T08:00:00Z"))).toBe("2024-W11")
    expect(isoWeek(new Date("2024-03-18T08:00:00Z"))).toBe("2024-W12")
  })
})
