"""The rule engine: configuration, policy packs and their loader, conditions, evaluation,
waivers, roll-up and the result document, plus the plugin contracts they are built on."""
