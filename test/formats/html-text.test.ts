import { describe, expect, it } from "vitest"
import { htmlToText, markdownText } from "../../src/formats/html-text.ts"

describe("htmlToText", () => {
  it("keeps the words, line breaks and link targets, drops tags and scripts, decodes entities", () => {
    const html = "<p>Hello <b>team</b> &amp; friends&nbsp;🚀</p><p>See <a href=\"https://x.test/a?b=1&amp;c=2\">the plan</a><br>line two</p>" +
      "<script>alert(1)</script><ul><li>one</li><li>two</li></ul>&#60;not a tag&#62; &#x1F600; &bogus;"
    expect(htmlToText(html)).toBe(
      "Hello team & friends 🚀\nSee the plan (https://x.test/a?b=1&c=2)\nline two\n- one\n- two\n<not a tag> 😀 &bogus;"
    )
  })

  it("makes text safe for Markdown: decoded tags do not come back as HTML", () => {
    const text = htmlToText("&lt;img src=x onerror=alert(1)&gt;")
    expect(text).toBe("<img src=x onerror=alert(1)>")
    expect(markdownText(text)).toBe("&lt;img src=x onerror=alert(1)>")
  })
})
