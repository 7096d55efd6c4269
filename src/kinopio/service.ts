/** Kinopio as the CLI sees it. */
import { Effect, Layer } from "effect"
import type { ServiceDefinition, SourceConfig } from "../service.ts"
import { Kinopio, KINOPIO_DEFAULT_URL } from "./client.ts"
import { KinopioSourceLive } from "./connector.ts"
import { archiveSpaceFeed, liveSpaceFeed, publishableSpaces } from "./feed.ts"
import { KinopioTargetLive } from "./restore.ts"

export const kinopioService: ServiceDefinition = {
  name: "kinopio",
  title: "Kinopio",
  credentialVariable: "KINOPIO_API_KEY",
  urlVariable: "KINOPIO_API_URL",
  defaultUrl: KINOPIO_DEFAULT_URL,
  credentialHint: "Kinopio → User → Settings → Api Key",
  onlyFlag: "space",
  requestsPerSecond: 5,
  targetCredentialVariable: "KINOPIO_TARGET_API_KEY",
  targetUrlVariable: "KINOPIO_TARGET_API_URL",
  source: (config) => KinopioSourceLive.pipe(Layer.provide(clientLayer(config))),
  // Kinopio's restores need no journal: every create carries an id the service keeps.
  target: (config) => KinopioTargetLive.pipe(Layer.provide(clientLayer(config))),
  targetHasWorkspaces: false,
  feeds: {
    live: (config, request) => Effect.flatMap(Kinopio, (client) => liveSpaceFeed(client, request)).pipe(Effect.provide(clientLayer(config))),
    fromArchive: archiveSpaceFeed,
    publishable: (archive, options) => publishableSpaces(archive, options)
  }
}

const clientLayer = (config: SourceConfig) =>
  Kinopio.layer({
    baseUrl: config.apiUrl,
    apiKey: config.credential,
    budget: config.budget,
    ...(config.perSecond === undefined ? {} : { perSecond: config.perSecond })
  })
