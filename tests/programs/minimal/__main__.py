"""A small program on the default AWS provider: config, a component, dependencies, protect."""

import pulumi
import pulumi_aws as aws


class Store(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("minimal:storage:Store", name, None, opts)
        self.key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, opts=pulumi.ResourceOptions(parent=self))
        self.bucket = aws.s3.Bucket(f"{name}-bucket", tags={"owner": "minimal"},
                                    opts=pulumi.ResourceOptions(parent=self, protect=True,
                                                                ignore_changes=["tags"]))
        self.register_outputs({"bucketArn": self.bucket.arn})


config = pulumi.Config()
if config.get_bool("fail"):
    raise pulumi.RunError("minimal: refusing to run with fail=true")
settings = config.require_object("settings")
stores = [Store(f"store{i}") for i in range(config.require_int("bucketCount"))]
aws.cloudwatch.LogGroup("logs", retention_in_days=settings["retentionDays"],
                        kms_key_id=stores[0].key.arn)
pulumi.export("greeting", config.get("greeting"))
pulumi.export("firstBucket", stores[0].bucket.bucket)
