from __future__ import annotations

import os

# Plans and checks never reach AWS: make boto3/moto and any stray SDK call fail fast offline.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "af-south-1")
os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
