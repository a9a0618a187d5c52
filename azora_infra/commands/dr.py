"""`azora-infra dr`: DR operations on the deployed stacks with boto3 (docs/dr.md).

Identifiers come from stack outputs (``--outputs STACK=FILE`` repeated, or a directory of
``<stack>.json``, each the output of `pulumi stack output --json --show-secrets`). Every
mutating subcommand prints its plan and acts only with ``--yes``; it journals its steps
(``--journal FILE``), so re-running the same command resumes where it stopped; waits are
bounded; AWS calls retry with backoff on throttling and 5xx; it ends with measured times, and on
failure names the failed step and how to resume or roll back.

Exit 0: done (or the plan was printed without --yes); 1: a step failed or status found a
problem; 2: usage, outputs or precondition error."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from ..ops import dr
from ..ops.aws import Aws
from ..ops.journal import Journal, JournalError
from ..ops.outputs import Environment, OutputsError, load_outputs
from ..ops.steps import Step, StepFailed, failure_message, render_plan, run_steps
from ..ops.verify import PostgresVerifier, Verifier
from ..ops.waits import RetriesExhausted
from .common import EXIT_FAILED, EXIT_OK, CommandError, emit, stack_name, to_json


def build_aws(args: argparse.Namespace) -> Aws:
    """The AWS access of a run (tests replace this with a fake clock and a loopback endpoint)."""
    return Aws()


def build_verifier(args: argparse.Namespace) -> Verifier:
    tunnel = None
    if args.db_tunnel:
        host, _, port = args.db_tunnel.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"--db-tunnel {args.db_tunnel}: expected HOST:PORT (a local port forwarded to "
                               "the cluster endpoint)")
        tunnel = (host, int(port))
    return PostgresVerifier(ca_file=args.ca_file, tunnel=tunnel)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("dr", help="DR operations: status, switchover, failover, restore, drill (boto3)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    dsub = p.add_subparsers(dest="dr_command", required=True, metavar="SUBCOMMAND")

    def common(q: argparse.ArgumentParser, mutating: bool) -> None:
        q.add_argument("--outputs", action="append", required=True, metavar="STACK=FILE|DIR",
                       help="stack outputs: STACK=FILE (repeat) or a directory of <stack>.json")
        if mutating:
            q.add_argument("--yes", action="store_true", help="act (without it: print the plan only)")
            q.add_argument("--journal", type=Path, default=None, help="journal file (resume by re-running)")
            q.add_argument("--ca-file", default=None, help="CA bundle for the database TLS check (RDS global bundle)")
            q.add_argument("--db-tunnel", default=None, metavar="HOST:PORT",
                           help="reach the (private) cluster endpoint through this forwarded local port")
            q.add_argument("--secret-arn", default=None, help="master secret to verify with (default: from outputs)")
            for name, default in vars(dr.Timeouts()).items():
                q.add_argument(f"--timeout-{name}", type=float, default=default, metavar="SECONDS",
                               help=f"bound of the {name} waits (default {default:g})")
        q.set_defaults(func=run)

    q = dsub.add_parser("status", help="global cluster, cache roles, health checks, latest recovery points")
    q.add_argument("--env", default="prod")
    q.add_argument("--format", choices=("text", "json"), default="text")
    common(q, mutating=False)
    for name, text in (("switchover", "planned move of the writer region (no data loss)"),
                       ("failover", "unplanned move of the writer region (AllowDataLoss)")):
        q = dsub.add_parser(name, help=text)
        q.add_argument("--env", default="prod")
        q.add_argument("--to", required=True, help="target stack or region (e.g. europe)")
        if name == "failover":
            q.add_argument("--allow-data-loss", action="store_true",
                           help="required: writes not yet replicated to the target are lost")
        common(q, mutating=True)
    q = dsub.add_parser("restore", help="point-in-time restore into a new cluster, verified by a query")
    q.add_argument("--stack", required=True)
    q.add_argument("--data-class", required=True, choices=("public", "internal", "confidential", "personal"))
    q.add_argument("--to-time", required=True, help="ISO 8601 time with zone, or `latest`")
    q.add_argument("--verify-sql", default=None, help="the query that proves the data is there")
    common(q, mutating=True)
    q = dsub.add_parser("drill", help="switchover and back plus a restore, timed, with a JSON report")
    q.add_argument("--env", default="staging")
    q.add_argument("--to", default=None, help="the secondary to switch to (default: the first by name)")
    q.add_argument("--data-class", default="personal")
    q.add_argument("--report", type=Path, default=None, help="write the JSON drill report here")
    common(q, mutating=True)


def run(args: argparse.Namespace) -> int:
    try:
        outputs = load_outputs(args.outputs)
        return _dispatch(args, outputs)
    except (OutputsError, JournalError, dr.DrError) as err:
        raise CommandError(str(err)) from None


def _dispatch(args: argparse.Namespace, outputs: dict[str, Any]) -> int:
    aws = build_aws(args)
    if args.dr_command == "status":
        env = Environment.select(outputs, args.env)
        doc = dr.status(aws, env)
        emit(to_json(doc) if args.format == "json" else dr.render_status(doc), None)
        return EXIT_OK if dr.status_ok(doc) else EXIT_FAILED
    timeouts = dr.Timeouts(**{k: getattr(args, f"timeout_{k}") for k in vars(dr.Timeouts())})
    verifier = build_verifier(args)
    now = aws.clock.now()
    if args.dr_command in ("switchover", "failover"):
        if args.dr_command == "failover" and not args.allow_data_loss:
            raise CommandError("dr failover loses the writes not yet replicated: pass --allow-data-loss "
                               "(or use `dr switchover` while the writer region is healthy)")
        env = Environment.select(outputs, args.env)
        target = env.by_target(args.to)
        move = dr.MoveWriter(aws, env, target, verifier, planned=args.dr_command == "switchover",
                             timeouts=timeouts, secret_arn=args.secret_arn)
        params = {"env": env.name, "to": target.stack}
        title = f"{args.dr_command} of environment {env.name}: writer -> {target.stack} ({target.region})"
        return _execute(args, aws, move.steps(), params, title, lambda j: _move_summary(j, args.dr_command))
    if args.dr_command == "restore":
        stack = outputs.get(stack_name(args))
        if stack is None:
            raise CommandError(f"--stack {args.stack}: not among the outputs given ({', '.join(sorted(outputs))})")
        to_time = dr.parse_time(args.to_time)
        restore = dr.Restore(aws, stack, args.data_class, to_time, verifier, now, timeouts=timeouts,
                             **({"verify_sql": args.verify_sql} if args.verify_sql else {}))
        params = {"stack": stack.stack, "dataClass": args.data_class, "toTime": args.to_time}
        if to_time is None:  # `latest` means the latest at the time of the first run, kept on resume
            params["requestedAt"] = now.strftime("%Y-%m-%dT%H:%M")
        title = f"restore of the {args.data_class} cluster of stack {stack.stack} to {args.to_time}"
        return _execute(args, aws, restore.steps(), params, title, _restore_summary)
    env = Environment.select(outputs, args.env)
    secondaries = sorted(n for n, o in env.stacks.items() if o.get("role") != "primary")
    if not secondaries and args.to is None:
        raise CommandError(f"environment {env.name} has no secondary stack to switch over to")
    target = env.by_target(args.to or secondaries[0])
    drill = dr.Drill(aws, env, target, args.data_class, verifier, now, timeouts=timeouts, secret_arn=args.secret_arn)
    params = {"env": env.name, "to": target.stack, "dataClass": args.data_class, "date": now.strftime("%Y-%m-%d")}
    title = (f"DR drill of environment {env.name}: switchover to {target.stack} and back, then a restore of "
             f"the {args.data_class} cluster of {env.primary.stack} (deleted afterwards)")

    def summary(journal: Journal) -> tuple[str, bool]:
        report = dr.drill_report(journal, env.name, target.stack, now.isoformat(), aws.clock.now().isoformat())
        if args.report is not None:
            emit(to_json(report), args.report)
        m = report["measured"]
        lines = [f"Drill {'PASSED' if report['ok'] else 'MISSED its targets'} "
                 f"(RTO < {dr.TARGETS['rtoSeconds']} s, RPO < {dr.TARGETS['rpoSeconds']} s):"]
        for name in ("switchover", "switchback", "restore"):
            lines.append(f"  {name}: RTO {m[name]['rtoSeconds']} s, RPO {m[name]['rpoSeconds']} s, "
                         f"verified {m[name]['verified']}")
        if args.report is not None:
            lines.append(f"  report: {args.report}")
        return "\n".join(lines) + "\n", bool(report["ok"])

    return _execute(args, aws, drill.steps(), params, title, summary)


def _default_journal(args: argparse.Namespace, params: dict[str, Any]) -> Path:
    key = "-".join(str(v) for v in params.values()).replace(":", "").replace("/", "")
    return Path(f"azora-dr-{args.dr_command}-{key}.journal.json")


def _resume_command(args: argparse.Namespace, journal: Path) -> str:
    argv = [a for a in sys.argv[1:] if a not in ("--yes",)] if sys.argv[1:2] == ["dr"] else [
        "dr", args.dr_command, "..."]
    if "--journal" not in argv:
        argv += ["--journal", str(journal)]
    return "azora-infra " + " ".join(shlex.quote(a) for a in argv) + " --yes"


def _execute(args: argparse.Namespace, aws: Aws, steps: list[Step], params: dict[str, Any], title: str,
             summary: Any) -> int:
    sys.stdout.write(render_plan(title, steps))
    if not args.yes:
        sys.stdout.write("Nothing done: re-run with --yes to act.\n")
        return EXIT_OK
    path = args.journal or _default_journal(args, params)
    journal = Journal.open(path, f"dr {args.dr_command}", params)
    try:
        timings = run_steps(steps, journal, aws.clock, sys.stdout)
    except StepFailed as err:
        if isinstance(err.cause, (dr.DrError, OutputsError)):
            detail = str(err.cause)
        elif isinstance(err.cause, RetriesExhausted):
            detail = f"AWS kept failing: {err.cause}"
        else:
            detail = f"{type(err.cause).__name__}: {err.cause}"
        interrupted = not isinstance(err.cause, Exception)
        if interrupted:
            detail = "interrupted (Ctrl-C or the process was stopped)"
        err.cause = Exception(detail)
        sys.stdout.write(failure_message(err, _resume_command(args, path), steps))
        return 130 if interrupted else EXIT_FAILED
    lines = ["Summary (seconds per step):"]
    for t in timings:
        lines.append(f"  {t.step:<34} {t.seconds if t.seconds is not None else '-':>10}"
                     f"{'  (done in an earlier run)' if t.resumed and t.seconds is not None else ''}")
    for what, _, reason, delay in aws.retrier.log:
        lines.append(f"  retried {what}: {reason}, backed off {delay:.2f} s")
    text, ok = summary(journal)
    sys.stdout.write("\n".join(lines) + "\n" + text)
    return EXIT_OK if ok else EXIT_FAILED


def _move_summary(journal: Journal, kind: str) -> tuple[str, bool]:
    m = dr.move_measures(journal, "", "switchover" if kind == "switchover" else "failover")
    writer = journal.data("aurora-wait").get("writer")
    text = (f"{kind} done: writer {writer}; measured RTO (request -> verified writer) {m['rtoSeconds']} s; "
            f"target lag before the move {m['rpoSeconds']} s ({m['rpoBasis']})\n")
    return text, True


def _restore_summary(journal: Journal) -> tuple[str, bool]:
    m = dr.restore_measures(journal)
    text = (f"restore done: {m['cluster']} (from {m['source']} at {m['restorePoint']}); measured RTO "
            f"(restore request -> verified query) {m['rtoSeconds']} s; data loss window {m['rpoSeconds']} s; "
            f"query: {json.dumps(m['query'])}\n"
            f"The restored cluster stays: point the application at it or delete it "
            f"(`aws rds delete-db-instance --db-instance-identifier {m['cluster']}-1 --skip-final-snapshot`, "
            f"then `aws rds delete-db-cluster --db-cluster-identifier {m['cluster']} --skip-final-snapshot`).\n")
    return text, True

