"""Operations tooling: boto3 against the deployed stacks, identified by their stack outputs.

One module per concern: `outputs` (the stacks' `pulumi stack output --json`), `journal` (resumable
steps), `waits` (clock, bounded waits, retries with backoff), `aurora`, `cache`, `health`,
`backup`, `verify` (connect to a database and query it), `dr` (the DR commands' plans and
runs), `chaos` (FIS experiment history), `k8s` and `loadtest` (k6 runs through the Kubernetes API).
"""
