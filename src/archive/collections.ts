/**
 * The data files of format version 1, per service (contract: "Version 1 has exactly the data
 * files named below"). Connectors write them; verify requires exactly these.
 */
import type { ServiceName } from "../connector.ts"

export const COLLECTIONS = {
  kinopio: [
    "user",
    "spaces",
    "removedSpaces",
    "cards",
    "removedCards",
    "connections",
    "connectionTypes",
    "tags",
    "favorites",
    "notifications"
  ],
  infinity: [
    "profile",
    "workspaces",
    "users",
    "boards",
    "folders",
    "attributes",
    "views",
    "items",
    "comments",
    "references",
    "attachments",
    "hooks"
  ]
} as const satisfies Record<ServiceName, ReadonlyArray<string>>
