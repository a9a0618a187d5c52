"""Pulumi entry point: `pulumi up --stack africa|europe|asia` runs this file."""

from azora_infra.program import main

main()
