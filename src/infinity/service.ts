/** Infinity as the CLI sees it. */
import { Effect, Layer } from "effect"
import type { ServiceDefinition, SourceConfig } from "../service.ts"
import { Infinity, INFINITY_DEFAULT_URL } from "./client.ts"
import { InfinitySourceLive } from "./connector.ts"
import { archiveBoardFeed, liveBoardFeed, publishableBoards } from "./feed.ts"
import { infinityTargetLayer } from "./restore.ts"

export const infinityService: ServiceDefinition = {
  name: "infinity",
  title: "Infinity",
  credentialVariable: "INFINITY_API_TOKEN",
  urlVariable: "INFINITY_API_URL",
  defaultUrl: INFINITY_DEFAULT_URL,
  credentialHint: "Infinity → Profile → Personal Token → Create Token",
  onlyFlag: "board",
  workspaceFlag: "workspace",
  requestsPerSecond: 3,
  targetCredentialVariable: "INFINITY_TARGET_API_TOKEN",
  targetUrlVariable: "INFINITY_TARGET_API_URL",
  source: (config) => InfinitySourceLive.pipe(Layer.provide(clientLayer(config))),
  target: (config, options) =>
    infinityTargetLayer({
      withHooks: options.withHooks,
      inviteMembers: options.inviteMembers,
      ...(options.journal === undefined ? {} : { journal: options.journal }),
      ...(options.workspace === undefined ? {} : { workspace: options.workspace })
    }).pipe(Layer.provide(clientLayer(config))),
  targetHasWorkspaces: true,
  feeds: {
    live: (config, request) => Effect.flatMap(Infinity, (client) => liveBoardFeed(client, request)).pipe(Effect.provide(clientLayer(config))),
    fromArchive: archiveBoardFeed,
    publishable: publishableBoards
  }
}

const clientLayer = (config: SourceConfig) =>
  Infinity.layer({
    baseUrl: config.apiUrl,
    token: config.credential,
    budget: config.budget,
    ...(config.perSecond === undefined ? {} : { perSecond: config.perSecond })
  })
