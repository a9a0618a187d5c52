"""How `azora_infra/stack.py` builds each part of a region from its config section: one module per
concern (`kubernetes`, `database`, `cache_edge`, `dns_backup`), each a `build_*` function turning a
`StackConfig` section into components, and the stack outputs that part exports."""
