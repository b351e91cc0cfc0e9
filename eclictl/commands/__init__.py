"""Tool commands (auth, config, api, sandbox...): one module per top-level command, each defines `app`."""
