"""Test pack that misbehaves on demand (stack config `faulty:mode`)."""

import os
import sys
import time

import pulumi
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy

MODE = pulumi.Config("faulty").get("mode") or ""

if MODE == "crash":
    raise RuntimeError("boom: the pack failed while loading")
if MODE == "silent":
    print("starting up, but never serving", file=sys.stderr, flush=True)
    time.sleep(3600)
if MODE == "port-exit":
    print("1", flush=True)  # a port nothing listens on, then gone
    print("dying right after printing a port", file=sys.stderr, flush=True)
    sys.exit(4)
if MODE == "port-closed":
    print("1", flush=True)  # a port nothing listens on, and the pack stays
    time.sleep(3600)
if MODE == "garbage":
    print("hello from the pack", flush=True)
    time.sleep(3600)


def misbehave(args, report):
    if MODE == "hang":
        time.sleep(3600)
    if MODE == "exit":
        print("fatal: exiting mid-Analyze", file=sys.stderr, flush=True)
        os._exit(3)
    if MODE == "raise":
        raise ValueError("policy bug: cannot read bucket")


def stack_hang(args, report):
    if MODE == "stack-hang":
        time.sleep(3600)


PolicyPack(
    name="faulty-pack",
    policies=[
        ResourceValidationPolicy(name="misbehave", description="Misbehaves.",
                                 enforcement_level=EnforcementLevel.MANDATORY, validate=misbehave),
        StackValidationPolicy(name="stack-hang", description="Hangs in AnalyzeStack.", validate=stack_hang),
    ],
)
