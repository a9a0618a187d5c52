"""Subcommands of `azora-infra`: one module each, each with `register(subparsers)`."""
