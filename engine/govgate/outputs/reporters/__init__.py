"""The built-in output formats, one module each, all subclasses of `govgate.core.reporter.Reporter`.

Each is registered through `govgate_reporters` like a plugin's format would be.
"""
