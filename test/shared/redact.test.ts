import { describe, expect, it } from "@effect/vitest"
import { makeRedactor, redact, REDACTED, SECRET_FIELDS, scrubText } from "../../src/shared/redact.ts"

describe("redact", () => {
  it("replaces every secret field at any depth, arrays included, and keeps key order", () => {
    const entity = {
      id: "u1",
      apiKey: "k-123",
      spaces: [
        { id: "s1", collaboratorKey: "ck", readOnlyKey: "rk", cards: [{ id: "c1", linkToSpaceCollaboratorKey: "lk" }] },
        { id: "s2", collaboratorKey: null }
      ],
      hook: { secret: { nested: "object" }, url: "https://x.test" },
      zeroKey: { secret: 0, readOnlyKey: "" }
    }
    const out = redact(entity, [])
    expect(out).toEqual({
      id: "u1",
      apiKey: REDACTED,
      spaces: [
        { id: "s1", collaboratorKey: REDACTED, readOnlyKey: REDACTED, cards: [{ id: "c1", linkToSpaceCollaboratorKey: REDACTED }] },
        { id: "s2", collaboratorKey: null }
      ],
      hook: { secret: REDACTED, url: "https://x.test" },
      zeroKey: { secret: REDACTED, readOnlyKey: REDACTED }
    })
    expect(Object.keys(out)).toEqual(Object.keys(entity))
    expect(Object.keys((out["spaces"] as Array<object>)[0]!)).toEqual(["id", "collaboratorKey", "readOnlyKey", "cards"])
    // the input is untouched
    expect(entity.apiKey).toBe("k-123")
    expect(SECRET_FIELDS).toEqual(["apiKey", "collaboratorKey", "readOnlyKey", "linkToSpaceCollaboratorKey", "secret"])
  })

  it("leaves absent and null secret fields as they are", () => {
    const entity = { id: "u1", apiKey: null, nested: { secret: undefined } }
    expect(redact(entity, [])).toEqual(entity)
    expect(redact(entity, [])).not.toBe(entity) // always a copy
  })

  it("scrubs the literal credential wherever it appears, also inside URLs and URL-encoded", () => {
    const key = "s3cr3t+key/=="
    const entity = {
      name: `my key is ${key}`,
      url: `https://api.test/space?apiKey=${encodeURIComponent(key)}&x=1`,
      list: ["a", `${key}${key}`, 3, true, null],
      [`k`]: { deep: [{ text: `Bearer ${key}` }] }
    }
    const out = redact(entity, [key, ""])
    expect(JSON.stringify(out)).not.toContain(key)
    expect(JSON.stringify(out)).not.toContain(encodeURIComponent(key))
    expect(out["name"]).toBe(`my key is ${REDACTED}`)
    expect(out["url"]).toBe(`https://api.test/space?apiKey=${REDACTED}&x=1`)
    expect(out["list"]).toEqual(["a", `${REDACTED}${REDACTED}`, 3, true, null])
    expect(out["k"]).toEqual({ deep: [{ text: `Bearer ${REDACTED}` }] })
  })

  it("replaces a longer literal whole when it contains a shorter one", () => {
    expect(scrubText("token abc-long and abc", ["abc", "abc-long"])).toBe(`token ${REDACTED} and ${REDACTED}`)
  })

  it("keeps an own __proto__ key as data, never as a prototype", () => {
    const entity = JSON.parse(`{"a":1,"__proto__":{"apiKey":"x","polluted":true}}`) as Record<string, unknown>
    const out = redact(entity, [])
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.keys(out)).toEqual(["a", "__proto__"])
    expect(JSON.stringify(out)).toBe(`{"a":1,"__proto__":{"apiKey":"${REDACTED}","polluted":true}}`)
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
  })
})
