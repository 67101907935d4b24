"""JSON Schemas that ship with govgate: policy packs, govgate.yaml, results, waivers, evidence."""
