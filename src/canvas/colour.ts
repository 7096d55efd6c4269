/**
 * Colours between Kinopio and JSON Canvas. Kinopio stores whatever CSS the client wrote (hex,
 * `rgb()`, sometimes names or `hsl()`); a canvas takes `#RRGGBB` or a preset "1".."6" and
 * nothing else, so each colour is converted, or reported when it cannot be.
 */

export type Converted =
  /** No colour at all (null, absent, empty): nothing to report. */
  | { readonly _tag: "None" }
  /** `alpha` < 1: the canvas shows the colour opaque. */
  | { readonly _tag: "Hex"; readonly hex: string; readonly alpha: number }
  | { readonly _tag: "Unknown"; readonly value: string }

const NONE: Converted = { _tag: "None" }

/** The presets as Obsidian's default light theme draws them (the spec names them, not their values). */
export const PRESETS: Readonly<Record<string, string>> = {
  "1": "#e93147",
  "2": "#ec7500",
  "3": "#e0ac00",
  "4": "#08b94e",
  "5": "#00bfbc",
  "6": "#7852ee"
}

// CSS Color Module Level 4 named colours.
const NAMED = new Map(
  ("aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc bisque:ffe4c4 " +
    "black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a burlywood:deb887 cadetblue:5f9ea0 " +
    "chartreuse:7fff00 chocolate:d2691e coral:ff7f50 cornflowerblue:6495ed cornsilk:fff8dc crimson:dc143c cyan:00ffff " +
    "darkblue:00008b darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9 darkgreen:006400 darkgrey:a9a9a9 " +
    "darkkhaki:bdb76b darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00 darkorchid:9932cc darkred:8b0000 " +
    "darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b darkslategray:2f4f4f darkslategrey:2f4f4f " +
    "darkturquoise:00ced1 darkviolet:9400d3 deeppink:ff1493 deepskyblue:00bfff dimgray:696969 dimgrey:696969 " +
    "dodgerblue:1e90ff firebrick:b22222 floralwhite:fffaf0 forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc " +
    "ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520 gray:808080 green:008000 greenyellow:adff2f grey:808080 " +
    "honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c indigo:4b0082 ivory:fffff0 khaki:f0e68c lavender:e6e6fa " +
    "lavenderblush:fff0f5 lawngreen:7cfc00 lemonchiffon:fffacd lightblue:add8e6 lightcoral:f08080 lightcyan:e0ffff " +
    "lightgoldenrodyellow:fafad2 lightgray:d3d3d3 lightgreen:90ee90 lightgrey:d3d3d3 lightpink:ffb6c1 " +
    "lightsalmon:ffa07a lightseagreen:20b2aa lightskyblue:87cefa lightslategray:778899 lightslategrey:778899 " +
    "lightsteelblue:b0c4de lightyellow:ffffe0 lime:00ff00 limegreen:32cd32 linen:faf0e6 magenta:ff00ff maroon:800000 " +
    "mediumaquamarine:66cdaa mediumblue:0000cd mediumorchid:ba55d3 mediumpurple:9370db mediumseagreen:3cb371 " +
    "mediumslateblue:7b68ee mediumspringgreen:00fa9a mediumturquoise:48d1cc mediumvioletred:c71585 " +
    "midnightblue:191970 mintcream:f5fffa mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080 " +
    "oldlace:fdf5e6 olive:808000 olivedrab:6b8e23 orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa " +
    "palegreen:98fb98 paleturquoise:afeeee palevioletred:db7093 papayawhip:ffefd5 peachpuff:ffdab9 peru:cd853f " +
    "pink:ffc0cb plum:dda0dd powderblue:b0e0e6 purple:800080 rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f " +
    "royalblue:4169e1 saddlebrown:8b4513 salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee " +
    "sienna:a0522d silver:c0c0c0 skyblue:87ceeb slateblue:6a5acd slategray:708090 slategrey:708090 snow:fffafa " +
    "springgreen:00ff7f steelblue:4682b4 tan:d2b48c teal:008080 thistle:d8bfd8 tomato:ff6347 turquoise:40e0d0 " +
    "violet:ee82ee wheat:f5deb3 white:ffffff whitesmoke:f5f5f5 yellow:ffff00 yellowgreen:9acd32")
    .split(" ")
    .map((pair) => pair.split(":") as [string, string])
)

const hex2 = (n: number) => Math.round(Math.min(255, Math.max(0, n))).toString(16).padStart(2, "0")
const rgbHex = (r: number, g: number, b: number) => `#${hex2(r)}${hex2(g)}${hex2(b)}`
const clamp01 = (n: number) => Math.min(1, Math.max(0, n))

/** A CSS number or percentage; `scale` is what 100% means. */
const component = (token: string, scale: number): number | undefined => {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(%?)$/.exec(token)
  if (m === null) return undefined
  const n = Number(m[1])
  return m[2] === "%" ? (n / 100) * scale : n
}

const hue = (token: string): number | undefined => {
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(deg|rad|grad|turn)?$/.exec(token)
  if (m === null) return undefined
  const n = Number(m[1])
  const degrees = m[2] === "rad" ? (n * 180) / Math.PI : m[2] === "grad" ? n * 0.9 : m[2] === "turn" ? n * 360 : n
  return ((degrees % 360) + 360) % 360
}

/** `rgb(1, 2, 3)`, `rgba(1,2,3,.5)`, `rgb(1 2 3 / 50%)`: three channels and an optional alpha. */
const functionArgs = (inner: string): ReadonlyArray<string> | undefined => {
  const slash = inner.split("/")
  if (slash.length > 2) return undefined
  const main = (slash[0] ?? "").trim().split(/\s*,\s*|\s+/).filter((t) => t !== "")
  const alpha = slash[1]?.trim()
  if (alpha !== undefined) return main.length === 3 && alpha !== "" ? [...main, alpha] : undefined
  return main.length === 3 || main.length === 4 ? main : undefined
}

const hslToRgb = (h: number, s: number, l: number): readonly [number, number, number] => {
  const k = (n: number) => (n + h / 30) % 12
  const a = s * Math.min(l, 1 - l)
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))
  return [f(0) * 255, f(8) * 255, f(4) * 255]
}

/** Any colour Kinopio may hold, as a canvas hex colour when it has one. */
export const toCanvasHex = (value: unknown): Converted => {
  if (value === null || value === undefined) return NONE
  if (typeof value !== "string") return { _tag: "Unknown", value: JSON.stringify(value) ?? String(value) }
  const v = value.trim().toLowerCase()
  if (v === "") return NONE
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(v)?.[1]
  if (hex !== undefined) {
    const full = hex.length <= 4 ? [...hex].map((c) => c + c).join("") : hex
    return { _tag: "Hex", hex: `#${full.slice(0, 6)}`, alpha: full.length === 8 ? parseInt(full.slice(6), 16) / 255 : 1 }
  }
  const named = NAMED.get(v)
  if (named !== undefined) return { _tag: "Hex", hex: `#${named}`, alpha: 1 }
  const fn = /^(rgba?|hsla?)\((.*)\)$/.exec(v)
  const args = fn === null ? undefined : functionArgs(fn[2] ?? "")
  if (fn === null || args === undefined) return { _tag: "Unknown", value }
  const alpha = args[3] === undefined ? 1 : component(args[3], 1)
  if (alpha === undefined) return { _tag: "Unknown", value }
  if (fn[1]?.startsWith("rgb")) {
    const [r, g, b] = args.slice(0, 3).map((t) => component(t, 255))
    if (r === undefined || g === undefined || b === undefined) return { _tag: "Unknown", value }
    return { _tag: "Hex", hex: rgbHex(r, g, b), alpha: clamp01(alpha) }
  }
  const h = hue(args[0] ?? "")
  const s = component(args[1] ?? "", 1)
  const l = component(args[2] ?? "", 1)
  // CSS wants s and l as percentages; a bare number is not a colour.
  if (h === undefined || s === undefined || l === undefined || !args[1]?.endsWith("%") || !args[2]?.endsWith("%")) {
    return { _tag: "Unknown", value }
  }
  const [r, g, b] = hslToRgb(h, clamp01(s), clamp01(l))
  return { _tag: "Hex", hex: rgbHex(r, g, b), alpha: clamp01(alpha) }
}

/** A canvas colour as Kinopio will store it: presets become their hex, hex is kept as written. */
export const fromCanvasColour = (value: unknown): { readonly colour: string } | { readonly invalid: string } | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value === "string") {
    const preset = PRESETS[value]
    if (preset !== undefined) return { colour: preset }
    // Kinopio takes any CSS colour, so any hex form a tool wrote is kept as written.
    if (/^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/.test(value)) return { colour: value }
  }
  return { invalid: typeof value === "string" ? value : JSON.stringify(value) ?? String(value) }
}
