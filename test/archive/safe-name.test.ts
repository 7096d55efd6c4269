import { describe, expect, it } from "@effect/vitest"
import { isSafeEntryName, safeFileName } from "../../src/archive/safe-name.ts"

const bytes = (s: string) => Buffer.byteLength(s, "utf8")

/** What every result must be: one segment, within 100 bytes, nothing Windows or a shell would trip on. */
const expectSafe = (name: string) => {
  expect(bytes(name)).toBeLessThanOrEqual(100)
  expect(name).not.toMatch(/[/\\<>:"|?*\u0000-\u001f\u007f]/)
  expect(name).not.toContain("..")
  expect(name).not.toMatch(/^[. ]|[. ]$/)
  expect(name.split(".")[0]!.toUpperCase()).not.toMatch(/^(CON|PRN|AUX|NUL|COM\d|LPT\d)$/)
  expect(name).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/) // no lone surrogate
  expect(isSafeEntryName(`markdown/${name}`)).toBe(true)
}

describe("safeFileName", () => {
  it("keeps ordinary names readable and appends the id", () => {
    expect(safeFileName("My Space", "abc123", "md")).toBe("My Space-abc123.md")
    expect(safeFileName("Café 日本語 🚀", "id1", "md")).toBe("Café 日本語 🚀-id1.md")
  })

  it.each([
    ["../../etc/passwd", "etc_passwd-x1.md"],
    ["a/b\\c:d*?", "a_b_c_d-x1.md"],
    ["..", "x1.md"],
    ["   ", "x1.md"],
    ["line\nbreak\ttab\u0000nul", "line_break_tab_nul-x1.md"],
    ["<script>\"|", "script-x1.md"],
    ["name.", "name-x1.md"],
    ["\u202Egnp.exe", "gnp.exe-x1.md"]
  ])("makes %j safe", (text, expected) => {
    const name = safeFileName(text, "x1", "md")
    expect(name).toBe(expected)
    expectSafe(name)
  })

  it("an empty text gives just the id", () => {
    expect(safeFileName("", "abc", "md")).toBe("abc.md")
    expect(safeFileName("", "", "md")).toBe("unnamed.md")
  })

  it("avoids Windows device names", () => {
    expect(safeFileName("CON", "x", "md")).toBe("CON-x.md") // the stem is CON-x: fine
    expect(safeFileName("con.txt", "x", "md")).toBe("_con.txt-x.md")
    expect(safeFileName("", "NUL", "md")).toBe("_NUL.md")
    expect(safeFileName("", "com1", "canvas")).toBe("_com1.canvas")
    expectSafe(safeFileName("aux.", "x", "md"))
  })

  it("cuts long text to 100 bytes in total, keeping the id and extension", () => {
    const name = safeFileName("a".repeat(300), "id-42", "md")
    expect(bytes(name)).toBeLessThanOrEqual(100)
    expect(name.endsWith("-id-42.md")).toBe(true)
    expectSafe(name)
  })

  it("never cuts a multibyte character, surrogate pair or emoji sequence in half", () => {
    for (let pad = 0; pad < 8; pad++) {
      for (const glyph of ["日", "é", "🚀", "👩‍👩‍👧‍👦", "🇫🇷", "e\u0301"]) {
        const name = safeFileName("x".repeat(pad) + glyph.repeat(60), "id", "md")
        expectSafe(name)
        expect(name.endsWith("-id.md")).toBe(true)
        const text = name.slice(0, -"-id.md".length).slice(pad)
        // only whole glyphs survive
        expect(text.replaceAll(glyph.normalize("NFC"), "")).toBe("") // text is NFC-normalized
      }
    }
  })

  it("ids keep names unique, even when the ids themselves need cleaning or shortening", () => {
    const names = new Set([
      safeFileName("Same", "a1", "md"),
      safeFileName("Same", "a2", "md"),
      safeFileName("Same", "a:b", "md"),
      safeFileName("Same", "a*b", "md"),
      safeFileName("Same", "a_b", "md"),
      safeFileName("Same", "x".repeat(200) + "1", "md"),
      safeFileName("Same", "x".repeat(200) + "2", "md"),
      safeFileName("", "../a", "md"),
      safeFileName("", "/a", "md")
    ])
    expect(names.size).toBe(9)
    for (const name of names) expectSafe(name)
  })

  it("survives hostile everything", () => {
    const hostile = ["../../etc/passwd", "a/b\\c:d*?", "", "x".repeat(300), "CON", "\ud800lone", ". . .", "~", "-rf"]
    for (const text of hostile) for (const id of hostile) expectSafe(safeFileName(text, id, "md"))
  })
})

describe("isSafeEntryName", () => {
  it.each(["manifest.json", "data/cards.jsonl", "markdown/Café 🚀-id.md", "attachments/a1/report v2.pdf", "data/"])(
    "accepts %j",
    (name) => expect(isSafeEntryName(name)).toBe(true)
  )
  it.each([
    "",
    "../evil",
    "a/../../evil",
    "/etc/passwd",
    "C:/Windows",
    "c:evil",
    "a\\b",
    "..\\evil",
    "a//b",
    "./a",
    "a/./b",
    "a/...",
    "nul\u0000byte",
    "new\nline",
    "/"
  ])("refuses %j", (name) => expect(isSafeEntryName(name)).toBe(false))
})
