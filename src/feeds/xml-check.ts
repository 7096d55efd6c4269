/**
 * A strict well-formedness check for the XML Ferry writes (RSS and Atom), so a feed that would
 * break a reader is never written: only characters XML 1.0 allows, balanced and properly nested
 * elements under one root, quoted attributes without `<`, references that exist (`&amp;`,
 * `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#N;`, `&#xN;`), CDATA sections that close, and no `]]>`
 * in text. It does not read DTDs (Ferry never writes one). Returns the first problem, or
 * undefined when the document is well-formed.
 */

const ILLEGAL_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
const NAME = /^[A-Za-z_:][A-Za-z0-9_:.\-\u00B7\u00C0-\uFFFD]*/
const REFERENCE = /^&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/

const checkReferences = (text: string, where: string): string | undefined => {
  for (let i = text.indexOf("&"); i !== -1; i = text.indexOf("&", i + 1)) {
    const m = REFERENCE.exec(text.slice(i, i + 12))
    if (m === null) return `a bare "&" in ${where}`
    const ref = m[0]
    if (ref.startsWith("&#")) {
      const n = ref.startsWith("&#x") ? parseInt(ref.slice(3, -1), 16) : parseInt(ref.slice(2, -1), 10)
      const legal = n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) ||
        (n >= 0x10000 && n <= 0x10ffff)
      if (!legal) return `a reference to a character XML forbids (${ref}) in ${where}`
    }
  }
  return undefined
}

export const xmlProblem = (xml: string): string | undefined => {
  const bad = ILLEGAL_CHAR.exec(xml)
  if (bad !== null) return `a character XML forbids (U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")})`
  const stack: Array<string> = []
  let roots = 0
  let i = 0
  const n = xml.length
  if (xml.startsWith("<?xml")) {
    const end = xml.indexOf("?>")
    if (end === -1) return "an unclosed XML declaration"
    i = end + 2
  }
  while (i < n) {
    const lt = xml.indexOf("<", i)
    const text = xml.slice(i, lt === -1 ? n : lt)
    if (text !== "") {
      if (stack.length === 0 && text.trim() !== "") return "text outside the root element"
      if (text.includes("]]>")) return `"]]>" in text`
      const problem = checkReferences(text, "text")
      if (problem !== undefined) return problem
    }
    if (lt === -1) break
    i = lt
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i + 4)
      if (end === -1) return "an unclosed comment"
      i = end + 3
      continue
    }
    if (xml.startsWith("<![CDATA[", i)) {
      if (stack.length === 0) return "a CDATA section outside the root element"
      const end = xml.indexOf("]]>", i + 9)
      if (end === -1) return "an unclosed CDATA section"
      i = end + 3
      continue
    }
    if (xml.startsWith("<?", i)) {
      const end = xml.indexOf("?>", i + 2)
      if (end === -1) return "an unclosed processing instruction"
      i = end + 2
      continue
    }
    if (xml.startsWith("<!", i)) return "a DTD or declaration Ferry never writes"
    if (xml.startsWith("</", i)) {
      const m = NAME.exec(xml.slice(i + 2))
      if (m === null) return "a closing tag without a name"
      const name = m[0]
      let j = i + 2 + name.length
      while (j < n && /\s/.test(xml[j]!)) j++
      if (xml[j] !== ">") return `a malformed closing tag </${name}`
      const open = stack.pop()
      if (open !== name) return `</${name}> closes <${open ?? "nothing"}>`
      i = j + 1
      continue
    }
    const m = NAME.exec(xml.slice(i + 1))
    if (m === null) return "a \"<\" that starts no tag"
    const name = m[0]
    if (stack.length === 0 && ++roots > 1) return "more than one root element"
    let j = i + 1 + name.length
    const seen = new Set<string>()
    while (true) {
      const before = j
      while (j < n && /\s/.test(xml[j]!)) j++
      if (xml.startsWith("/>", j)) {
        j += 2
        break
      }
      if (xml[j] === ">") {
        stack.push(name)
        j += 1
        break
      }
      if (j === before) return `a malformed tag <${name}`
      const attr = NAME.exec(xml.slice(j))
      if (attr === null) return `a malformed attribute in <${name}>`
      if (seen.has(attr[0])) return `attribute ${attr[0]} twice in <${name}>`
      seen.add(attr[0])
      j += attr[0].length
      while (j < n && /\s/.test(xml[j]!)) j++
      if (xml[j] !== "=") return `attribute ${attr[0]} of <${name}> has no value`
      j++
      while (j < n && /\s/.test(xml[j]!)) j++
      const quote = xml[j]
      if (quote !== "\"" && quote !== "'") return `attribute ${attr[0]} of <${name}> is not quoted`
      const end = xml.indexOf(quote, j + 1)
      if (end === -1) return `attribute ${attr[0]} of <${name}> is not closed`
      const value = xml.slice(j + 1, end)
      if (value.includes("<")) return `a "<" in attribute ${attr[0]} of <${name}>`
      const problem = checkReferences(value, `attribute ${attr[0]} of <${name}>`)
      if (problem !== undefined) return problem
      j = end + 1
    }
    i = j
  }
  if (stack.length > 0) return `<${stack[stack.length - 1]}> is never closed`
  if (roots === 0) return "no root element"
  return undefined
}
