"""The non-interactive commands of the CLI, one module each (no textual)."""
