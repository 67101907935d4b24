"""Everything govgate writes for people and tools: reporters (text, JSON, SARIF, JUnit,
Markdown, GitHub, OSCAL), the audit dossier and the pack documentation pages."""
