"""The command line: one module per command group. Each parses, calls the library, prints."""
